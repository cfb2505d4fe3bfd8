import { describe, expect, it } from "vitest";
import { convLayers } from "../../shared/generator/config.ts";
import { mapping, synthesis } from "../../shared/generator/network.ts";
import { generatorParamSpecs } from "../../shared/generator/params.ts";
import { Prng } from "../../shared/random/prng.ts";
import { TINY, tinyValues } from "../../test/fixtures/tiny.ts";
import { DiscriminatorConfig, discriminatorParamSpecs } from "../networks/discriminator.ts";
import { initParams } from "../../shared/generator/params.ts";
import { tf } from "../tf-node.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { LinkGanConfig, linkganTerms, semanticMask } from "./linkgan.ts";
import { type Nets, type StepRandom, gMainLoss } from "./stylegan2.ts";

const cfg = LinkGanConfig.parse({ alpha: 1, lambdaIn: 1, lambdaOut: 1, interval: 8 });
const n = 2;
const rng = new Prng(3);
const G = Object.fromEntries(generatorParamSpecs(TINY).map((s) => [s.name, tf.tensor(tinyValues(1).get(s.name)!, s.shape)]));
const noise = convLayers(TINY).map((l) => tf.tensor4d(rng.normals(n * l.res * l.res), [n, l.res, l.res, 1]));
const w = tf.tensor2d(rng.normals(n * TINY.wDim), [n, TINY.wDim]);
const p = () => tf.tensor3d(rng.normals(n * TINY.wDim), [1, n, TINY.wDim]);
const render = (ws: tf.Tensor2D) => synthesis(G, TINY, ws, noise.map((m) => tf.tile(m, [ws.shape[0] / n, 1, 1, 1]) as tf.Tensor4D));
const region = (mask: number) => ({ name: "r", axes: { start: 0, end: 8 }, mask: tf.fill([1, 16, 16, 1], mask) as tf.Tensor4D });

