import { describe, expect, it } from "vitest";
import { numWs } from "../../shared/generator/config.ts";
import { mapping, synthesis } from "../../shared/generator/network.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { Prng } from "../../shared/random/prng.ts";
import { TINY } from "../../test/fixtures/tiny.ts";
import { tf } from "../tf-node.ts";
import { DiscriminatorConfig, discriminator, discriminatorParamSpecs } from "./discriminator.ts";

// The fast networks (tf.leakyRelu) and the second-order ones (0.6·x + 0.4·|x|) are one function:
// equal outputs, and equal gradients w.r.t. every parameter and the input.
const vars = (specs: ReturnType<typeof generatorParamSpecs>, seed: number) => {
  const v = initParams(specs, seed);
  return Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(v.get(s.name)!, s.shape), true, `bo-${s.name}-${seed}-${Math.random()}`)]));
};
const maxRelDiff = (a: tf.Tensor, b: tf.Tensor) => {
  const x = a.dataSync();
  const y = b.dataSync();
  let scale = 1e-6;
  let diff = 0;
  for (let i = 0; i < x.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
  }
  return diff / scale;
};

describe("fast and second-order builds", () => {
  it("the generator: same images and the same gradients", () => {
    const G = vars(generatorParamSpecs(TINY), 3);
    const z = tf.tensor2d(new Prng(1).normals(2 * TINY.zDim), [2, TINY.zDim]);
    const target = tf.tensor4d(new Prng(2).normals(2 * TINY.resolution ** 2 * 3), [2, TINY.resolution, TINY.resolution, 3]);
    const run = (secondOrder: boolean) =>
      tf.variableGrads(() => {
        const w = mapping(G, TINY, z, 1, { secondOrder });
        const ws = tf.tile(tf.expandDims(w, 1), [1, numWs(TINY), 1]);
        return tf.sum(tf.mul(synthesis(G, TINY, ws, "zeros", { secondOrder }), target)) as tf.Scalar;
      });
    const fast = run(false);
    const safe = run(true);
    expect(Math.abs(fast.value.dataSync()[0]! - safe.value.dataSync()[0]!) / Math.abs(safe.value.dataSync()[0]!)).toBeLessThan(1e-5);
    expect(Object.keys(fast.grads).length).toBeGreaterThan(10);
    for (const k of Object.keys(safe.grads)) expect(maxRelDiff(fast.grads[k]!, safe.grads[k]!), k).toBeLessThan(1e-4);
  });

  it("the generator with zero-edge upsampling: the transposed convs give the reference's images and gradients", () => {
    const cfg = { ...TINY, upsampleEdges: "zero" as const };
    const G = vars(generatorParamSpecs(cfg), 5);
    const ws = tf.tensor2d(new Prng(3).normals(2 * cfg.wDim), [2, cfg.wDim]);
    const target = tf.tensor4d(new Prng(4).normals(2 * cfg.resolution ** 2 * 3), [2, cfg.resolution, cfg.resolution, 3]);
    const run = (reference: boolean) => tf.variableGrads(() => tf.sum(tf.mul(synthesis(G, cfg, ws, "zeros", { reference }), target)) as tf.Scalar);
    const fast = run(false);
    const ref = run(true);
    expect(maxRelDiff(fast.value, ref.value)).toBeLessThan(1e-5);
    for (const k of Object.keys(ref.grads)) expect(maxRelDiff(fast.grads[k]!, ref.grads[k]!), k).toBeLessThan(1e-4);
    // …and it is a different function from the replicated-edge one (the edges differ).
    const replicate = synthesis(G, TINY, ws, "zeros");
    expect(maxRelDiff(replicate, synthesis(G, cfg, ws, "zeros"))).toBeGreaterThan(1e-3);
  });

  it("the discriminator: same logits and the same gradients w.r.t. weights and images", () => {
    const dCfg = DiscriminatorConfig.parse({ resolution: 16, channelBase: 64, channelMax: 8, mbstdGroup: 2 });
    const D = vars(discriminatorParamSpecs(dCfg), 4);
    const x = tf.tensor4d(new Prng(5).normals(4 * 16 * 16 * 3), [4, 16, 16, 3]);
    const run = (secondOrder: boolean) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.softplus(discriminator(D, dCfg, x, { secondOrder }))) as tf.Scalar);
      const dx = tf.grad((img: tf.Tensor) => tf.sum(discriminator(D, dCfg, img as tf.Tensor4D, { secondOrder })))(x);
      return { value, grads, dx };
    };
    const fast = run(false);
    const safe = run(true);
    expect(maxRelDiff(fast.value, safe.value)).toBeLessThan(1e-5);
    expect(maxRelDiff(fast.dx, safe.dx)).toBeLessThan(1e-4);
    for (const k of Object.keys(safe.grads)) expect(maxRelDiff(fast.grads[k]!, safe.grads[k]!), k).toBeLessThan(1e-4);
  });
});
