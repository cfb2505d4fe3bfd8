import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EncoderTrainConfig } from "../encoder/config.ts";
import { SegmenterTrainConfig } from "../segmenter/config.ts";
import { TrainConfig } from "../training/config.ts";

describe("shipped training configs", async () => {
  const dir = "trainer/configs";
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json"));
  it("exist", () => expect(files.length).toBeGreaterThanOrEqual(3));
  for (const f of files) {
    // A segmenter config says so by its "segmenter" network config (generator configs pin one by path).
    // An encoder config (#14) says so by its "encoder" network config; its model comes from --model.
    it(`${f} is a valid TrainConfig with a dataset, a SegmenterTrainConfig or an EncoderTrainConfig`, async () => {
      const raw = JSON.parse(await readFile(join(dir, f), "utf8"));
      if (raw.segmenter?.classes) {
        SegmenterTrainConfig.parse(raw);
        return;
      }
      const c = raw.encoder ? EncoderTrainConfig.parse(raw) : TrainConfig.parse(raw);
      if (raw.encoder) {
        expect(c.segmenter, `${f}: the perceptual term's segmenter is pinned`).toBeDefined();
      } else expect(c.dataset).toBeDefined();
      if (c.segmenter) {
        const m = JSON.parse(await readFile(join(c.segmenter.path, "manifest.json"), "utf8"));
        expect(m.version, `${f}: the pinned segmenter ${c.segmenter.path} is shipped at that version`).toBe(c.segmenter.version);
      }
    });
  }
});
