import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadSegmenter } from "../../shared/weights/loader.ts";

const run = promisify(execFile);
const cli = (...args: string[]) => run("node", ["--import", "tsx", "trainer/cli/segmenter.ts", ...args], { timeout: 120_000 });
let dir: string;
const config = {
  dataset: { kind: "dicebear", style: "adventurer", count: 12, seed: 0 },
  heldOut: 4,
  segmenter: { resolution: 16, classes: ["other", "background", "hair"], channels: [4, 4] },
  batch: 4,
  steps: 4,
  checkpointEvery: 2,
  noiseStd: 0,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "segmenter-cli-"));
  await writeFile(join(dir, "c.json"), JSON.stringify(config));
  await writeFile(join(dir, "bad.json"), JSON.stringify({ ...config, segmenter: { ...config.segmenter, classes: ["other", "sky"] } }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run segmenter", () => {
  it("trains in resumable pieces, then exports int8 weights whose card holds the held-out IoU", async () => {
    const runDir = join(dir, "run");
    const first = await cli("train", "--config", join(dir, "c.json"), "--run", runDir, "--steps", "2", "--backend", "cpu").catch((e: { code: number; stderr: string }) => e);
    expect((first as { code: number }).code).toBe(3); // paused: run again to continue
    await cli("train", "--config", join(dir, "c.json"), "--run", runDir, "--backend", "cpu");
    const out = join(dir, "parts");
    const { stdout } = await cli("export", "--run", runDir, "--name", "tiny-parts", "--out", out, "--backend", "cpu");
    expect(stdout).toMatch(/hair +IoU (\d\.\d{3}|–)/);
    const { manifest } = await loadSegmenter(fileSource(out));
    expect(manifest.segmenter.classes).toEqual(["other", "background", "hair"]);
    const metrics = manifest.card.metrics as { heldOutIou: Record<string, number>; heldOutImages: number };
    expect(metrics.heldOutImages).toBe(4);
    expect(Object.keys(metrics.heldOutIou)).toEqual(["other", "background", "hair"]);
    expect((manifest.provenance.config as { steps: number }).steps).toBe(4);
    expect(await readFile(join(out, "MODEL_CARD.md"), "utf8")).toMatch(/\| hair \| /);
  });

  it("names a class the dataset has no masks for, and a missing subcommand", async () => {
    const err = (await cli("train", "--config", join(dir, "bad.json"), "--run", join(dir, "bad"), "--backend", "cpu").catch((e: unknown) => e)) as { stderr: string };
    expect(err.stderr).toMatch(/segmenter\.classes: class\(es\) "sky" are not parts of the dataset \(parts: background, skin, hair/);
    const none = (await cli().catch((e: unknown) => e)) as { stderr: string };
    expect(none.stderr).toMatch(/first argument must be "train" or "export", got nothing/);
  });
});
