/**
 * The shipped model, measured: resampling a region's axes changes each image more inside that
 * region than outside it (per pixel), in the model's raw output before any compositing: the fixed
 * ellipses of both eyes and the mouth, and the hair on each image's own segmenter mask. The
 * 1000-sample figures are in weights/faces64/MODEL_CARD.md; this checks the property on a few
 * seeds of the served ψ, on the backend the worker serves with (wasm; tfjs's pure-JS cpu backend
 * takes minutes here on two loaded cores).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tf } from "../../shared/tf.ts";
import { WASM_SIMD_FILE, startWasm } from "../../shared/wasm-backend.ts";
import { resampleReplace } from "../../shared/editing/edit.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";

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
    const size = manifest.generator.resolution;
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7];
    const ws = await g.mapSeeds(seeds, 0.7);
    const fresh = await g.mapSeeds(
      seeds.map((x) => x + 1_000_000),
      1,
    );
    const bases = await g.render(ws, seeds);
    for (const region of manifest.regions) {
      const edits = await g.render(
        ws.map((w, i) => resampleReplace(w, fresh[i]!, [region.axes])),
        seeds,
      );
      const masks = region.mask.kind === "semantic" ? await s.masks(bases, region.mask.class) : bases.map(() => rasterizeMask(region.mask, size));
      let sumIn = 0;
      let sumOut = 0;
      let nIn = 0;
      let nOut = 0;
      for (const [i, m] of masks.entries()) {
        for (let p = 0; p < m.data.length; p++) {
          let d = 0;
          for (let c = 0; c < 3; c++) d += (edits[i]!.data[p * 3 + c]! - bases[i]!.data[p * 3 + c]!) ** 2;
          if (m.data[p]) {
            sumIn += d;
            nIn++;
          } else {
            sumOut += d;
            nOut++;
          }
        }
      }
      const ratio = sumOut / nOut / (sumIn / nIn);
      const shareInside = sumIn / (sumIn + sumOut);
      const area = nIn / (nIn + nOut);
      console.log(`[faces64] ${region.name}, 8 seeds ψ 0.7: the region covers ${(area * 100).toFixed(1)} % of pixels and gets ${(shareInside * 100).toFixed(1)} % of the squared change; MSE_o/MSE_i ${ratio.toFixed(3)}`);
      expect(area, region.name).toBeGreaterThan(0.005);
      expect(sumIn, `${region.name}: its axes do something`).toBeGreaterThan(0);
      expect(ratio, `${region.name}: per pixel, the edit acts more inside than outside`).toBeLessThan(1);
      expect(shareInside, `${region.name}: the change is concentrated in the region, not spread evenly`).toBeGreaterThan(area);
    }
    expect(tf.getBackend()).toBe("wasm");
    g.dispose();
    s.dispose();
  });
});
