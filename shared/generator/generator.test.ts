import "../../test/gradients.ts";
import { describe, expect, it } from "vitest";
import golden from "../../test/fixtures/tiny-golden.json";
import { TINY, tinyValues } from "../../test/fixtures/tiny.ts";
import { tf } from "../tf.ts";
import { CONFIGS } from "./configs.ts";
import { convLayers, numWs } from "./config.ts";
import { Generator, noiseTensors } from "./generator.ts";
import { synthesis } from "./network.ts";
import { lrelu, modulatedConv, upsample2x, upsampleRgb } from "./layers.ts";
import { generatorParamSpecs, initParams } from "./params.ts";
import { conv2dTranspose2x } from "./transposed-conv.ts";

// This suite runs in Node and inside workerd (cpu backend in both).

describe("generator", () => {
  it("renders the golden image for seed 7 (same in every runtime, max abs diff ≤ 1e-4)", async () => {
    const g = Generator.fromValues(TINY, tinyValues(golden.paramSeed));
    const [w] = await g.mapSeeds([golden.seed], golden.truncation);
    const [img] = await g.render([w!], [golden.seed]);
    g.dispose();
    expect(img!.data.length).toBe(golden.image.length);
    let maxDiff = 0;
    img!.data.forEach((v, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - golden.image[i]!));
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
  });

  for (const [name, cfg] of Object.entries(CONFIGS)) {
    it(`${name}: output shape and finite values`, async () => {
      const g = Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 3));
      const ws = await g.mapSeeds([1, 2], 0.7);
      expect(ws.map((w) => w.length)).toEqual([cfg.wDim, cfg.wDim]);
      const imgs = await g.render(ws, [1, 2]);
      g.dispose();
      expect(imgs).toHaveLength(2);
      for (const img of imgs) {
        expect([img.width, img.height, img.data.length]).toEqual([cfg.resolution, cfg.resolution, cfg.resolution ** 2 * 3]);
        expect(img.data.every(Number.isFinite)).toBe(true);
      }
      expect(numWs(cfg)).toBe(2 * Math.log2(cfg.resolution) - 2);
    }, 120_000);
  }

  it("truncation ψ = 0 maps every seed to w_avg and renders the w_avg image", async () => {
    const values = tinyValues(1);
    const g = Generator.fromValues(TINY, values);
    const ws = await g.mapSeeds([1, 99], 0);
    const wAvg = values.get("mapping.w_avg")!;
    for (const w of ws) for (let i = 0; i < w.length; i++) expect(w[i]).toBeCloseTo(wAvg[i]!, 5);
    const [a, b, ref] = await g.render([ws[0]!, ws[1]!, wAvg], [5, 5, 5]);
    g.dispose();
    for (const img of [a!, b!]) expect(maxAbsDiff(img.data, ref!.data)).toBeLessThan(1e-5);
  });

  it("one seed is one image: the same seed repeats, the noise seed matters, zero noise differs", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const [w] = await g.mapSeeds([4]);
    const [a, b, c] = await g.render([w!, w!, w!], [4, 4, 5]);
    const [d] = await g.render([w!], "zeros");
    g.dispose();
    expect(maxAbsDiff(a!.data, b!.data)).toBe(0);
    expect(maxAbsDiff(a!.data, c!.data)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a!.data, d!.data)).toBeGreaterThan(1e-3);
  });

  it("renders W+ codes (one w per layer): a code whose layers all equal w renders as w; layers that differ render otherwise", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const layers = numWs(TINY);
    const [w, v] = await g.mapSeeds([3, 4], 1);
    const tiled = new Float32Array(layers * TINY.wDim);
    for (let l = 0; l < layers; l++) tiled.set(w!, l * TINY.wDim);
    const mixed = tiled.slice();
    mixed.set(v!, (layers - 1) * TINY.wDim);
    const [inW] = await g.render([w!], [2]);
    const [inWPlus, inMixed] = await g.render([tiled, mixed], [2, 2]);
    expect(maxAbsDiff(inW!.data, inWPlus!.data)).toBe(0);
    expect(maxAbsDiff(inW!.data, inMixed!.data)).toBeGreaterThan(1e-3);
    await expect(g.render([tiled, w!], [1, 1])).rejects.toThrow(/code 1: expected 192 values \(a W\+ code, as code 0 is\), got 32/);
    await expect(g.render([w!, tiled], [1, 1])).rejects.toThrow(/w 1: expected 32 values, got 192/);
    g.dispose();
  });

  it("refuses wrong-length latents and missing parameters with a message", async () => {
    const values = tinyValues(1);
    const g = Generator.fromValues(TINY, values);
    await expect(g.mapLatents([new Float32Array(3)])).rejects.toThrow(/latent 0: expected 32 values, got 3/);
    await expect(g.render([new Float32Array(5)], [1])).rejects.toThrow(/w 0: expected 32 values/);
    g.dispose();
    values.delete("synthesis.b8.conv0.weight");
    expect(() => Generator.fromValues(TINY, values)).toThrow(/missing: synthesis.b8.conv0.weight/);
  });

  it("has one noise map per conv layer", () => {
    expect(convLayers(TINY).map((l) => [l.name, l.res])).toEqual([
      ["synthesis.b4.conv1", 4],
      ["synthesis.b8.conv0", 8],
      ["synthesis.b8.conv1", 8],
      ["synthesis.b16.conv0", 16],
      ["synthesis.b16.conv1", 16],
    ]);
  });
});

