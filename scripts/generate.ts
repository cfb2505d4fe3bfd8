/**
 * Render an image (optionally with regions resampled) from a model folder to a PNG.
 *
 *   npm run generate -- --seed 7 --out face.png
 *   npm run generate -- --seed 7 --truncation 0.7 --region left-eye,mouth --resample-seed 3 --out edit.png
 *
 * Run with --help for every option.
 */
import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { resampleRegions } from "../shared/editing/resample.ts";
import { Generator, toRgba8 } from "../shared/generator/generator.ts";
import { encodePng } from "../shared/png/png.ts";
import { MAX_SEED } from "../shared/random/prng.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadModel } from "../shared/weights/loader.ts";
import { command, fail as cliFail, int, list, num, oneOf, str } from "../trainer/cli/args.ts";
import { setupNodeCpu } from "./lib/node-tf.ts";

export const DEFAULT_MODEL_DIR = "weights/faces64";

const cli = command({
  run: "npm run generate --",
  name: "generate",
  summary: "Renders an image of a model, optionally with regions resampled, to a PNG.",
  flags: {
    model: { value: "DIR", help: "model folder with manifest.json", type: str(), default: DEFAULT_MODEL_DIR },
    seed: { value: "N", help: "latent seed", type: int(0, MAX_SEED), default: 0 },
    truncation: { value: "PSI", help: "truncation ψ", type: num(0, 2), default: 1 },
    region: { value: "NAMES", help: "comma-separated region names to resample", type: list() },
    "resample-seed": { value: "N", help: "seed of the resampled axes (required with --region)", type: int(0, MAX_SEED) },
    mode: { value: "M", help: "replace: the axes of a new code; perturb: add α·p", type: oneOf(["replace", "perturb"]), default: "replace" },
    alpha: { value: "A", help: "perturbation strength for --mode perturb", type: num(-100, 100), default: 1 },
    scale: { value: "K", help: "upscale the PNG K× with nearest neighbour", type: int(1, 16), default: 1 },
    out: { value: "FILE", help: "output PNG", type: str(), defaultText: "seed-<N>.png" },
  },
  examples: [
    "npm run generate -- --seed 7 --truncation 0.7 --scale 4 --out face.png",
    "npm run generate -- --model test/fixtures/tiny-model --seed 7 --region left-eye,mouth --resample-seed 3 --out edit.png",
  ],
  check: (a) => (a.region !== undefined && a["resample-seed"] === undefined ? "--resample-seed: is required with --region" : undefined),
});

function fail(message: string): never {
  return cliFail("generate", message);
}

async function main(): Promise<void> {
  const a = cli.parseOrExit();
  if (!existsSync(`${a.model}/manifest.json`)) {
    fail(
      a.model === DEFAULT_MODEL_DIR
        ? `no model at ${a.model}/. The default model is produced by the trainer (npm run train, issue #3). ` +
            "To try the pipeline now, render the test fixture (random weights: noise, not faces): --model test/fixtures/tiny-model"
        : `no manifest.json in ${a.model}/`,
    );
  }

  await setupNodeCpu();
  const { manifest, values: params } = await loadModel(fileSource(a.model));
  const g = Generator.fromValues(manifest.generator, params);
  const [base] = await g.mapSeeds([a.seed], a.truncation);
  let w = base!;
  if (a.region !== undefined) {
    const regions = a.region.map((n) => {
      const r = manifest.regions.find((x) => x.name === n);
      if (!r) fail(`--region: model ${manifest.name} has no region "${n}" (it has: ${manifest.regions.map((x) => x.name).join(", ") || "none"})`);
      return r;
    });
    w = await resampleRegions(g, w, regions, { seed: a["resample-seed"]!, mode: a.mode, alpha: a.alpha, truncation: a.truncation });
  }
  const [img] = await g.render([w], [a.seed]);
  g.dispose();
  const rgba = upscale(toRgba8(img!), img!.width, a.scale);
  const out = a.out ?? `seed-${a.seed}.png`;
  await writeFile(out, encodePng(rgba, img!.width * a.scale, img!.height * a.scale));
  console.log(`${out}: ${manifest.name} ${manifest.version}, seed ${a.seed}, ψ ${a.truncation}${a.region ? `, resampled ${a.region.join(",")} (${a.mode}, seed ${a["resample-seed"]})` : ""}`);
}

function upscale(rgba: Uint8Array, size: number, k: number): Uint8Array {
  if (k === 1) return rgba;
  const s = size * k;
  const out = new Uint8Array(s * s * 4);
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out.set(rgba.subarray(((Math.floor(y / k) * size + Math.floor(x / k)) * 4), (Math.floor(y / k) * size + Math.floor(x / k)) * 4 + 4), (y * s + x) * 4);
  return out;
}

main().catch((e: unknown) => fail((e as Error).message));
