import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { type TensorData, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), "ckpt-"));
  dirs.push(d);
  return d;
};

describe("checkpoint encodings", () => {
  const rng = new Prng(4);
  const weights = rng.normals(1000);
  // Second moments span decades: squares of gradients from 1e-7 to 1, and some exact zeros.
  const moments = Float32Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? 0 : (10 ** (-14 + 14 * rng.uniform())) * rng.uniform()));
  const tensors = new Map<string, TensorData>([
    ["w", { shape: [10, 100], data: weights }],
    ["v", { shape: [1000], data: moments }],
    ["t", { shape: [], data: Float32Array.of(12345) }],
  ]);

  it("f32 is exact; f16 keeps weights to half precision; log8 keeps every moment within its bound and zeros exact", async () => {
    const dir = join(await tmp(), "c");
    await saveCheckpoint(dir, { step: 3 }, tensors, (n) => (n === "w" ? "f16" : n === "v" ? "log8" : "f32"));
    const { meta, tensors: back } = await loadCheckpoint(dir);
    expect(meta.step).toBe(3);
    expect(back.get("t")!.data[0]).toBe(12345);
    const w = back.get("w")!;
    expect(w.shape).toEqual([10, 100]);
    for (let i = 0; i < 1000; i++) expect(Math.abs(w.data[i]! - weights[i]!)).toBeLessThanOrEqual(Math.abs(weights[i]!) * 2 ** -11 + 1e-7);
    const positive = moments.filter((v) => v > 0);
    const span = Math.log2(Math.max(...positive)) - Math.log2(Math.min(...positive));
    const bound = 2 ** (span / 508) - 1;
    const v = back.get("v")!.data;
    for (let i = 0; i < 1000; i++) {
      if (moments[i] === 0) expect(v[i]).toBe(0);
      else expect(Math.abs(v[i]! / moments[i]! - 1)).toBeLessThanOrEqual(bound * 1.001);
    }
    // 1000·2 + 1000·1 + 4 bytes, against 2004·4 in float32.
    expect((await readFile(join(dir, "tensors.bin"))).length).toBe(3004);
  });

  it("refuses negative values in log8, and a corrupted or truncated file with a clear error", async () => {
    const dir = join(await tmp(), "c");
    await expect(saveCheckpoint(dir, {}, new Map([["v", { shape: [2], data: Float32Array.of(1, -1) }]]), () => "log8")).rejects.toThrow(/non-negative/);
    await saveCheckpoint(dir, {}, tensors);
    const bin = await readFile(join(dir, "tensors.bin"));
    await writeFile(join(dir, "tensors.bin"), bin.subarray(0, 100));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/does not match its hash/);
    await writeFile(join(dir, "state.json"), "{");
    await expect(loadCheckpoint(dir)).rejects.toThrow(/state\.json unreadable/);
  });
});