// The fast paths against simple loop references.
describe("layers", () => {
  it("upsample2x equals the [1,3,3,1] reference with replicated edges", () => {
    const [n, h, w, c] = [2, 3, 4, 2];
    const x = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i * 1.7));
    const got = upsample2x(tf.tensor4d(x, [n, h, w, c])).dataSync();
    const at = (b: number, i: number, j: number, k: number) =>
      x[((b * h + Math.min(h - 1, Math.max(0, i))) * w + Math.min(w - 1, Math.max(0, j))) * c + k]!;
    // out[2i] = .75 x[i] + .25 x[i-1]; out[2i+1] = .75 x[i] + .25 x[i+1], separably in H and W.
    const tap = (o: number) => (o % 2 === 0 ? [Math.floor(o / 2), Math.floor(o / 2) - 1] : [Math.floor(o / 2), Math.floor(o / 2) + 1]);
    let maxDiff = 0;
    for (let b = 0; b < n; b++)
      for (let oi = 0; oi < 2 * h; oi++)
        for (let oj = 0; oj < 2 * w; oj++)
          for (let k = 0; k < c; k++) {
            const [i0, i1] = tap(oi) as [number, number];
            const [j0, j1] = tap(oj) as [number, number];
            const ref = 0.5625 * at(b, i0, j0, k) + 0.1875 * at(b, i0, j1, k) + 0.1875 * at(b, i1, j0, k) + 0.0625 * at(b, i1, j1, k);
            maxDiff = Math.max(maxDiff, Math.abs(ref - got[((b * 2 * h + oi) * 2 * w + oj) * c + k]!));
          }
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it("modulatedConv (non-fused) equals convolving with per-sample modulated, demodulated weights", () => {
    const [n, hw, cin, cout, wd] = [2, 5, 3, 4, 6];
    const rnd = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + s) * 1.3);
    const x = tf.tensor4d(rnd(n * hw * hw * cin, 1), [n, hw, hw, cin]);
    const w = tf.tensor2d(rnd(n * wd, 2), [n, wd]);
    const p = {
      affineWeight: tf.tensor2d(rnd(wd * cin, 3), [wd, cin]),
      affineBias: tf.ones([cin]),
      weight: tf.tensor4d(rnd(9 * cin * cout, 4), [3, 3, cin, cout]),
      bias: tf.zeros([cout]),
    };
    for (const demodulate of [true, false]) {
      const got = modulatedConv(x, w, p, { demodulate, up: false }).arraySync();
      // Reference: StyleGAN2's grouped form, one sample at a time.
      const styles = tf.add(tf.matMul(w, tf.mul(p.affineWeight, 1 / Math.sqrt(wd))), p.affineBias).arraySync() as number[][];
      const base = tf.mul(p.weight, 1 / Math.sqrt(cin * 9));
      for (let b = 0; b < n; b++) {
        let wb = tf.mul(base, tf.reshape(tf.tensor1d(styles[b]!), [1, 1, cin, 1]));
        if (demodulate) wb = tf.mul(wb, tf.rsqrt(tf.add(tf.sum(tf.square(wb), [0, 1, 2], true), 1e-8)));
        const ref = tf.conv2d(tf.slice(x, [b, 0, 0, 0], [1, hw, hw, cin]) as tf.Tensor4D, wb as tf.Tensor4D, 1, "same").arraySync()[0]!;
        expect(maxAbsDiff(new Float32Array(ref.flat(2)), new Float32Array(got[b]!.flat(2)))).toBeLessThan(1e-4);
      }
    }
  });

  it("lrelu is leaky ReLU(0.2) in both builds", () => {
    for (const secondOrder of [false, true]) {
      const got = lrelu(tf.tensor1d([-2, -0.5, 0, 0.5, 3]), { secondOrder }).dataSync();
      for (const [i, v] of [-2, -0.5, 0, 0.5, 3].entries()) expect(got[i]).toBeCloseTo(v < 0 ? 0.2 * v : v, 6);
    }
  });

  it("upsample2x with zero edges equals the [1,3,3,1] reference with zeros outside, and upsampleRgb (a transposed conv) equals it", () => {
    const [n, h, w, c] = [2, 3, 4, 3];
    const x = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i * 1.3));
    const at = (b: number, i: number, j: number, k: number) => (i < 0 || j < 0 || i >= h || j >= w ? 0 : x[((b * h + i) * w + j) * c + k]!);
    const tap = (o: number) => (o % 2 === 0 ? [Math.floor(o / 2), Math.floor(o / 2) - 1] : [Math.floor(o / 2), Math.floor(o / 2) + 1]);
    const ref = new Float32Array(n * 4 * h * w * c);
    for (let b = 0; b < n; b++)
      for (let oi = 0; oi < 2 * h; oi++)
        for (let oj = 0; oj < 2 * w; oj++)
          for (let k = 0; k < c; k++) {
            const [i0, i1] = tap(oi) as [number, number];
            const [j0, j1] = tap(oj) as [number, number];
            ref[((b * 2 * h + oi) * 2 * w + oj) * c + k] = 0.5625 * at(b, i0, j0, k) + 0.1875 * at(b, i0, j1, k) + 0.1875 * at(b, i1, j0, k) + 0.0625 * at(b, i1, j1, k);
          }
    const t = tf.tensor4d(x, [n, h, w, c]);
    expect(maxAbsDiff(upsample2x(t, "zero").dataSync() as Float32Array, ref)).toBeLessThan(1e-6);
    expect(maxAbsDiff(upsampleRgb(t).dataSync() as Float32Array, ref)).toBeLessThan(1e-6);
  });

  it("modulatedConv with up and zero edges: the one transposed conv equals upsampling, then the 3×3 conv", () => {
    const [n, hw, cin, cout, wd] = [2, 4, 3, 5, 6];
    const rnd = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + s) * 1.3);
    const x = tf.tensor4d(rnd(n * hw * hw * cin, 1), [n, hw, hw, cin]);
    const w = tf.tensor2d(rnd(n * wd, 2), [n, wd]);
    const p = { affineWeight: tf.tensor2d(rnd(wd * cin, 3), [wd, cin]), affineBias: tf.ones([cin]), weight: tf.tensor4d(rnd(9 * cin * cout, 4), [3, 3, cin, cout]), bias: tf.zeros([cout]) };
    const fast = modulatedConv(x, w, p, { demodulate: true, up: true, upEdges: "zero", gain: 1.5 });
    const ref = modulatedConv(x, w, p, { demodulate: true, up: true, upEdges: "zero", gain: 1.5, reference: true });
    expect(fast.shape).toEqual([n, 2 * hw, 2 * hw, cout]);
    expect(maxAbsDiff(fast.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-5);
  });
});

