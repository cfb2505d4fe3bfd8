/**
 * Checkpoints: a folder with state.json (step, RNG state, metadata, tensor index) and tensors.bin
 * (float32, little-endian, concatenated). Written to a temporary folder and renamed into place,
 * so an interrupted write never leaves a checkpoint that looks complete.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { sha256Hex } from "../../shared/weights/content-id.ts";

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

const Index = z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), offset: z.number().int().min(0) }));

export async function saveCheckpoint(dir: string, meta: Record<string, unknown>, tensors: Map<string, TensorData>): Promise<void> {
  const index: z.infer<typeof Index> = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    index.push({ name, shape: t.shape, offset });
    offset += t.data.length * 4;
  }
  const bin = new Uint8Array(offset);
  for (const [i, t] of [...tensors.values()].entries()) bin.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), index[i]!.offset);
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, "tensors.bin"), bin);
  await writeFile(join(tmp, "state.json"), JSON.stringify({ ...meta, tensors: index, sha256: await sha256Hex(bin) }));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}

export async function loadCheckpoint(dir: string): Promise<{ meta: Record<string, unknown>; tensors: Map<string, TensorData> }> {
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(await readFile(join(dir, "state.json"), "utf8"));
  } catch (e) {
    throw new Error(`checkpoint ${dir}: state.json unreadable: ${(e as Error).message}`);
  }
  const index = Index.parse(state.tensors);
  const bin = new Uint8Array(await readFile(join(dir, "tensors.bin")));
  if ((await sha256Hex(bin)) !== state.sha256) throw new Error(`checkpoint ${dir}: tensors.bin does not match its hash (corrupt or truncated)`);
  const tensors = new Map<string, TensorData>();
  for (const e of index) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { shape: e.shape, data: new Float32Array(bin.slice(e.offset, e.offset + n * 4).buffer) });
  }
  return { meta: state, tensors };
}

/** Checkpoint folders of a run, oldest first (names are zero-padded steps). */
export async function listCheckpoints(runDir: string): Promise<string[]> {
  const dir = join(runDir, "checkpoints");
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^step-\d{9}$/.test(n)).sort().map((n) => join(dir, n));
}
