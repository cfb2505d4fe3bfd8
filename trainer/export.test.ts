import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodePng } from "../shared/png/decode.ts";
import { packModel } from "../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../test/fixtures/tiny.ts";
import { exportModel, modelCardMarkdown, quantizationPsnr } from "./export.ts";
import { TrainConfig } from "./training/config.ts";

describe("export", () => {
  it("measures what quantization costs: int8 ≥ 40 dB, float16 above int8, float32 exact", async () => {
    const values = tinyValues(1);
    const i8 = await quantizationPsnr(TINY, values, "int8", 4);
    const f16 = await quantizationPsnr(TINY, values, "float16", 4);
    expect(i8).toBeGreaterThanOrEqual(40);
    expect(f16).toBeGreaterThan(i8);
    expect(await quantizationPsnr(TINY, values, "float32", 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it("writes the folder a user opens: manifest, shards, MODEL_CARD.md and the two pictures it shows", async () => {
    const dir = await mkdtemp(join(tmpdir(), "export-"));
    try {
      const config = TrainConfig.parse({ generator: TINY, discriminator: { channelBase: 64, channelMax: 8 }, regions: TINY_REGIONS, links: "on", batch: 2, totalKimg: 1 });
      await exportModel({ name: "t", dir, config, values: tinyValues(1), card: TINY_CARD, provenance: { backend: "cpu", run: "runs/t", steps: 1, kimg: 0 } });
      expect((await readdir(dir)).sort()).toEqual(["MODEL_CARD.md", "edits.png", "group1-shard1of1.bin", "manifest.json", "seeds.png"]);
      const md = await readFile(join(dir, "MODEL_CARD.md"), "utf8");
      expect(md).toContain("![Seeds 0–15 at ψ 1](seeds.png)");
      expect(md).toMatch(/!\[Seeds 0–3, each region resampled[^\]]*\]\(edits\.png\)/);
      expect(decodePng(new Uint8Array(await readFile(join(dir, "seeds.png")))).width).toBe(8 * (2 * TINY.resolution + 4) - 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the model card compares each region with the baseline and says which targets are met", async () => {
    const loc = (ratios: number[], mseIn: number[]) => TINY_REGIONS.map((r, i) => ({ region: r.name, ratio: ratios[i]!, mseIn: mseIn[i]!, mseOut: ratios[i]! * mseIn[i]! }));
    const diversity = (stdRatio: number, recall: number) => ({ stdRatio, pairwiseRatio: stdRatio - 0.1, precisionRecall: { precision: 0.1, recall: 0.05 }, layoutPrecisionRecall: { precision: 0.9, recall } });
    const metrics = {
      linked: { locality: loc([0.1, 0.3, 0.15], [1, 1, 0.2]), swd: { mean: 10.5 }, diversity: diversity(0.85, 0.52) },
      baseline: { locality: loc([0.8, 0.9, 0.5], [1, 1, 1]), swd: { mean: 10 }, diversity: diversity(0.9, 0.6) },
    };
    const packed = await packModel({ name: "t", generator: TINY, regions: TINY_REGIONS, card: { ...TINY_CARD, metrics }, provenance: { trainer: "test" }, values: tinyValues(1), dtype: "int8" });
    const md = modelCardMarkdown(packed);
    expect(md).toContain("| left-eye | 0.100 | 0.800 | 8.0× | met | 1.00 | met |");
    expect(md).toContain("| right-eye | 0.300 | 0.900 | 3.0× | missed | 1.00 | met |");
    // Local (0.15 ≤ 0.2, baseline 3.3× worse: under 4×) and an edit gone inert (MSE_i a fifth of the baseline's).
    expect(md).toContain("| mouth | 0.150 | 0.500 | 3.3× | missed | 0.20 | missed |");
    expect(md).toMatch(/ratio 1\.050 \(target ≤ 1\.10: met\)/);
    expect(md).toMatch(/Recall: linked 0\.520, baseline 0\.600 \(target: at least the baseline's \/ 1\.10: missed\)/);
    expect(md).toContain("| linked | 0.850 | 0.750 | 0.900 | 0.520 | 0.100 | 0.050 |");
    expect(md).toMatch(/std ratio ≥ 0\.8 \(met\), pairwise ratio ≥ 0\.7 \(met\), recall ≥ 0\.5 \(met\)/);
    expect(md).not.toContain("union of masks");
  });

  it("a semantic region gets a second row, on the union of both images' masks, judged on its own", async () => {
    const hair = (ratio: number, union: number) => ({ region: "hair", ratio, mseIn: 1, mseOut: ratio, union: { ratio: union, mseIn: 2, mseOut: 2 * union } });
    const metrics = { linked: { locality: [hair(0.4, 0.1)] }, baseline: { locality: [hair(1.2, 0.8)] } };
    const packed = await packModel({ name: "t", generator: TINY, regions: TINY_REGIONS, card: { ...TINY_CARD, metrics }, provenance: { trainer: "test" }, values: tinyValues(1), dtype: "int8" });
    const md = modelCardMarkdown(packed);
    expect(md).toContain("| hair | 0.400 | 1.200 | 3.0× | missed | 1.00 | met |");
    expect(md).toContain("| hair (union of masks) | 0.100 | 0.800 | 8.0× | met | 1.00 | met |");
    expect(md).toMatch(/"union of masks" row takes the pixels in the mask of either image/);
  });
});
