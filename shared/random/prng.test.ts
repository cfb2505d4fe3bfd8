import { describe, expect, it } from "vitest";
import { Prng, exactLn, latentFromSeed, noiseFromSeed } from "./prng.ts";

// Golden values: this suite runs in Node and inside workerd (and the browser suite imports it), so
// equal results here mean equal latents everywhere. They change only if the PRNG changes.
describe("Prng", () => {
  it("produces the golden uint32 stream for seed 7", () => {
    const r = new Prng(7);
    expect(Array.from({ length: 4 }, () => r.nextU32())).toEqual([2379203452, 3996110615, 3384633652, 1823976412]);
  });

  it("produces the golden Float32 latent for seed 7", () => {
    expect(Array.from(latentFromSeed(7, 6))).toEqual([
      0.2691250741481781, 1.4368565082550049, -0.2635144591331482, 0.17652052640914917, -1.0634733438491821,
      -1.2530864477157593,
    ]);
    expect(Array.from(new Prng(0, 3).normals(4))).toEqual([-0.1225433200597763, -0.9748557209968567, 0.2680107057094574, 0.19615688920021057]);
  });

  it("draws standard normals", () => {
    const x = new Prng(42).normals(100_000);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it("keeps streams of one seed independent and seeds distinct", () => {
    const z = latentFromSeed(5, 64);
    const n0 = noiseFromSeed(5, 0, 8);
    expect(Array.from(z)).not.toEqual(Array.from(n0));
    expect(Array.from(latentFromSeed(6, 64))).not.toEqual(Array.from(z));
    // the stream id must not alias another seed (seed s stream 1 vs seed s^k stream 0)
    expect(new Prng(0, 1).nextU32()).not.toBe(new Prng(1, 0).nextU32());
    // nor may streams of one seed start alike (xoshiro's first output depends on one word only)
    const firsts = new Set(Array.from({ length: 16 }, (_, s) => new Prng(7, s).nextU32()));
    expect(firsts.size).toBe(16);
  });

  it("resumes exactly from a saved state, spare normal included", () => {
    const a = new Prng(9);
    a.normal(); // leaves a spare
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = Prng.fromState(saved);
    expect(Array.from(b.normals(10))).toEqual(Array.from(a.normals(10)));
  });

  it("rejects seeds that are not uint32", () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => new Prng(bad)).toThrow(/seed must be an integer/);
  });
});

describe("exactLn", () => {
  it("matches Math.log to ~1e-15 on (0, 1]", () => {
    for (const x of [1, 0.5, 0.1, 1e-3, 1e-9, 0.999999, 2 ** -40]) expect(Math.abs(exactLn(x) - Math.log(x))).toBeLessThan(1e-14);
  });
  it("refuses non-positive input", () => {
    expect(() => exactLn(0)).toThrow(RangeError);
  });
});
