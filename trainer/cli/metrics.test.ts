import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as tfjs from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "metrics-cli-"));
  const net = tfjs.sequential({ layers: [tfjs.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, strides: 2 }), tfjs.layers.globalAveragePooling2d({})] });
  await net.save((await import("@tensorflow/tfjs-node")).io.fileSystem(join(dir, "net")));
  await writeFile(join(dir, "data.json"), JSON.stringify({ kind: "dicebear", style: "adventurer", count: 12, seed: 0 }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run metrics", () => {
  it("measures locality, SWD and FID (with a user's TF.js network) and writes them as JSON", async () => {
    const out = join(dir, "m.json");
    const { stdout } = await run(
      "node",
      ["--import", "tsx", "trainer/cli/metrics.ts", "test/fixtures/tiny-model", "--samples", "4", "--swd-images", "8", "--fid-images", "6",
        "--inception", join(dir, "net"), "--dataset", join(dir, "data.json"), "--backend", "cpu", "--out", out],
      { timeout: 120_000 },
    );
    expect(stdout).toMatch(/\| left-eye \|/);
    expect(stdout).toMatch(/FID vs the dataset \(6 images each/);
    const m = JSON.parse(await readFile(out, "utf8")) as { locality: { region: string; ratio: number }[]; swd: { mean: number }; fid: number };
    expect(m.locality.map((l) => l.region)).toEqual(["left-eye", "right-eye", "mouth"]);
    expect(m.swd.mean).toBeGreaterThan(0);
    expect(Number.isFinite(m.fid)).toBe(true);
  });

  it("measures diversity: pixel-spread ratios, and precision/recall in the bundled segmenter's embedding", async () => {
    const out = join(dir, "d.json");
    const { stdout } = await run(
      "node",
      ["--import", "tsx", "trainer/cli/metrics.ts", "test/fixtures/tiny-semantic-model", "--samples", "2", "--swd-images", "10", "--dataset", join(dir, "data.json"), "--backend", "cpu", "--out", out],
      { timeout: 120_000 },
    );
    expect(stdout).toMatch(/Diversity \(10 images each; generated \/ real\): per-pixel std/);
    expect(stdout).toMatch(/Part layout \(the targets' feature space\): precision [01]\.\d{3}, recall [01]\.\d{3}/);
    expect(stdout).toMatch(/Segmenter bottleneck \(also sensitive to blur\): precision [01]\.\d{3}, recall [01]\.\d{3}/);
    const m = JSON.parse(await readFile(out, "utf8")) as { diversity: { stdRatio: number; pairwiseRatio: number; precisionRecall: { precision: number; recall: number }; layoutPrecisionRecall: { precision: number; recall: number } } };
    // The fixture's random weights render noise, nothing like the faces: a positive spread, no recall to speak of.
    expect(m.diversity.stdRatio).toBeGreaterThan(0);
    expect(m.diversity.pairwiseRatio).toBeGreaterThan(0);
    expect(m.diversity.precisionRecall.recall).toBeGreaterThanOrEqual(0);
    expect(m.diversity.precisionRecall.recall).toBeLessThanOrEqual(1);
    expect(m.diversity.layoutPrecisionRecall.recall).toBeGreaterThanOrEqual(0);
    expect(m.diversity.layoutPrecisionRecall.recall).toBeLessThanOrEqual(1);
  });

  it("names the problem with a bad --inception", async () => {
    const err = await run("node", ["--import", "tsx", "trainer/cli/metrics.ts", "test/fixtures/tiny-model", "--samples", "2", "--swd-images", "0", "--inception", join(dir, "missing"), "--dataset", join(dir, "data.json"), "--backend", "cpu"]).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/--inception .*missing.*not a TF\.js model\.json/);
  });
});
