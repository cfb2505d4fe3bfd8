import { describe, expect, it } from "vitest";
import { initParams } from "../../shared/generator/params.ts";
import { Prng } from "../../shared/random/prng.ts";
import { generatorParamSpecs } from "../../shared/generator/params.ts";
import { TINY } from "../../test/fixtures/tiny.ts";
import { AugmentConfig, augment, drawAugmentParams } from "../augment/diffaugment.ts";
import { type Nets, dRegLoss, r1Penalty } from "../loss/stylegan2.ts";
import { tf } from "../tf-node.ts";
import { DiscriminatorConfig, blurForDownsample, discriminator, discriminatorParamSpecs } from "./discriminator.ts";

const dCfg = DiscriminatorConfig.parse({ resolution: 16, channelBase: 64, channelMax: 8, mbstdGroup: 2 });

// Fixed augmentation parameters (every transform applied), so each finite-difference evaluation
// sees the same augmented images, as one R1 step does.
const fixedAugment = drawAugmentParams(AugmentConfig.parse({}), 1, 4, 16, new Prng(21));

function nets(cfg: DiscriminatorConfig = dCfg): Nets {
  const vars = (specs: ReturnType<typeof discriminatorParamSpecs>, seed: number) => {
    const v = initParams(specs, seed);
    return Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(v.get(s.name)!, s.shape), true, `${s.name}-${seed}-${Math.random()}`)]));
  };
  return { gCfg: TINY, dCfg: cfg, G: vars(generatorParamSpecs(TINY), 1), D: vars(discriminatorParamSpecs(cfg), 2) };
}

const reals = () => tf.tensor4d(new Prng(5).normals(4 * 16 * 16 * 3).map((v) => 0.5 * v), [4, 16, 16, 3]);

describe("discriminator", () => {
  it("gives one finite logit per image and rejects a batch not divisible by the mbstd group", () => {
    const n = nets();
    const y = discriminator(n.D, dCfg, reals());
    expect(y.shape).toEqual([4, 1]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    expect(() => discriminator(n.D, dCfg, tf.zeros([3, 16, 16, 3]) as tf.Tensor4D)).toThrow(/not divisible/);
  });

  // R1 = E‖∇ₓD‖² is only piecewise smooth in D's weights: the leaky ReLU's slope jumps where a
  // pre-activation changes sign, and first-layer weights flip many of them, so there a finite
  // difference swings with ε. Compare only where it is well-defined (two step sizes agree to 1%),
  // and require most coordinates, from every layer kind, to be comparable.
  it("blurs before downsampling with StyleGAN2's [1, 3, 3, 1] filter: equal to the padded 4×4 filter, blind to the Nyquist checkerboard", () => {
    const x = tf.tensor4d(new Prng(8).normals(2 * 8 * 6 * 3), [2, 8, 6, 3]);
    const f = [1, 3, 3, 1];
    const k2 = tf.tensor4d(f.flatMap((a) => f.flatMap((b) => [a * b, a * b, a * b].map((v) => v / 64))), [4, 4, 3, 1]);
    const direct = tf.depthwiseConv2d(tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]), k2, 1, "valid");
    const got = blurForDownsample(x);
    expect(got.shape).toEqual([2, 9, 7, 3]);
    expect(tf.max(tf.abs(tf.sub(got, direct))).dataSync()[0]).toBeLessThan(1e-6);
    // (−1)^(i+j) has all its energy at the Nyquist frequency, where 1 − 3 + 3 − 1 = 0.
    const checker = tf.tensor4d(Array.from({ length: 16 * 16 }, (_, i) => ((Math.floor(i / 16) + i) % 2 ? -1 : 1)), [1, 16, 16, 1]);
    const inner = tf.slice(blurForDownsample(checker), [0, 3, 3, 0], [1, 11, 11, 1]);
    expect(tf.max(tf.abs(inner)).dataSync()[0]).toBeLessThan(1e-6);
    // The blurred D has the same parameters and gives one logit per image.
    const blurred = DiscriminatorConfig.parse({ ...dCfg, downsample: "blur" });
    expect(discriminatorParamSpecs(blurred)).toEqual(discriminatorParamSpecs(dCfg));
    expect(discriminator(nets(blurred).D, blurred, reals()).shape).toEqual([4, 1]);
  });

  it.each([
    ["", undefined, dCfg],
    [" through DiffAugment (colour, translation, cutout)", (x: tf.Tensor4D) => augment(x, fixedAugment), dCfg],
    [" with the blur before downsampling", undefined, DiscriminatorConfig.parse({ ...dCfg, downsample: "blur" })],
  ])("R1's gradient w.r.t. D's weights (a double backward)%s matches central finite differences", (_, aug, cfg) => {
    const n = { ...nets(cfg), ...(aug ? { augment: aug } : {}) };
    const x = reals();
    const { grads } = tf.variableGrads(() => dRegLoss(n, x, { r1Gamma: 2, r1Interval: 1, plWeight: 0, plInterval: 4, plDecay: 0.01, styleMixing: 0 }).loss);
    const rng = new Prng(11);
    const names = Object.keys(n.D);
    let compared = 0;
    let tried = 0;
    for (const name of names) {
      const v = n.D[name]!;
      // R1 does not depend on the output bias: tfjs then returns no gradient, i.e. zero.
      const g = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
      const vals = v.dataSync().slice();
      for (let t = 0; t < 2; t++) {
        const i = Math.floor(rng.uniform() * vals.length);
        const fdAt = (eps: number) => {
          const at = (delta: number) => {
            const copy = vals.slice();
            copy[i]! += delta;
            v.assign(tf.tensor(copy, v.shape));
            return r1Penalty(n, x).dataSync()[0]!; // γ/2 · interval = 1
          };
          const d = (at(eps) - at(-eps)) / (2 * eps);
          v.assign(tf.tensor(vals, v.shape));
          return d;
        };
        tried++;
        const a = fdAt(3e-3);
        const b = fdAt(1e-3);
        if (Math.abs(a - b) > 0.01 * Math.max(Math.abs(a), 1e-3)) continue; // a kink within ε
        compared++;
        const scale = Math.max(Math.abs(a), Math.abs(g[i]!), 1e-3);
        expect(Math.abs(a - g[i]!) / scale, `${name}[${i}]: analytic ${g[i]} vs finite differences ${a}`).toBeLessThan(0.02);
      }
    }
    // About half the points sit near a kink of this small random D in float32 (17–21 of 36 were
    // compared, with tfjs's Conv2DBackpropInput and with shared/gradients' conv form alike): enough
    // must be compared for the check to mean something.
    expect(compared).toBeGreaterThanOrEqual(Math.ceil(tried / 3));
  });
});