describe("conv2dTranspose2x (the fast path of both transposed convs)", () => {
  const rnd = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + s) * 1.3);
  for (const kt of [4, 6]) {
    it(`equals tf.conv2dTranspose(…, 2, "same") for a ${kt}×${kt} filter, and so does its input gradient`, () => {
      const [n, h, w, cin, cout] = [2, 3, 5, 4, 3];
      const x = tf.tensor4d(rnd(n * h * w * cin, kt), [n, h, w, cin]);
      const f = tf.tensor4d(rnd(kt * kt * cout * cin, kt + 1), [kt, kt, cout, cin]);
      const ref = tf.conv2dTranspose(x, f, [n, 2 * h, 2 * w, cout], 2, "same");
      const fast = conv2dTranspose2x(x, f);
      expect(fast.shape).toEqual([n, 2 * h, 2 * w, cout]);
      expect(maxAbsDiff(fast.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-5);
      // A weighted sum of the output, so every output position's gradient differs.
      const weights = tf.tensor4d(rnd(n * 4 * h * w * cout, 9), [n, 2 * h, 2 * w, cout]);
      const gRef = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.conv2dTranspose(t as tf.Tensor4D, f, [n, 2 * h, 2 * w, cout], 2, "same"), weights)))(x);
      const gFast = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(conv2dTranspose2x(t as tf.Tensor4D, f), weights)))(x);
      expect(maxAbsDiff(gFast.dataSync() as Float32Array, gRef.dataSync() as Float32Array)).toBeLessThan(1e-4);
    });
  }

  it("a Generator's precomputed upsampling kernels (inferenceKernels) render what computing them per call renders", async () => {
    const cfg = { ...TINY, upsampleEdges: "zero" as const };
    const g = Generator.fromValues(cfg, tinyValues(2));
    const derived = Object.keys(g.params).filter((k) => k.endsWith(".up_kernel"));
    expect(derived.length).toBe(convLayers(cfg).filter((l) => l.up).length);
    const [w] = await g.mapSeeds([3], 1);
    const [withKernels] = await g.render([w!], [3]);
    const plain = Object.fromEntries(Object.entries(g.params).filter(([k]) => !k.endsWith(".up_kernel")));
    const noise = tf.tidy(() => noiseTensors(cfg, [3]));
    const perCall = synthesis(plain, cfg, tf.tensor2d(w!, [1, cfg.wDim]), noise);
    expect(maxAbsDiff(withKernels!.data, perCall.dataSync() as Float32Array)).toBeLessThan(1e-5);
    // And synthesis does use them: a zeroed one changes the image.
    const zeroed = { ...g.params, [derived[0]!]: tf.zerosLike(g.params[derived[0]!]!) };
    expect(maxAbsDiff(synthesis(zeroed, cfg, tf.tensor2d(w!, [1, cfg.wDim]), noise).dataSync() as Float32Array, withKernels!.data)).toBeGreaterThan(1e-3);
    // Replicate edges have no transposed convs: nothing to precompute.
    expect(Object.keys(Generator.fromValues(TINY, tinyValues(2)).params).some((k) => k.endsWith(".up_kernel"))).toBe(false);
  });

  it("refuses a filter it does not decompose", () => {
    expect(() => conv2dTranspose2x(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, tf.zeros([3, 3, 1, 1]) as tf.Tensor4D)).toThrow(/4×4 or 6×6/);
  });
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
