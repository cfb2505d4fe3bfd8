/**
 * Checkpoints: a folder with state.json (step, RNG state, metadata, tensor index) and tensors.bin
 * (little-endian, concatenated). Written to a temporary folder and renamed into place, so an
 * interrupted write never leaves a checkpoint that looks complete.
 *
 * Each tensor has an encoding:
 * - `f32`: exact (the run folder's checkpoints; a resumed run equals an uninterrupted one bit for bit);
 * - `f16`: IEEE half precision (network weights in a compact checkpoint);
 * - `log8`: one byte per value on a log₂ scale between the tensor's smallest and largest positive
 *   value, for non-negative tensors whose magnitude spans decades (Adam's second moments): the
 *   relative error is at most 2^(span/508) − 1 (5.6% for a 40-octave span), where float16 would
 *   flush small values to 0.
 * A compact checkpoint (f16 + log8, about a quarter of the bytes) is what a run commits to git so
 * it survives a fresh checkout; resuming from it continues the run within those rounding errors.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { decodeFloat16, encodeFloat16 } from "../../shared/weights/quantize.ts";
import { canonicalJson, sha256Hex } from "../../shared/weights/content-id.ts";

export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export type TensorEncoding = "f32" | "f16" | "log8";

const Index = z.array(
  z.object({
    name: z.string(),
    shape: z.array(z.number().int().min(0)),
    offset: z.number().int().min(0),
    encoding: z.enum(["f32", "f16", "log8"]).default("f32"),
    /** log8: log₂ of the smallest and largest positive value (byte 0 means exactly 0). */
    range: z.tuple([z.number(), z.number()]).optional(),
  }),
);
type IndexEntry = z.infer<typeof Index>[number];

function encodeLog8(v: Float32Array): { bytes: Uint8Array; range: [number, number] } {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const x of v) {
    if (x < 0 || !Number.isFinite(x)) throw new Error(`log8: values must be finite and non-negative, got ${x}`);
    if (x > 0) {
      lo = Math.min(lo, Math.log2(x));
      hi = Math.max(hi, Math.log2(x));
    }
  }
  if (!Number.isFinite(lo)) return { bytes: new Uint8Array(v.length), range: [0, 0] };
  const span = Math.max(hi - lo, 1e-9);
  const bytes = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) bytes[i] = 1 + Math.round(((Math.log2(v[i]!) - lo) / span) * 254);
  return { bytes, range: [lo, hi] };
}

function decodeLog8(bytes: Uint8Array, [lo, hi]: [number, number]): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0) out[i] = 2 ** (lo + ((bytes[i]! - 1) / 254) * (hi - lo));
  return out;
}

/**
 * Write a checkpoint. `encodingOf` picks each tensor's encoding (default: all exact float32).
 *
 * @example
 * await saveCheckpoint("runs/x/checkpoints/step-000000100", meta, tensors);
 */
export async function saveCheckpoint(dir: string, meta: Record<string, unknown>, tensors: Map<string, TensorData>, encodingOf: (name: string) => TensorEncoding = () => "f32"): Promise<void> {
  const index: IndexEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const encoding = encodingOf(name);
    let bytes: Uint8Array;
    let range: [number, number] | undefined;
    if (encoding === "f16") bytes = encodeFloat16(t.data);
    else if (encoding === "log8") ({ bytes, range } = encodeLog8(t.data));
    else bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    index.push({ name, shape: t.shape, offset, encoding, ...(range ? { range } : {}) });
    chunks.push(bytes);
    offset += bytes.length;
  }
  const bin = new Uint8Array(offset);
  for (const [i, c] of chunks.entries()) bin.set(c, index[i]!.offset);
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
  const parsed = Index.safeParse(state.tensors);
  if (!parsed.success) throw new Error(`checkpoint ${dir}: state.json has a malformed tensor index`);
  const bin = new Uint8Array(await readFile(join(dir, "tensors.bin")));
  if ((await sha256Hex(bin)) !== state.sha256) throw new Error(`checkpoint ${dir}: tensors.bin does not match its hash (corrupt or truncated)`);
  const tensors = new Map<string, TensorData>();
  for (const e of parsed.data) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    const width = e.encoding === "f32" ? 4 : e.encoding === "f16" ? 2 : 1;
    const bytes = bin.slice(e.offset, e.offset + n * width);
    if (bytes.length !== n * width) throw new Error(`checkpoint ${dir}: ${e.name} runs past the end of tensors.bin`);
    const data = e.encoding === "f32" ? new Float32Array(bytes.buffer) : e.encoding === "f16" ? decodeFloat16(bytes) : decodeLog8(bytes, e.range ?? [0, 0]);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { meta: state, tensors };
}

/**
 * One network's parameters from a checkpoint's tensors: those named `prefix` + parameter name
 * (`Gema/` the EMA generator, `E/` an encoder, `S/` a segmenter), with the prefix taken off.
 *
 * @example
 * const g = Generator.fromValues(config.generator, paramValues((await loadCheckpoint(dir)).tensors, "Gema/"));
 */
export function paramValues(tensors: Map<string, TensorData>, prefix: string): Map<string, Float32Array> {
  return new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v.data]));
}

/** Checkpoint folders of a run, oldest first (names are zero-padded steps). */
export async function listCheckpoints(runDir: string): Promise<string[]> {
  const dir = join(runDir, "checkpoints");
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^step-\d{9}$/.test(n)).sort().map((n) => join(dir, n));
}

/** The first 16 hex digits of the SHA-256 of a config's canonical JSON: what a checkpoint records of the config that wrote it. */
export async function configHash(config: unknown): Promise<string> {
  return (await sha256Hex(canonicalJson(config))).slice(0, 16);
}
