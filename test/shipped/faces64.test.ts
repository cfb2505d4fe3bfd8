/**
 * The shipped model, measured: resampling a region's axes changes each image more inside that
 * region than outside it (per pixel), in the model's raw output before any compositing: the fixed
 * ellipses of both eyes and the mouth, and the hair on each image's own segmenter mask. It is the
 * model card's metric (`measureLocalityOfCodes`, MSE_o/MSE_i), on a few seeds of the served ψ with
 * each region's axes replaced by those of seed + 10⁶ at ψ 1, as the widget's edits are; the
 * 1000-sample figures are in weights/faces64/MODEL_CARD.md. It runs on the backend the worker
 * serves with (wasm; tfjs's pure-JS cpu backend takes minutes here on two loaded cores).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../shared/tf.ts";
import { WASM_SIMD_FILE, startWasm } from "../../shared/wasm-backend.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import { measureLocalityOfCodes } from "../../trainer/metrics/masked-mse.ts";

beforeAll(async () => {
  await startWasm(WebAssembly.compile(await readFile(createRequire(import.meta.url).resolve(WASM_SIMD_FILE))));
});
afterAll(async () => {
  await tf.setBackend("cpu");
});

describe("weights/faces64", () => {
  it("a raw resample of each region's axes changes pixels more inside the region than outside it", async () => {
    const { manifest, values } = await loadModel(fileSource("weights/faces64"));
    expect(manifest.regions.map((r) => r.name)).toEqual(["left-eye", "right-eye", "mouth", "hair"]);
    expect(manifest.regions.find((r) => r.name === "hair")!.mask).toEqual({ kind: "semantic", class: "hair" });
    const g = Generator.fromValues(manifest.generator, values);
    const s = Segmenter.fromValues(manifest.segmenter!, values);
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7];
    const ws = await g.mapSeeds(seeds, 0.7);
    const locality = await measureLocalityOfCodes(g, manifest.regions, ws, seeds, { segmenter: s, resampleSeedBase: 1_000_000 });
    expect(locality.map((r) => r.region)).toEqual(manifest.regions.map((r) => r.name));
    for (const r of locality) {
      console.log(`[faces64] ${r.region}, 8 seeds ψ 0.7: MSE_i ${(r.mseIn * 1e3).toFixed(1)}×10⁻³, MSE_o/MSE_i ${r.ratio.toFixed(3)}`);
      expect(r.mseIn, `${r.region}: its axes change its pixels`).toBeGreaterThan(0);
      expect(r.ratio, `${r.region}: per pixel, the edit acts more inside than outside`).toBeLessThan(1);
    }
    expect(tf.getBackend()).toBe("wasm");
    g.dispose();
    s.dispose();
  });
});
