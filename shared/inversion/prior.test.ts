import "../../test/gradients.ts";
import { describe, expect, it } from "vitest";
import { TINY, tinyValues } from "../../test/fixtures/tiny.ts";
import { Generator } from "../generator/generator.ts";
import { tf } from "../tf.ts";
import { PRIOR_SAMPLES, latentPrior, meanSquaredZ, priorPenalty, toPSpace } from "./prior.ts";
import { project } from "./projector.ts";

// Runs in Node and inside workerd, as the projector does.

const D = TINY.wDim;

describe("latent prior", () => {
  const g = Generator.fromValues(TINY, tinyValues(1));

  it("scores mapped codes about 1 and codes off W's distribution far higher", async () => {
    const prior = await latentPrior(g);
    expect(await latentPrior(g)).toBe(prior); // computed once per generator
    const fresh = await g.mapSeeds(Array.from({ length: 256 }, (_, i) => 77 + i), 1);
    const score = fresh.map((w) => meanSquaredZ(toPSpace(w), prior)).reduce((a, v) => a + v, 0) / fresh.length;
    expect(score).toBeGreaterThan(0.7);
    expect(score).toBeLessThan(1.3);
    const off = fresh.map((w) => w.map((v) => v * 3 - 1));
    expect(off.map((w) => meanSquaredZ(toPSpace(w), prior)).reduce((a, v) => a + v, 0) / off.length).toBeGreaterThan(5);
    expect(PRIOR_SAMPLES).toBeGreaterThanOrEqual(1024);
  });

  it("priorPenalty's tensor form equals the reference, in W and in W+", async () => {
    const prior = await latentPrior(g);
    const ws = [Float32Array.from({ length: D }, (_, i) => Math.sin(i) * 2), Float32Array.from({ length: D }, (_, i) => (i % 3) - 1.2)];
    const stats = { mean: tf.tensor1d(prior.mean), std: tf.tensor1d(prior.std) };
    const inW = tf.tidy(() => priorPenalty(tf.tensor2d([...ws[0]!, ...ws[1]!], [2, D]), stats));
    const plus = tf.tidy(() => priorPenalty(tf.tensor3d([...ws[0]!, ...ws[1]!, ...ws[1]!, ...ws[0]!], [1, 4, D]), stats));
    const want = ws.map((w) => meanSquaredZ(toPSpace(w), prior));
    const got = await inW.data();
    for (const [i, v] of want.entries()) expect(got[i]).toBeCloseTo(v, 4);
    expect((await plus.data())[0]).toBeCloseTo((want[0]! + want[1]!) / 2, 4);
    tf.dispose([inW, plus, stats.mean, stats.std]);
  });

  it("pulls the projector's codes towards W's distribution", async () => {
    const prior = await latentPrior(g);
    const [target] = await g.render(await g.mapSeeds([5], 1), "zeros");
    const start = Float32Array.from({ length: D }, (_, i) => (i % 2 ? 2.5 : -1.5));
    const opts = { steps: 30, lr: 0.05, weights: { perceptual: 0 } };
    const [free] = await project(g, [target!], [start], opts);
    const [held] = await project(g, [target!], [start], { ...opts, prior: 0.3 });
    expect(meanSquaredZ(toPSpace(held!.w), prior)).toBeLessThan(meanSquaredZ(toPSpace(free!.w), prior) * 0.8);
    await expect(project(g, [target!], [start], { ...opts, prior: -1 })).rejects.toThrow(/prior must be ≥ 0/);
  });
});
