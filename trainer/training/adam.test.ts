import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { tf } from "../tf-node.ts";
import { Adam, FusedAdam } from "./adam.ts";

let id = 0;
const params = () => {
  const rng = new Prng(1);
  const shapes: Record<string, number[]> = { a: [3, 4], b: [5], c: [2, 2, 3] };
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.variable(tf.tensor(rng.normals(s.reduce((x, y) => x * y, 1)), s), true, `adam-${k}-${id++}`)]));
};

describe("FusedAdam", () => {
  it("equals the per-parameter Adam step for step, including steps where some parameters have no gradient, and across save/load", async () => {
    for (const beta1 of [0, 0.9]) {
      const pa = params();
      const pb = params();
      const ref = new Adam(0.01, beta1, 0.99);
      const fused = new FusedAdam(0.01, beta1, 0.99);
      const rng = new Prng(2);
      const gradsFor = (p: Record<string, tf.Variable>, skip: string | null, seed: number) =>
        Object.fromEntries(Object.entries(p).filter(([k]) => k !== skip).map(([k, v]) => [v.name, tf.tensor(new Prng(seed, k.charCodeAt(0)).normals(v.size), v.shape)]));
      for (let step = 0; step < 12; step++) {
        const skip = step % 4 === 3 ? "b" : null; // like R1, which gives D's output bias no gradient
        const seed = Math.floor(rng.uniform() * 1e6);
        ref.step(pa, gradsFor(pa, skip, seed));
        fused.step(pb, gradsFor(pb, skip, seed));
        if (step === 6) {
          // A checkpoint round trip in the middle, through the other class's format.
          const saved = await fused.state("opt/");
          const refState = await ref.state("opt/");
          expect([...saved.keys()].sort()).toEqual([...refState.keys()].sort());
          fused.load("opt/", saved);
        }
      }
      for (const k of Object.keys(pa)) {
        const x = pa[k]!.dataSync();
        const y = pb[k]!.dataSync();
        for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!), `β1 ${beta1}, ${k}[${i}]`).toBeLessThan(1e-6);
      }
      const [sa, sb] = [await ref.state(""), await fused.state("")];
      for (const [k, d] of sa) for (let i = 0; i < d.data.length; i++) expect(Math.abs(d.data[i]! - sb.get(k)!.data[i]!)).toBeLessThan(1e-6);
    }
  });
});
