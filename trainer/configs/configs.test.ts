import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TrainConfig } from "../training/config.ts";

describe("shipped training configs", async () => {
  const dir = "trainer/configs";
  const files = (await readdir(dir)).filter((f) => f.endsWith(".json"));
  it("exist", () => expect(files.length).toBeGreaterThanOrEqual(3));
  for (const f of files) {
    it(`${f} is a valid TrainConfig with a dataset`, async () => {
      const c = TrainConfig.parse(JSON.parse(await readFile(join(dir, f), "utf8")));
      expect(c.dataset).toBeDefined();
    });
  }
});