describe("LinkGAN regularizer", () => {
  it("L_out vanishes when the region is the whole image, L_in when it is empty", () => {
    const full = linkganTerms(render, w, [region(1)], p(), p(), cfg).perRegion[0]!;
    expect(full.lOut.dataSync()[0]).toBe(0);
    expect(full.lIn.dataSync()[0]).toBeGreaterThan(0);
    const empty = linkganTerms(render, w, [region(0)], p(), p(), cfg).perRegion[0]!;
    expect(empty.lIn.dataSync()[0]).toBe(0);
    expect(empty.lOut.dataSync()[0]).toBeGreaterThan(0);
  });

  it("weighs a region by its own λ1/λ2 where the config names it, by the global ones elsewhere", () => {
    const half = tf.concat([tf.ones([1, 8, 16, 1]), tf.zeros([1, 8, 16, 1])], 1) as tf.Tensor4D;
    const two = [
      { name: "a", axes: { start: 0, end: 4 }, mask: half },
      { name: "b", axes: { start: 4, end: 8 }, mask: half },
    ];
    const [pIn, pOut] = [tf.concat([p(), p()], 0) as tf.Tensor3D, tf.concat([p(), p()], 0) as tf.Tensor3D];
    const plain = linkganTerms(render, w, two, pIn, pOut, LinkGanConfig.parse({ lambdaIn: 2, lambdaOut: 5 }));
    const own = linkganTerms(render, w, two, pIn, pOut, LinkGanConfig.parse({ lambdaIn: 2, lambdaOut: 5, regions: { b: { lambdaIn: 0 } } }));
    const [a, b] = plain.perRegion.map((r) => ({ lIn: r.lIn.dataSync()[0]!, lOut: r.lOut.dataSync()[0]! })) as [{ lIn: number; lOut: number }, { lIn: number; lOut: number }];
    expect(b.lIn).toBeGreaterThan(0);
    expect(plain.loss.dataSync()[0]).toBeCloseTo(2 * a.lIn + 5 * a.lOut + 2 * b.lIn + 5 * b.lOut, 5);
    expect(own.loss.dataSync()[0]).toBeCloseTo(2 * a.lIn + 5 * a.lOut + 5 * b.lOut, 5);
  });

  it("equals the masked mean squared differences computed directly", () => {
    const half = tf.concat([tf.ones([1, 8, 16, 1]), tf.zeros([1, 8, 16, 1])], 1) as tf.Tensor4D;
    const pIn = p();
    const pOut = p();
    const t = linkganTerms(render, w, [{ name: "top", axes: { start: 4, end: 12 }, mask: half }], pIn, pOut, cfg);
    const m = tf.tensor1d(Array.from({ length: TINY.wDim }, (_, i) => (i >= 4 && i < 12 ? 1 : 0)));
    const x = render(w);
    const x1 = render(tf.add(w, tf.mul(tf.reshape(pIn, [n, TINY.wDim]), m)) as tf.Tensor2D);
    const x2 = render(tf.add(w, tf.mul(tf.reshape(pOut, [n, TINY.wDim]), tf.sub(1, m))) as tf.Tensor2D);
    const lOut = tf.mean(tf.square(tf.mul(tf.sub(1, half), tf.sub(x1, x)))).dataSync()[0]!;
    const lIn = tf.mean(tf.square(tf.mul(half, tf.sub(x2, x)))).dataSync()[0]!;
    expect(t.perRegion[0]!.lOut.dataSync()[0]).toBeCloseTo(lOut, 6);
    expect(t.perRegion[0]!.lIn.dataSync()[0]).toBeCloseTo(lIn, 6);
    expect(t.perturbed.shape).toEqual([2 * n, 16, 16, 3]);
  });

  it('"ratio" form: L_out/(1 − L_out) is MSE_o/MSE_i per image, shrinking the change does not lower it, and empty masks are left out', () => {
    // A linear "generator", so scaling the change of w scales the change of the image exactly.
    const a = tf.tensor2d(rng.normals(TINY.wDim * 16 * 16 * 3), [TINY.wDim, 16 * 16 * 3]);
    const linear = (ws: tf.Tensor2D) => tf.reshape(tf.matMul(ws, a), [ws.shape[0], 16, 16, 3]) as tf.Tensor4D;
    const half = tf.concat([tf.ones([1, 8, 16, 1]), tf.zeros([1, 8, 16, 1])], 1) as tf.Tensor4D;
    const ratio = LinkGanConfig.parse({ lambdaIn: 1, lambdaOut: 1, form: "ratio" });
    const energy = LinkGanConfig.parse({ lambdaIn: 1, lambdaOut: 1 });
    const top = [{ name: "top", axes: { start: 4, end: 12 }, mask: half }];
    const pIn = p();
    const pOut = p();
    const t = linkganTerms(linear, w, top, pIn, pOut, ratio).perRegion[0]!;
    // Direct, per image: mean squared change outside and inside the top half.
    const axes = tf.tensor1d(Array.from({ length: TINY.wDim }, (_, i) => (i >= 4 && i < 12 ? 1 : 0)));
    const d1 = tf.square(tf.sub(linear(tf.add(w, tf.mul(tf.reshape(pIn, [n, TINY.wDim]), axes)) as tf.Tensor2D), linear(w))).arraySync() as number[][][][];
    const shares = d1.map((img) => {
      const mean = (rows: number[][][]) => rows.flat(2).reduce((s, v) => s + v, 0) / (rows.length * 16 * 3);
      const inside = mean(img.slice(0, 8));
      const outside = mean(img.slice(8));
      return outside / (outside + inside);
    });
    // float32 sums of 768 squares in two orders: agreement to 1e-4 of a share in [0, 1].
    expect(t.lOut.dataSync()[0]).toBeCloseTo(shares.reduce((s, v) => s + v, 0) / n, 4);
    const small = linkganTerms(linear, w, top, tf.mul(pIn, 0.01) as tf.Tensor3D, tf.mul(pOut, 0.01) as tf.Tensor3D, ratio).perRegion[0]!;
    // (w + 0.01·p) − w keeps about 5 of float32's digits.
    expect(small.lOut.dataSync()[0]).toBeCloseTo(t.lOut.dataSync()[0]!, 4);
    expect(small.lIn.dataSync()[0]).toBeCloseTo(t.lIn.dataSync()[0]!, 4);
    // The paper's form, by contrast, falls with the square of the change.
    const e = linkganTerms(linear, w, top, pIn, pOut, energy).perRegion[0]!;
    const eSmall = linkganTerms(linear, w, top, tf.mul(pIn, 0.01) as tf.Tensor3D, tf.mul(pOut, 0.01) as tf.Tensor3D, energy).perRegion[0]!;
    expect(eSmall.lOut.dataSync()[0]! / e.lOut.dataSync()[0]!).toBeCloseTo(1e-4, 6);
    // A per-image mask that is empty for the second image: only the first counts.
    const perImage = tf.concat([half, tf.zeros([1, 16, 16, 1])], 0) as tf.Tensor4D;
    const partial = linkganTerms(linear, w, [{ ...top[0]!, mask: perImage }], pIn, pOut, ratio).perRegion[0]!;
    expect(partial.lOut.dataSync()[0]).toBeCloseTo(shares[0]!, 4);
  });

  it('a semantic region compares two images on the union of their masks ("union"), or on the unperturbed image\'s mask', () => {
    const a = tf.tensor2d(rng.normals(TINY.wDim * 16 * 16 * 3), [TINY.wDim, 16 * 16 * 3]);
    const linear = (ws: tf.Tensor2D) => tf.reshape(tf.matMul(ws, a), [ws.shape[0], 16, 16, 3]) as tf.Tensor4D;
    // An image-dependent mask: where the red channel is positive (about half of the pixels, a different half per image).
    const redMask = (img: tf.Tensor4D) => tf.cast(tf.greater(tf.slice(img, [0, 0, 0, 0], [-1, -1, -1, 1]), 0), "float32") as tf.Tensor4D;
    const region = [{ name: "red", axes: { start: 4, end: 12 }, mask: redMask }];
    const pIn = p();
    const pOut = p();
    const axes = Array.from({ length: TINY.wDim }, (_, i) => (i >= 4 && i < 12 ? 1 : 0));
    const code = (d: tf.Tensor3D, keep: number[]) => tf.add(w, tf.mul(tf.reshape(d, [n, TINY.wDim]), tf.tensor1d(keep))) as tf.Tensor2D;
    const x = linear(w).arraySync() as number[][][][];
    const x1 = linear(code(pIn, axes)).arraySync() as number[][][][];
    const x2 = linear(code(pOut, axes.map((v) => 1 - v))).arraySync() as number[][][][];
    /** Mean over images of the wrong side's share of the mean squared change, on mask(x) or mask(x) ∪ mask(other). */
    const share = (other: number[][][][], union: boolean, wrongInside: boolean) => {
      let total = 0;
      for (let j = 0; j < n; j++) {
        const s = { in: 0, out: 0, nIn: 0, nOut: 0 };
        for (let r = 0; r < 16; r++) {
          for (let c = 0; c < 16; c++) {
            const inside = x[j]![r]![c]![0]! > 0 || (union && other[j]![r]![c]![0]! > 0);
            const d = [0, 1, 2].reduce((acc, ch) => acc + (other[j]![r]![c]![ch]! - x[j]![r]![c]![ch]!) ** 2, 0) / 3;
            if (inside) {
              s.in += d;
              s.nIn++;
            } else {
              s.out += d;
              s.nOut++;
            }
          }
        }
        const i = s.in / s.nIn;
        const o = s.out / s.nOut;
        total += wrongInside ? i / (i + o) : o / (o + i);
      }
      return total / n;
    };
    for (const semanticMasks of ["union", "unperturbed"] as const) {
      const t = linkganTerms(linear, w, region, pIn, pOut, LinkGanConfig.parse({ form: "ratio", semanticMasks })).perRegion[0]!;
      const union = semanticMasks === "union";
      expect(t.lOut.dataSync()[0]).toBeCloseTo(share(x1, union, false), 4);
      expect(t.lIn.dataSync()[0]).toBeCloseTo(share(x2, union, true), 4);
    }
    // The two choices differ on these images (each x1 reddens pixels that x does not).
    const lOut = (semanticMasks: "union" | "unperturbed") => linkganTerms(linear, w, region, pIn, pOut, LinkGanConfig.parse({ form: "ratio", semanticMasks })).perRegion[0]!.lOut.dataSync()[0]!;
    expect(Math.abs(lOut("union") - lOut("unperturbed"))).toBeGreaterThan(0.01);
  });

  it("a generator step with links gives finite gradients for every trainable generator weight", () => {
    const dCfg = DiscriminatorConfig.parse({ resolution: 16, channelBase: 64, channelMax: 8, mbstdGroup: 2 });
    const vars = (specs: ReturnType<typeof discriminatorParamSpecs>, values: Map<string, Float32Array>) =>
      Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(values.get(s.name)!, s.shape), s.trainable)]));
    const gSpecs = generatorParamSpecs(TINY);
    const nets: Nets = { gCfg: TINY, dCfg, G: vars(gSpecs, tinyValues(1)), D: vars(discriminatorParamSpecs(dCfg), initParams(discriminatorParamSpecs(dCfg), 2)) };
    const r: StepRandom = {
      z: tf.tensor2d(rng.normals(n * TINY.zDim), [n, TINY.zDim]),
      zMix: tf.tensor2d(rng.normals(n * TINY.zDim), [n, TINY.zDim]),
      mixCutoff: 3,
      noise,
      pIn: tf.tensor3d(rng.normals(2 * n * TINY.wDim), [2, n, TINY.wDim]),
      pOut: tf.tensor3d(rng.normals(2 * n * TINY.wDim), [2, n, TINY.wDim]),
    };
    const regions = [
      { name: "a", axes: { start: 0, end: 8 }, mask: region(1).mask },
      { name: "b", axes: { start: 8, end: 16 }, mask: tf.zeros([1, 16, 16, 1]) as tf.Tensor4D },
    ];
    let link: number[] = [];
    const gVars = gSpecs.filter((s) => s.trainable).map((s) => nets.G[s.name] as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const res = gMainLoss(nets, r, { cfg, regions });
      link = res.link!.perRegion.flatMap((t) => [t.lIn.dataSync()[0]!, t.lOut.dataSync()[0]!]);
      return res.loss;
    }, gVars);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(link).toHaveLength(4);
    for (const s of gSpecs.filter((s) => s.trainable)) {
      const g = grads[nets.G[s.name]!.name];
      expect(g, s.name).toBeDefined();
      expect(Array.from(g!.dataSync()).every(Number.isFinite), s.name).toBe(true);
    }
  });

  it('"replace" mode on part of the batch: the first M images, their axes taken from mapping(z′), equal the direct computation', () => {
    const dCfg = DiscriminatorConfig.parse({ resolution: 16, channelBase: 64, channelMax: 8, mbstdGroup: 2 });
    const nets: Nets = { gCfg: TINY, dCfg, G, D: Object.fromEntries(discriminatorParamSpecs(dCfg).map((s) => [s.name, tf.tensor(initParams(discriminatorParamSpecs(dCfg), 2).get(s.name)!, s.shape)])) } as unknown as Nets;
    const big = 4;
    const m = 2;
    const bigNoise = convLayers(TINY).map((l) => tf.tensor4d(rng.normals(big * l.res * l.res), [big, l.res, l.res, 1]));
    const r: StepRandom = {
      z: tf.tensor2d(rng.normals(big * TINY.zDim), [big, TINY.zDim]),
      zMix: tf.tensor2d(rng.normals(big * TINY.zDim), [big, TINY.zDim]),
      mixCutoff: 100,
      noise: bigNoise,
      pIn: tf.tensor3d(rng.normals(m * TINY.zDim), [1, m, TINY.zDim]),
      pOut: tf.tensor3d(rng.normals(m * TINY.zDim), [1, m, TINY.zDim]),
    };
    const half = tf.concat([tf.ones([1, 8, 16, 1]), tf.zeros([1, 8, 16, 1])], 1) as tf.Tensor4D;
    const replace = LinkGanConfig.parse({ lambdaIn: 1, lambdaOut: 1, mode: "replace", samples: m });
    const res = gMainLoss(nets, r, { cfg: replace, regions: [{ name: "top", axes: { start: 4, end: 12 }, mask: half }] });
    expect(res.perturbed!.shape).toEqual([2 * m, 16, 16, 3]);
    // Direct: the first m images, with the region's axes (or the others) of mapping(z′).
    const z = tf.slice(r.z, 0, m) as tf.Tensor2D;
    const noiseM = bigNoise.map((t) => tf.slice(t, 0, m) as tf.Tensor4D);
    const w = mapping(G, TINY, z);
    const axes = tf.tensor1d(Array.from({ length: TINY.wDim }, (_, i) => (i >= 4 && i < 12 ? 1 : 0)));
    const mix = (other: tf.Tensor2D, mask: tf.Tensor1D) => tf.add(tf.mul(w, tf.sub(1, mask)), tf.mul(other, mask)) as tf.Tensor2D;
    const x = synthesis(G, TINY, w, noiseM);
    const x1 = synthesis(G, TINY, mix(mapping(G, TINY, tf.reshape(r.pIn!, [m, TINY.zDim]) as tf.Tensor2D), axes), noiseM);
    const x2 = synthesis(G, TINY, mix(mapping(G, TINY, tf.reshape(r.pOut!, [m, TINY.zDim]) as tf.Tensor2D), tf.sub(1, axes) as tf.Tensor1D), noiseM);
    const lOut = tf.mean(tf.square(tf.mul(tf.sub(1, half), tf.sub(x1, x)))).dataSync()[0]!;
    const lIn = tf.mean(tf.square(tf.mul(half, tf.sub(x2, x)))).dataSync()[0]!;
    expect(res.link!.perRegion[0]!.lOut.dataSync()[0]).toBeCloseTo(lOut, 5);
    expect(res.link!.perRegion[0]!.lIn.dataSync()[0]).toBeCloseTo(lIn, 5);
    expect(lOut).toBeGreaterThan(0);
  });

  it("a semantic region uses the segmenter's mask of each image, with no gradient through the segmenter", () => {
    const segCfg = SegmenterConfig.parse({ resolution: 16, classes: ["other", "blob"], channels: [4, 4] });
    const segmenter = Segmenter.fromValues(segCfg, initParams(segmenterParamSpecs(segCfg), 9));
    const fn = semanticMask(segmenter, "blob");
    const pIn = p();
    const pOut = p();
    const x = render(w);
    const perImage = fn(x);
    expect(perImage.shape).toEqual([n, 16, 16, 1]);
    const inside = Array.from(perImage.dataSync()).reduce((a, b) => a + b, 0);
    expect(inside).toBeGreaterThan(0); // both terms are then non-trivial
    expect(inside).toBeLessThan(n * 256);
    // With the unperturbed image's mask, the same terms as with that mask given as a tensor.
    const unperturbed = LinkGanConfig.parse({ ...cfg, semanticMasks: "unperturbed" });
    const viaFn = linkganTerms(render, w, [{ name: "s", axes: { start: 0, end: 8 }, mask: fn }], pIn, pOut, unperturbed).perRegion[0]!;
    const viaTensor = linkganTerms(render, w, [{ name: "s", axes: { start: 0, end: 8 }, mask: perImage }], pIn, pOut, cfg).perRegion[0]!;
    expect(viaFn.lIn.dataSync()[0]).toBeCloseTo(viaTensor.lIn.dataSync()[0]!, 6);
    expect(viaFn.lOut.dataSync()[0]).toBeCloseTo(viaTensor.lOut.dataSync()[0]!, 6);
    // The ratio form differentiates through a per-image mask too (its areas are constants of the step).
    const ratio = LinkGanConfig.parse({ form: "ratio" });
    const gw = tf.grad((code: tf.Tensor) => linkganTerms(render, code as tf.Tensor2D, [{ name: "s", axes: { start: 0, end: 8 }, mask: fn }], pIn, pOut, ratio).loss)(w);
    const gwValues = Array.from(gw.dataSync());
    expect(gwValues.every(Number.isFinite)).toBe(true);
    expect(gwValues.some((v) => v !== 0)).toBe(true);
    // d(mask)/dx is zero: the generator learns only through the masked differences.
    const gx = tf.grad((img: tf.Tensor) => tf.sum(tf.mul(fn(img as tf.Tensor4D), 3)))(x);
    expect(Array.from(gx.dataSync()).every((v) => v === 0)).toBe(true);
    segmenter.dispose();
  });
});
