/**
 * Render an image (optionally with regions resampled) from a model folder to a PNG, on the same
 * render pipeline as the API (shared/render/): the same request rules and bounds, the same edit
 * composited over the base by default, so a command and the matching API request give the same
 * pixels.
 *
 *   npm run generate -- --seed 7 --out face.png
 *   npm run generate -- --seed 7 --truncation 0.7 --region left-eye,mouth --resample-seed 3 --out edit.png
 *
 * Run with --help for every option.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Generator } from "../shared/generator/generator.ts";
import { encodePng } from "../shared/png/png.ts";
import { BaseRenders, type RenderModel, localMasks, resolveBase } from "../shared/render/base.ts";
import { editTarget, renderEdit } from "../shared/render/edit.ts";
import { RenderError } from "../shared/render/error.ts";
import { Alpha, Scale, Seed, Truncation, normalizeRequest } from "../shared/render/request.ts";
import { Segmenter } from "../shared/segmenter/segmenter.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadModel } from "../shared/weights/loader.ts";
import { command, fail as cliFail, list, oneOf, sameAs, str } from "../trainer/cli/args.ts";
import { upscale } from "../worker/render/service.ts";
import { setupNodeCpu } from "./lib/node-tf.ts";

export const DEFAULT_MODEL_DIR = "weights/faces64";

/** Whether the API composites an edit when the request does not say: read from the pipeline's own defaults. */
const API_COMPOSITES = normalizeRequest({ seed: 0, regions: ["r"], resampleSeed: 0 }, true).edit!.composite;

const cli = command({
  run: "npm run generate --",
  name: "generate",
  summary: "Renders an image of a model, optionally with regions resampled, to a PNG, as the API renders it.",
  flags: {
    model: { value: "DIR", help: "model folder with manifest.json", type: str(), default: DEFAULT_MODEL_DIR },
    seed: { value: "N", help: "latent seed", type: sameAs(Seed), default: 0 },
    truncation: { value: "PSI", help: "truncation ψ", type: sameAs(Truncation), default: 1 },
    region: { value: "NAMES", help: "comma-separated region names to resample", type: list() },
    "resample-seed": { value: "N", help: "seed of the resampled axes (required with --region)", type: sameAs(Seed) },
    mode: { value: "M", help: "replace: the axes of a new code; perturb: add α·p", type: oneOf(["replace", "perturb"]), default: "replace" },
    alpha: { value: "A", help: "perturbation strength, with --mode perturb only", type: sameAs(Alpha), defaultText: "1" },
    composite: {
      switch: true,
      help: `with --region: copy every pixel outside the regions' feathered masks from the unedited image, so only the regions change (the API's default, composite=${API_COMPOSITES}); --no-composite writes the model's raw output`,
      default: API_COMPOSITES,
    },
    scale: { value: "K", help: "upscale the PNG K× with nearest neighbour (the API's scale bound)", type: sameAs(Scale), default: 1 },
    out: { value: "FILE", help: "output PNG", type: str(), defaultText: "seed-<N>.png" },
  },
  examples: [
    "npm run generate -- --seed 7 --truncation 0.7 --scale 4 --out face.png",
    "npm run generate -- --model test/fixtures/tiny-model --seed 7 --region left-eye,mouth --resample-seed 3 --out edit.png",
  ],
  // The pipeline enforces these too (normalizeRequest); here they are said in the flags' names.
  check: (a) =>
    a.region !== undefined && a["resample-seed"] === undefined
      ? "--resample-seed: is required with --region"
      : a.alpha !== undefined && a.mode !== "perturb"
        ? "--alpha: applies to --mode perturb only"
        : undefined,
});

/** The request's field names as this command spells its flags. */
const FLAG_OF: Record<string, string> = { resampleSeed: "resample-seed", regions: "region" };

function fail(message: string): never {
  return cliFail("generate", message);
}

async function main(): Promise<void> {
  const a = cli.parseOrExit();
  const req = (() => {
    try {
      return normalizeRequest(
        { seed: a.seed, truncation: a.truncation, scale: a.scale, regions: a.region, resampleSeed: a["resample-seed"], mode: a.mode, alpha: a.alpha, composite: a.composite },
        a.region !== undefined,
      );
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      return fail(e.field ? `--${FLAG_OF[e.field] ?? e.field}: ${e.message}` : e.message);
    }
  })();
  if (!existsSync(`${a.model}/manifest.json`)) {
    fail(
      a.model === DEFAULT_MODEL_DIR
        ? `no model at ${a.model}/. The default model is produced by the trainer (npm run train, issue #3). ` +
            "To try the pipeline now, render the test fixture (random weights: noise, not faces): --model test/fixtures/tiny-model"
        : `no manifest.json in ${a.model}/`,
    );
  }

  await setupNodeCpu();
  const { manifest, values } = await loadModel(fileSource(a.model));
  const model: RenderModel = {
    name: manifest.name,
    manifest,
    generator: Generator.fromValues(manifest.generator, values),
    ...(manifest.segmenter ? { segmenter: Segmenter.fromValues(manifest.segmenter, values) } : {}),
  };
  const res = manifest.generator.resolution;
  // One command, one image: a cache of a single base render (the edit reuses it).
  const renders = new BaseRenders(Number.POSITIVE_INFINITY);
  const base = await resolveBase(model, req);
  let rgba: Uint8Array;
  if (req.edit) {
    const spec = { name: manifest.name, resolution: res, regions: manifest.regions };
    const target = await editTarget(spec, req.edit.regions, undefined, localMasks(model, renders, base)).catch((e: Error) =>
      fail(e instanceof RenderError && e.code === "unknown_region" ? `--region: ${e.message}` : e.message),
    );
    [rgba] = (await renderEdit(model, renders, base, req, target, 1)).images as [Uint8Array];
  } else {
    rgba = (await renders.get(model, base)).rgba;
  }
  model.generator.dispose();
  model.segmenter?.dispose();
  const out = a.out ?? `seed-${a.seed}.png`;
  await writeFile(out, encodePng(upscale(rgba, res, req.scale), res * req.scale, res * req.scale));
  const e = req.edit;
  console.log(`${out}: ${manifest.name} ${manifest.version}, seed ${a.seed}, ψ ${req.truncation}${e ? `, resampled ${e.regions.join(",")} (${e.mode}, seed ${e.resampleSeed}, ${e.composite ? "composited" : "raw"})` : ""}`);
}

main().catch((e: unknown) => fail((e as Error).message));
