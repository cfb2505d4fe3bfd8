/**
 * npm run generate as a user runs it, on the tiny fixture: an edit is composited over the base by
 * default, as the API does (pixels outside the feathered mask are the base's), --no-composite
 * writes the model's raw output, and --scale has the API's bound.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DecodedImage, decodePng } from "../shared/png/decode.ts";
import { rasterizeMask } from "../shared/regions/mask.ts";
import { featherFor, featherWeights } from "../shared/render/composite.ts";
import { loadModel } from "../shared/weights/loader.ts";
import { fileSource } from "../shared/weights/file-source.ts";

const run = promisify(execFile);
const MODEL = "test/fixtures/tiny-model";
const generate = (...args: string[]) => run("node", ["--import", "tsx", "scripts/generate.ts", ...args], { timeout: 120_000 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "generate-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run generate", () => {
  it("composites an edit over the base by default, like the API; --no-composite writes the raw output", async () => {
    const edit = ["--model", MODEL, "--seed", "7", "--region", "mouth", "--resample-seed", "3", "--scale", "2"];
    const [, composited, raw] = await Promise.all([
      generate("--model", MODEL, "--seed", "7", "--scale", "2", "--out", join(dir, "base.png")),
      generate(...edit, "--out", join(dir, "composited.png")),
      generate(...edit, "--no-composite", "--out", join(dir, "raw.png")),
    ]);
    expect(composited.stdout).toMatch(/resampled mouth \(replace, seed 3, composited\)/);
    expect(raw.stdout).toMatch(/resampled mouth \(replace, seed 3, raw\)/);
    const [base, comp, rawImg] = (await Promise.all(["base", "composited", "raw"].map(async (n) => decodePng(new Uint8Array(await readFile(join(dir, `${n}.png`))))))) as [DecodedImage, DecodedImage, DecodedImage];
    const { manifest } = await loadModel(fileSource(MODEL));
    const res = manifest.generator.resolution;
    expect([comp.width, comp.height]).toEqual([2 * res, 2 * res]);
    const alpha = featherWeights(rasterizeMask(manifest.regions.find((r) => r.name === "mouth")!.mask, res), featherFor(res));
    // RGB at model pixel i (the top-left of its 2×2 block).
    const px = (img: { rgba: Uint8Array; width: number }, i: number) => {
      const o = (Math.floor(i / res) * 2 * img.width + (i % res) * 2) * 4;
      return [...img.rgba.subarray(o, o + 3)];
    };
    let rawChangesOutside = 0;
    for (let i = 0; i < res * res; i++) {
      if (alpha[i] === 0) {
        expect(px(comp, i), `pixel ${i} outside the feathered mask`).toEqual(px(base, i));
        if (px(rawImg, i).join() !== px(base, i).join()) rawChangesOutside++;
      } else if (alpha[i] === 1) {
        expect(px(comp, i), `pixel ${i} inside the mask`).toEqual(px(rawImg, i));
      }
    }
    expect(rawChangesOutside).toBeGreaterThan(0); // the raw edit is not local, so compositing did something
  });

  it("says in --help that compositing is the API's default, and bounds --scale as the API does", async () => {
    const { stdout } = await generate("--help");
    expect(stdout).toMatch(/--\[no-\]composite +with --region: copy every pixel outside the regions' feathered masks/);
    expect(stdout.replace(/\s+/g, " ")).toContain("(the API's default, composite=true); --no-composite writes the model's raw output (default on)");
    expect(stdout.replace(/\s+/g, " ")).toContain("--scale K upscale the PNG K× with nearest neighbour (the API's scale bound), an integer from 1 to 8 (default 1)");
    const err = (await generate("--model", MODEL, "--scale", "9").catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/^generate: --scale: must be an integer from 1 to 8, got "9"\n/);
  });
});
