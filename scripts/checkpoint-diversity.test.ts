/**
 * npm run checkpoint-diversity as a user runs it: a tiny run's checkpoint (random weights, the tiny
 * fixture's random segmenter pinned) gets one table row of figures in [0, 1], after a row for other
 * dataset faces with --dataset-row; a folder that is not a GAN checkpoint is named in the error.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeModelDir } from "../shared/weights/file-source.ts";
import { packSegmenter } from "../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_SEGMENTER, tinySegmenterValues } from "../test/fixtures/tiny.ts";
import { openDataset } from "../trainer/data/open.ts";
import { TrainConfig } from "../trainer/training/config.ts";
import { Trainer } from "../trainer/training/trainer.ts";
import "../trainer/tf-node.ts";

const run = promisify(execFile);
const script = (...args: string[]) => run("node", ["--import", "tsx", "scripts/checkpoint-diversity.ts", ...args], { timeout: 120_000 });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "checkpoint-diversity-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run checkpoint-diversity", () => {
  it("prints a row of diversity figures for a checkpoint and names a folder that is not one", async () => {
    const segDir = join(dir, "segmenter");
    await writeModelDir(segDir, await packSegmenter({ name: "tiny-parts", segmenter: TINY_SEGMENTER, card: TINY_CARD, provenance: { trainer: "test" }, values: tinySegmenterValues(), dtype: "int8" }));
    const { version } = JSON.parse(await readFile(join(segDir, "manifest.json"), "utf8"));
    const config = TrainConfig.parse({
      dataset: { kind: "dicebear", style: "adventurer", count: 16, seed: 0 },
      generator: TINY,
      discriminator: { channelBase: 64, channelMax: 8 },
      segmenter: { path: segDir, version },
      regions: [],
      links: "off",
      batch: 4,
      totalKimg: 1,
    });
    const trainer = Trainer.create(config, await openDataset(config.dataset!, TINY.resolution));
    await trainer.save(join(dir, "ckpt"));
    trainer.dispose();
    await writeFile(join(dir, "config.json"), JSON.stringify(config));

    const { stdout } = await script("--config", join(dir, "config.json"), "--checkpoints", join(dir, "ckpt"), "--images", "8", "--dataset-row", "--out", join(dir, "rows.jsonl"));
    const row = stdout.split("\n").find((l) => l.startsWith(`| ${join(dir, "ckpt")} |`));
    expect(row).toBeDefined();
    const figures = row!.split("|").slice(4, 11).map(Number);
    expect(figures).toHaveLength(7);
    for (const v of figures.slice(2, 6)) expect(v >= 0 && v <= 1).toBe(true); // precision and recall
    expect(figures[6]).toBeGreaterThan(0); // SWD: random weights render noise, not faces
    expect(figures[0]).toBeGreaterThan(0); // random weights still vary with the seed
    const rows = (await readFile(join(dir, "rows.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => r.checkpoint)).toEqual(["dataset (other faces)", join(dir, "ckpt")]);
    expect(rows[1]).toMatchObject({ step: 0, images: 8 });
    // Other dataset faces against the dataset's: as varied, and nearer than the random generator's noise.
    expect(rows[0].stdRatio).toBeGreaterThan(0.5);
    expect(rows[0].swd).toBeLessThan(rows[1].swd);

    // A segmenter folder is no GAN checkpoint.
    await expect(script("--config", join(dir, "config.json"), "--checkpoints", segDir, "--images", "8")).rejects.toMatchObject({ stderr: expect.stringMatching(/segmenter: state\.json unreadable/) });
  });
});
