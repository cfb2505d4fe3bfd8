import { describe, expect, it } from "vitest";
import { packModel } from "../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../test/fixtures/tiny.ts";
import { modelCardMarkdown, quantizationPsnr } from "./export.ts";

describe("export", () => {
  it("measures what quantization costs: int8 ≥ 40 dB, float16 above int8, float32 exact", async () => {
    const values = tinyValues(1);
    const i8 = await quantizationPsnr(TINY, values, "int8", 4);
    const f16 = await quantizationPsnr(TINY, values, "float16", 4);
    expect(i8).toBeGreaterThanOrEqual(40);
    expect(f16).toBeGreaterThan(i8);
    expect(await quantizationPsnr(TINY, values, "float32", 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it("the model card compares each region with the baseline and says which targets are met", async () => {
    const loc = (ratios: number[]) => TINY_REGIONS.map((r, i) => ({ region: r.name, ratio: ratios[i]!, mseIn: 1, mseOut: ratios[i]! }));
    const metrics = { linked: { locality: loc([0.1, 0.3, 0.15]), swd: { mean: 10.5 } }, baseline: { locality: loc([0.8, 0.9, 0.5]), swd: { mean: 10 } } };
    const packed = await packModel({ name: "t", generator: TINY, regions: TINY_REGIONS, card: { ...TINY_CARD, metrics }, provenance: { trainer: "test" }, values: tinyValues(1), dtype: "int8" });
    const md = modelCardMarkdown(packed);
    expect(md).toContain("| left-eye | 0.100 | 0.800 | 8.0× | met |");
    expect(md).toContain("| right-eye | 0.300 | 0.900 | 3.0× | missed |");
    expect(md).toContain("| mouth | 0.150 | 0.500 | 3.3× | missed |");
    expect(md).toMatch(/ratio 1\.050 \(target ≤ 1\.10: met\)/);
  });
});
