import { describe, expect, it } from "vitest";
import { CONFIGS } from "../../shared/generator/configs.ts";
import { coneShares, generatorFlops } from "./work.ts";

describe("the bench's work count", () => {
  it("counts the tiny config's mapping and 4 px block by hand", () => {
    const f = generatorFlops(CONFIGS.tiny); // z 32 → w 32, 2 mapping layers; 32 channels at 4 px
    expect(f.mapping).toBe(2 * 32 * 32 * 2);
    // conv1: 16 pixels × 32 × 32 × 9 MACs + its affine; toRGB: 16 × 32 × 3 + its affine.
    expect(f.byRes.get(4)).toBe(2 * 16 * 32 * 32 * 9 + 2 * 32 * 32 + (2 * 16 * 32 * 3 + 2 * 32 * 32));
    expect(f.total).toBe(f.mapping + [...f.byRes.values()].reduce((a, b) => a + b, 0));
    expect([...f.byRes.keys()]).toEqual([4, 8, 16]);
  });

  it("a mask over the whole image needs all the work; a small one little of the top block and more of each lower one", () => {
    expect([...coneShares(CONFIGS.faces64, [0, 0, 64, 64]).values()]).toEqual([1, 1, 1, 1, 1]);
    const small = coneShares(CONFIGS.faces64, [30, 30, 34, 34]);
    expect(small.get(64)!).toBeLessThan(0.01);
    expect(small.get(64)!).toBeGreaterThan(0);
    const byRes = [64, 32, 16, 8, 4].map((r) => small.get(r)!);
    for (let i = 1; i < byRes.length; i++) expect(byRes[i]!).toBeGreaterThanOrEqual(byRes[i - 1]!);
    expect(small.get(4)).toBe(1);
    // A larger box needs more of the top block.
    expect(coneShares(CONFIGS.faces64, [22, 22, 42, 42]).get(64)!).toBeGreaterThan(small.get(64)!);
  });
});
