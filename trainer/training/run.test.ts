import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectParamsClose } from "../../test/params-close.ts";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { decodePng } from "../../shared/png/png.ts";
import { Prng } from "../../shared/random/prng.ts";
import { TrainConfig } from "./config.ts";
import { runTraining } from "./run.ts";
import type { TrainingData } from "./trainer.ts";

const MICRO = GeneratorConfig.parse({ resolution: 8, zDim: 8, wDim: 16, mappingLayers: 1, channelBase: 32, channelMax: 4 });
const data: TrainingData = {
  size: 8,
  resolution: 8,
  async batch(indices) {
    const out = new Float32Array(indices.length * 192);
    for (const [i, idx] of indices.entries()) out.set(new Prng(idx, 9).normals(192).map((v) => Math.tanh(v)), i * 192);
    return out;
  },
};
const config = TrainConfig.parse({
  generator: MICRO,
  discriminator: { channelBase: 32, channelMax: 4, mbstdGroup: 2 },
  regions: [{ name: "left", axes: { start: 0, end: 4 }, mask: { kind: "box", x: 0, y: 0, width: 0.5, height: 1 } }],
  links: "on",
  linkgan: { interval: 2 },
  batch: 4,
  totalKimg: 0.02, // 5 steps
  checkpointEvery: 2,
  samplesEvery: 2,
  logEvery: 1,
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("runTraining", () => {
  it("writes a complete run folder, pauses after a piece, and resumes to the end", async () => {
    const runDir = await mkdtemp(join(tmpdir(), "linkgan-run-"));
    dirs.push(runDir);
    const first = await runTraining({ runDir, config, data, maxSteps: 3, quiet: true });
    expect(first.finished).toBe(false);
    expect(first.trainer.step).toBe(3);
    first.trainer.dispose();
    const second = await runTraining({ runDir, config, data, quiet: true });
    expect(second.finished).toBe(true);
    expect(second.trainer.step).toBe(5);
    second.trainer.dispose();

    const rows = (await readFile(join(runDir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    const metrics = rows.filter((r) => !("diversity/stdRatio" in r));
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    // Every sample grid (steps 2 and 4, and at each stop) comes with the EMA generator's diversity.
    const diversity = rows.filter((r) => "diversity/stdRatio" in r);
    expect(diversity.map((m) => m.step)).toEqual([2, 3, 4, 5]);
    for (const d of diversity) expect(d["diversity/stdRatio"]).toBeGreaterThan(0);
    expect(metrics[0]).toHaveProperty("link/left/out");
    const samples = await readdir(join(runDir, "samples"));
    expect(samples).toContain("step-000000002-seeds.png");
    expect(samples).toContain("step-000000005-regions.png");
    const grid = decodePng(new Uint8Array(await readFile(join(runDir, "samples", "step-000000005-seeds.png"))));
    expect(grid.width).toBe(8 * (8 * 16 + 1) + 1); // 8 columns of 8 px × 16 plus gaps
    expect(await readFile(join(runDir, "curves.svg"), "utf8")).toContain("<polyline");
    expect(decodePng(new Uint8Array(await readFile(join(runDir, "curves.png")))).width).toBe(900);
    expect((await readdir(join(runDir, "checkpoints"))).sort()).toEqual(["step-000000003", "step-000000004", "step-000000005"]);

    await expect(runTraining({ runDir, config: { ...config, batch: 8 }, data, quiet: true })).rejects.toThrow(/different config/);
  }, 120_000);

  it("resumes from its compact folder when the run folder is gone (a fresh checkout), close to an uninterrupted run", async () => {
    const root = await mkdtemp(join(tmpdir(), "linkgan-compact-"));
    dirs.push(root);
    const compactDir = join(root, "weights-in-progress");
    // As the CLI does, each session appends its line to sessions.jsonl before training.
    const session = (n: number) => appendFile(join(root, "a", "sessions.jsonl"), `${JSON.stringify({ session: n })}\n`);
    await mkdir(join(root, "a"));
    await session(1);
    const first = await runTraining({ runDir: join(root, "a"), config, data, maxSteps: 3, quiet: true, compactDir });
    first.trainer.dispose();
    expect((await readdir(compactDir)).sort()).toEqual(["checkpoint", "config.json", "curves.png", "latest.png", "metrics.jsonl", "sessions.jsonl"]);
    const full = (await stat(join(root, "a", "checkpoints", "step-000000003", "tensors.bin"))).size;
    const compact = (await stat(join(compactDir, "checkpoint", "tensors.bin"))).size;
    expect(compact).toBeLessThan(full * 0.4);
    await rm(join(root, "a"), { recursive: true });

    await mkdir(join(root, "a"));
    await session(2);
    const resumed = await runTraining({ runDir: join(root, "a"), config, data, quiet: true, compactDir });
    expect(resumed.trainer.step).toBe(5);
    expect(resumed.finished).toBe(true);
    // The summary carried over: the metrics of steps 1–3 were restored, then 4–5 appended.
    const rows = (await readFile(join(root, "a", "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.filter((r) => !("diversity/stdRatio" in r)).map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    // Both sessions are in the history, in the run folder and, mirrored, in the compact folder.
    for (const dir of [join(root, "a"), compactDir]) {
      expect((await readFile(join(dir, "sessions.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l).session)).toEqual([1, 2]);
    }
    const straight = await runTraining({ runDir: join(root, "b"), config, data, quiet: true });
    const [x, y] = [await resumed.trainer.emaValues(), await straight.trainer.emaValues()];
    // Each tensor within 1% of its own scale.
    expectParamsClose(x, y, 0.01);
    resumed.trainer.dispose();
    straight.trainer.dispose();
  }, 120_000);
});
