import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { tf } from "../tf-node.ts";
import { AugmentConfig, Augmenter, type AugmentParams, augment, drawAugmentParams } from "./diffaugment.ts";

const N = 3;
const R = 8;
const C = 3;
const images = () => new Prng(3).normals(N * R * R * C).map((v) => 0.5 * v);

/** The transforms written out pixel by pixel: the reference the tensor version must equal. */
function reference(x: Float32Array, a: AugmentParams): Float32Array {
  const at = (n: number, y: number, xx: number, c: number) => (n * R + y) * R * C + xx * C + c;
  const out = x.slice();
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < R * R * C; i++) out[n * R * R * C + i]! += a.brightness[n]!;
    for (let p = 0; p < R * R; p++) {
      const base = n * R * R * C + p * C;
      const mean = (out[base]! + out[base + 1]! + out[base + 2]!) / 3;
      for (let c = 0; c < C; c++) out[base + c] = (out[base + c]! - mean) * a.saturation[n]! + mean;
    }
    let mean = 0;
    for (let i = 0; i < R * R * C; i++) mean += out[n * R * R * C + i]! / (R * R * C);
    for (let i = 0; i < R * R * C; i++) out[n * R * R * C + i] = (out[n * R * R * C + i]! - mean) * a.contrast[n]! + mean;
  }
  const shifted = new Float32Array(out.length);
  for (let n = 0; n < N; n++)
    for (let y = 0; y < R; y++)
      for (let xx = 0; xx < R; xx++)
        for (let c = 0; c < C; c++) {
          const sy = y - a.dy[n]!;
          const sx = xx - a.dx[n]!;
          const inside = sy >= 0 && sy < R && sx >= 0 && sx < R;
          const keep = a.cutoutMask ? a.cutoutMask[(n * R + y) * R + xx]! : 1;
          shifted[at(n, y, xx, c)] = inside ? out[at(n, sy, sx, c)]! * keep : 0;
        }
  return shifted;
}

describe("DiffAugment", () => {
  it("equals its pixel-by-pixel reference for drawn parameters (colour, shifts with zero fill, cutout)", () => {
    const cfg = AugmentConfig.parse({});
    const rng = new Prng(7);
    for (let trial = 0; trial < 4; trial++) {
      const a = drawAugmentParams(cfg, 1, N, R, rng);
      const x = images();
      const got = augment(tf.tensor4d(x, [N, R, R, C]), a).dataSync();
      const want = reference(x, a);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `index ${i}, trial ${trial}`).toBeLessThan(1e-5);
    }
  });

  it("draws DiffAugment's ranges: shifts within 1/8, a cut-out square of half the side, colour factors in range", () => {
    const cfg = AugmentConfig.parse({});
    const rng = new Prng(1);
    const res = 64;
    let shiftsSeen = 0;
    for (let t = 0; t < 50; t++) {
      const a = drawAugmentParams(cfg, 1, 4, res, rng);
      for (let n = 0; n < 4; n++) {
        expect(Math.abs(a.dx[n]!)).toBeLessThanOrEqual(8);
        expect(Math.abs(a.dy[n]!)).toBeLessThanOrEqual(8);
        if (a.dx[n] !== 0) shiftsSeen++;
        expect(a.brightness[n]).toBeGreaterThanOrEqual(-0.5);
        expect(a.brightness[n]).toBeLessThan(0.5);
        expect(a.saturation[n]).toBeLessThan(2);
        expect(a.contrast[n]).toBeGreaterThanOrEqual(0.5);
        const cut = a.cutoutMask!.subarray(n * res * res, (n + 1) * res * res).filter((v) => v === 0).length;
        // A 32×32 square, clipped where its centre lies near an edge (at least a quarter of it stays inside).
        expect(cut).toBeLessThanOrEqual(32 * 32);
        expect(cut).toBeGreaterThanOrEqual(16 * 16);
      }
    }
    expect(shiftsSeen).toBeGreaterThan(100);
  });

  it("is the identity at probability 0 and with an empty policy", () => {
    const x = tf.tensor4d(images(), [N, R, R, C]);
    const p0 = augment(x, drawAugmentParams(AugmentConfig.parse({}), 0, N, R, new Prng(2)));
    expect(Array.from(p0.dataSync())).toEqual(Array.from(x.dataSync()));
    const off = new Augmenter(AugmentConfig.parse({ policy: [] }), new Prng(2));
    expect(off.enabled).toBe(false);
    expect(off.apply(x)).toBe(x);
  });

  it("adapts the probability as ADA does: up while D is confident on reals, down when it is not, within [0, 1]", () => {
    const a = new Augmenter(AugmentConfig.parse({ probability: 0, target: 0.6, speedKimg: 1 }), new Prng(2));
    a.observe(1, 16);
    a.adjust(100);
    expect(a.p).toBeCloseTo(0.1, 10);
    a.observe(0.2, 16);
    a.adjust(100);
    expect(a.p).toBeCloseTo(0, 10);
    a.observe(-1, 16);
    a.adjust(100);
    expect(a.p).toBe(0);
    const restored = new Augmenter(a.cfg, new Prng(2));
    a.observe(1, 8);
    restored.load(a.state());
    expect(restored.state()).toEqual(a.state());
  });

  it("refuses parameters drawn for another batch shape", () => {
    const a = drawAugmentParams(AugmentConfig.parse({}), 1, 2, R, new Prng(1));
    expect(() => augment(tf.zeros([N, R, R, C]) as tf.Tensor4D, a)).toThrow(/do not match/);
  });
});
