import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SegmenterTrainConfig } from "./config.ts";
import { openSegmenterData } from "./data.ts";
import { checkClasses, labelMaps } from "./labels.ts";
import { SegmenterTrainer } from "./train.ts";

// A user's folder: 6 images of a bright disc on grey, with masks/disc/<name>.png.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "segmenter-folder-"));
  await mkdir(join(root, "images"));
  await mkdir(join(root, "masks", "disc"), { recursive: true });
  for (let i = 0; i < 6; i++) {
    const rgb = Buffer.alloc(16 * 16 * 3, 90);
    const mask = Buffer.alloc(16 * 16, 0);
    const cx = 4 + i;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        if ((x - cx) ** 2 + (y - 8) ** 2 <= 9) {
          rgb.fill(230, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
          mask[y * 16 + x] = 255;
        }
      }
    }
    await writeFile(join(root, "images", `img${i}.png`), await sharp(rgb, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
    await writeFile(join(root, "masks", "disc", `img${i}.png`), await sharp(mask, { raw: { width: 16, height: 16, channels: 1 } }).png().toBuffer());
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("a segmenter from a user's folder of images and masks", () => {
  it("holds out the last images, labels from masks/<part>/, and trains", async () => {
    const config = SegmenterTrainConfig.parse({
      dataset: { kind: "folder", images: join(root, "images"), masks: join(root, "masks") },
      heldOut: 2,
      segmenter: { resolution: 16, classes: ["other", "disc"], channels: [4, 4] },
      batch: 2,
      steps: 2,
    });
    const data = await openSegmenterData(config);
    expect(data.train.size).toBe(4);
    expect(data.heldOut).toEqual([4, 5]);
    expect(() => data.train.batch([4])).toThrow(/index 4 is held out/);
    checkClasses(config.segmenter.classes, data.train, "config");
    const labels = labelMaps(data.train, config.segmenter.classes, [0, 1, 2, 3]);
    expect(labels[8 * 16 + 4]).toBe(1); // centre of image 0's disc
    expect(labels[0]).toBe(0);
    const t = SegmenterTrainer.create(config, data.train, labels);
    for (let i = 0; i < 2; i++) expect(Number.isFinite((await t.trainStep()).loss)).toBe(true);
    t.dispose();
  });
});
