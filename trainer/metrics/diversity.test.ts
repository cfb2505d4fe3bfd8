import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { diversity, pixelSpread, precisionRecall } from "./diversity.ts";
import "../tf-node.ts";

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
