import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadSegmenter } from "../../shared/weights/loader.ts";
import { selectBackend } from "../backends.ts";
import { openDicebearDataset } from "../data/dicebear.ts";
import { tf } from "../tf-node.ts";
import { diversity, measureDiversity, pixelSpread, precisionRecall } from "./diversity.ts";

const gaussian = (n: number, d: number, seed: number, scale = 1, shift = 0) =>
  Array.from({ length: n }, (_, i) => new Prng(seed, i).normals(d).map((v) => v * scale + shift));

/** Kynkäänniemi et al.'s definition written out with loops: the reference for the tensor version. */
function referencePR(real: Float32Array[], fake: Float32Array[], k: number): { precision: number; recall: number } {
  const d2 = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
  const radii = (set: Float32Array[]) => set.map((a) => set.map((b) => d2(a, b)).sort((x, y) => x - y)[k]!);
  const cover = (q: Float32Array[], m: Float32Array[], r: number[]) => q.filter((a) => m.some((b, j) => d2(a, b) <= r[j]!)).length / q.length;
  return { precision: cover(fake, real, radii(real)), recall: cover(real, fake, radii(fake)) };
}

describe("pixel spread", () => {
  it("equals the per-pixel std and the all-pairs MSE computed directly", () => {
    const set = gaussian(12, 30, 1, 0.7, 0.1);
    const s = pixelSpread(set);
    let pairs = 0;
    let mse = 0;
    for (let a = 0; a < set.length; a++)
      for (let b = 0; b < set.length; b++)
        if (a !== b) {
          mse += set[a]!.reduce((acc, v, i) => acc + (v - set[b]![i]!) ** 2, 0) / 30;
          pairs++;
        }
    expect(s.pairwiseMse).toBeCloseTo(mse / pairs, 10);
    let std = 0;
    for (let i = 0; i < 30; i++) {
      const col = set.map((x) => x[i]!);
      const m = col.reduce((a, v) => a + v, 0) / col.length;
      std += Math.sqrt(col.reduce((a, v) => a + (v - m) ** 2, 0) / (col.length - 1)) / 30;
    }
    expect(s.std).toBeCloseTo(std, 10);
  });

  it("gives ratios near 1 for two samples of one distribution and near 0 for a collapsed set", () => {
    const real = gaussian(200, 48, 1);
    expect(diversity(real, gaussian(200, 48, 2)).stdRatio).toBeGreaterThan(0.9);
    expect(diversity(real, gaussian(200, 48, 2)).pairwiseRatio).toBeLessThan(1.1);
    const collapsed = gaussian(200, 48, 3, 0.05, 0.3);
    const d = diversity(real, collapsed);
    expect(d.stdRatio).toBeLessThan(0.1);
    expect(d.pairwiseRatio).toBeLessThan(0.01);
    expect(() => pixelSpread([real[0]!])).toThrow(/at least 2/);
  });
});

describe("precision and recall", () => {
  it("equal the definition written out with loops", () => {
    const real = gaussian(40, 6, 4);
    const fake = gaussian(50, 6, 5, 0.6, 0.4);
    const got = precisionRecall(real, fake, 3);
    const want = referencePR(real, fake, 3);
    expect(got.precision).toBeCloseTo(want.precision, 6);
    expect(got.recall).toBeCloseTo(want.recall, 6);
  });

  it("score a faithful set high on both, a collapsed one high on precision and low on recall, a far one 0", () => {
    const real = gaussian(300, 8, 6);
    const same = precisionRecall(real, gaussian(300, 8, 7));
    expect(same.precision).toBeGreaterThan(0.8);
    expect(same.recall).toBeGreaterThan(0.8);
    // Every fake near one real point: inside the real manifold, but covering almost none of it.
    const mode = real[0]!;
    const collapsed = precisionRecall(real, gaussian(300, 8, 8, 0.01).map((v) => v.map((x, i) => x + mode[i]!)));
    expect(collapsed.precision).toBeGreaterThan(0.9);
    expect(collapsed.recall).toBeLessThan(0.1);
    const far = precisionRecall(real, gaussian(300, 8, 9, 1, 50));
    expect(far.precision).toBe(0);
    expect(far.recall).toBe(0);
  });
});

describe("the feature spaces, calibrated on real faces (the shipped part segmenter, tensorflow backend)", () => {
  /** A 3×3 binomial blur, edges clamped: the softness of a young generator's images, on real ones. */
  const blur = (img: Float32Array, res: number) => {
    const out = new Float32Array(img.length);
    for (let y = 0; y < res; y++)
      for (let x = 0; x < res; x++)
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          let weight = 0;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const [yy, xx] = [y + dy, x + dx];
              if (yy < 0 || xx < 0 || yy >= res || xx >= res) continue;
              const w = (dx === 0 ? 2 : 1) * (dy === 0 ? 2 : 1);
              sum += w * img[(yy * res + xx) * 3 + c]!;
              weight += w;
            }
          out[(y * res + x) * 3 + c] = sum / weight;
        }
    return out;
  };

  it("the part layout tolerates a blur that halves precision and recall in the bottleneck", async () => {
    await selectBackend("tensorflow");
    try {
      const { manifest, values } = await loadSegmenter(fileSource("weights/faces64-parts"));
      const seg = Segmenter.fromValues(manifest.segmenter, values);
      const res = manifest.segmenter.resolution;
      const data = openDicebearDataset({ count: 20000, seed: 0, resolution: res });
      const set = async (from: number) => {
        const flat = await data.batch(Array.from({ length: 256 }, (_, i) => from + i));
        return Array.from({ length: 256 }, (_, i) => flat.slice(i * res * res * 3, (i + 1) * res * res * 3));
      };
      const [a, b] = [await set(0), await set(5000)];
      const same = await measureDiversity(a, b, res, seg);
      const blurred = await measureDiversity(a, b.map((img) => blur(img, res)), res, seg);
      seg.dispose();
      // Two sets of real faces: both spaces say so.
      for (const pr of [same.precisionRecall!, same.layoutPrecisionRecall!]) {
        expect(pr.precision).toBeGreaterThan(0.85);
        expect(pr.recall).toBeGreaterThan(0.85);
      }
      // Blurred: the bottleneck drops below the 0.5 recall target, the layout stays near 0.9.
      expect(blurred.precisionRecall!.recall).toBeLessThan(0.6);
      expect(blurred.precisionRecall!.precision).toBeLessThan(0.6);
      expect(blurred.layoutPrecisionRecall!.recall).toBeGreaterThan(0.8);
      expect(blurred.layoutPrecisionRecall!.precision).toBeGreaterThan(0.8);
    } finally {
      await tf.setBackend("cpu");
    }
  }, 120_000);
});
