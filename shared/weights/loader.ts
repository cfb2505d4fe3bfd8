import type { z } from "zod";
import { encoderParamSpecs } from "../encoder/params.ts";
import { type ParamSpec, type ParamValues, generatorParamSpecs, sizeOf } from "../generator/params.ts";
import { segmenterParamSpecs } from "../segmenter/params.ts";
import { describeZodError } from "../validation.ts";
import { sha256Hex, versionOf } from "./content-id.ts";
import { EncoderManifest, FORMAT, FORMAT_VERSION, Manifest, SegmenterManifest, type WeightEntry } from "./manifest.ts";
import { bytesPerValue, decodeFloat16, dequantizeInt8 } from "./quantize.ts";

/**
 * Where a model's files come from. `fetchSource` covers HTTP (browser, worker, Node); the worker
 * adds R2 and the CLI a directory. Each shard is a stream, so nothing is buffered twice.
 */
export interface WeightSource {
  /** Where this is, for error messages (a URL, a path, an R2 prefix). */
  readonly location: string;
  /** The manifest, parsed from JSON but not yet validated. */
  manifest(): Promise<unknown>;
  /** The bytes of one shard. Throw (or reject) if it does not exist. */
  shard(path: string): Promise<ReadableStream<Uint8Array>>;
}

export interface LoadedModel<M = Manifest> {
  manifest: M;
  /** Dequantized float32 parameters by name, in the generator's parameter order. */
  values: ParamValues;
}

export interface LoadOptions {
  /** Called with one number in [0, 1]: shard bytes received / total. */
  onProgress?: (fraction: number) => void;
}

/** Why a model was refused; the message names the file, entry or field that is wrong. */
export class WeightFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightFormatError";
  }
}

/**
 * The one loader every runtime uses: validates the manifest, streams and verifies each shard
 * (length and SHA-256), dequantizes, and checks every tensor against the generator config. It
 * returns only when everything is right; on any problem it throws a `WeightFormatError` and
 * nothing is returned, so a half-loaded model is never used.
 *
 * @example
 * const model = await loadModel(fetchSource("https://api.example.com/v1/models/faces64/versions/v0123/"),
 *   { onProgress: (f) => (bar.value = f) });
 * const g = Generator.fromValues(model.manifest.generator, model.values);
 */
export function loadModel(source: WeightSource, opts: LoadOptions = {}): Promise<LoadedModel> {
  return loadWeights(source, Manifest, (m) => [...generatorParamSpecs(m.generator), ...(m.segmenter ? segmenterParamSpecs(m.segmenter) : [])], opts);
}

/**
 * Load a segmenter exported on its own (a `SegmenterManifest`), with the same checks as `loadModel`.
 *
 * @example
 * const { manifest, values } = await loadSegmenter(fileSource("weights/faces64-parts"));
 * const s = Segmenter.fromValues(manifest.segmenter, values);
 */
export function loadSegmenter(source: WeightSource, opts: LoadOptions = {}): Promise<LoadedModel<SegmenterManifest>> {
  return loadWeights(source, SegmenterManifest, (m) => segmenterParamSpecs(m.segmenter), opts);
}

/**
 * Load an encoder exported on its own (an `EncoderManifest`), with the same checks as `loadModel`.
 * Its `inverts` names the generator version it was trained on; callers check it against the model
 * they render with (an encoder is only meaningful in the W it was trained for).
 *
 * @example
 * const { manifest, values } = await loadEncoder(fileSource("weights/faces64-encoder"));
 * if (manifest.inverts.version !== model.manifest.version) throw new Error("encoder trained for another version");
 * const e = Encoder.fromValues(manifest.encoder, values);
 */
export function loadEncoder(source: WeightSource, opts: LoadOptions = {}): Promise<LoadedModel<EncoderManifest>> {
  return loadWeights(source, EncoderManifest, (m) => encoderParamSpecs(m.encoder), opts);
}

async function loadWeights<S extends z.ZodType<{ version: string; weightsManifest: { paths: string[]; weights: WeightEntry[] }[]; shards: { path: string; bytes: number; sha256: string }[] }>>(
  source: WeightSource,
  schema: S,
  specsOf: (m: z.output<S>) => ParamSpec[],
  opts: LoadOptions,
): Promise<LoadedModel<z.output<S>>> {
  const where = source.location;
  let raw: unknown;
  try {
    raw = await source.manifest();
  } catch (e) {
    throw new WeightFormatError(`${where}: manifest could not be read: ${(e as Error).message}`);
  }
  const manifest = parseManifest(raw, schema, where);
  const declared = await versionOf(raw as object);
  if (declared !== manifest.version) {
    throw new WeightFormatError(`${where}: manifest version ${manifest.version} does not match its content (${declared}); it was edited after packing`);
  }
  const group = manifest.weightsManifest[0]!;
  if (manifest.weightsManifest.length !== 1) throw new WeightFormatError(`${where}: weightsManifest must have exactly one group, got ${manifest.weightsManifest.length}`);
  checkEntriesAgainstSpecs(group.weights, specsOf(manifest), where);

  const shardInfo = new Map(manifest.shards.map((s) => [s.path, s]));
  for (const p of group.paths) if (!shardInfo.has(p)) throw new WeightFormatError(`${where}: weightsManifest path ${p} has no entry in shards (size and hash unknown)`);
  if (new Set(group.paths).size !== group.paths.length) throw new WeightFormatError(`${where}: weightsManifest paths repeat a shard`);
  const total = group.paths.reduce((a, p) => a + shardInfo.get(p)!.bytes, 0);
  const needed = group.weights.reduce((a, e) => a + entryBytes(e), 0);
  if (needed !== total) throw new WeightFormatError(`${where}: weight entries need ${needed} bytes but the shards declare ${total}`);

  const buffer = new Uint8Array(total);
  let received = 0;
  opts.onProgress?.(0);
  for (const path of group.paths) {
    const info = shardInfo.get(path)!;
    const start = received;
    let stream: ReadableStream<Uint8Array>;
    try {
      stream = await source.shard(path);
    } catch (e) {
      throw new WeightFormatError(`${where}: shard ${path} is missing: ${(e as Error).message}`);
    }
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (received - start + value.length > info.bytes) {
        await reader.cancel();
        throw new WeightFormatError(`${where}: shard ${path} is longer than the ${info.bytes} bytes its manifest declares`);
      }
      buffer.set(value, received);
      received += value.length;
      opts.onProgress?.(received / total);
    }
    const got = received - start;
    if (got !== info.bytes) throw new WeightFormatError(`${where}: shard ${path} is truncated: ${got} of ${info.bytes} bytes`);
    const hash = await sha256Hex(buffer.subarray(start, received));
    if (hash !== info.sha256) throw new WeightFormatError(`${where}: shard ${path} has SHA-256 ${hash}, manifest says ${info.sha256}`);
  }

  const values: ParamValues = new Map();
  let offset = 0;
  for (const e of group.weights) {
    const n = entryBytes(e);
    const bytes = buffer.slice(offset, offset + n);
    offset += n;
    const v = decodeEntry(e, bytes);
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!)) throw new WeightFormatError(`${where}: weight ${e.name} holds a non-finite value at index ${i}`);
    }
    values.set(e.name, v);
  }
  return { manifest, values };
}

function parseManifest<S extends z.ZodType>(raw: unknown, schema: S, where: string): z.output<S> {
  const obj = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  if (obj.format !== FORMAT) throw new WeightFormatError(`${where}: not a ${FORMAT} manifest (format is ${JSON.stringify(obj.format)})`);
  if (obj.formatVersion !== FORMAT_VERSION) {
    throw new WeightFormatError(`${where}: unsupported format version ${JSON.stringify(obj.formatVersion)}; this loader reads version ${FORMAT_VERSION}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new WeightFormatError(`${where}: invalid manifest: ${describeZodError(r.error)}`);
  return r.data;
}

function entryBytes(e: WeightEntry): number {
  const dtype = e.quantization?.dtype ?? "float32";
  return sizeOf(e.shape) * bytesPerValue[dtype];
}

function decodeEntry(e: WeightEntry, bytes: Uint8Array): Float32Array {
  const q = e.quantization;
  if (!q) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  if (q.dtype === "float16") return decodeFloat16(bytes);
  return dequantizeInt8(bytes, q.scales);
}

function checkEntriesAgainstSpecs(entries: WeightEntry[], specs: ParamSpec[], where: string): void {
  const byName = new Map(entries.map((e) => [e.name, e]));
  if (byName.size !== entries.length) throw new WeightFormatError(`${where}: weight names repeat`);
  for (const s of specs) {
    const e = byName.get(s.name);
    if (!e) throw new WeightFormatError(`${where}: weight ${s.name} is missing (required by the manifest's network config)`);
    if (e.shape.length !== s.shape.length || e.shape.some((d, i) => d !== s.shape[i])) {
      throw new WeightFormatError(`${where}: weight ${s.name} has shape [${e.shape}], the network config needs [${s.shape}]`);
    }
  }
  const known = new Set(specs.map((s) => s.name));
  const extra = entries.find((e) => !known.has(e.name));
  if (extra) throw new WeightFormatError(`${where}: weight ${extra.name} is not a parameter of the manifest's network config`);
}

/**
 * A source over HTTP: `base` is the folder URL holding manifest.json and the shards.
 *
 * @example
 * await loadModel(fetchSource("/v1/models/faces64/versions/v1a2b3c4d5e6f7a8b/"));
 */
export function fetchSource(base: string, fetchFn: typeof fetch = fetch): WeightSource {
  const url = (p: string) => (base.endsWith("/") ? base + p : `${base}/${p}`);
  return {
    location: base,
    async manifest() {
      const res = await fetchFn(url("manifest.json"));
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url("manifest.json")}`);
      return res.json();
    },
    async shard(path) {
      const res = await fetchFn(url(path));
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} for ${url(path)}`);
      return res.body;
    },
  };
}

/** A source over bytes already in memory (tests, uploads). */
export function memorySource(manifest: unknown, shards: Record<string, Uint8Array>, chunkBytes = 65536): WeightSource {
  return {
    location: "memory",
    async manifest() {
      return structuredClone(manifest);
    },
    async shard(path) {
      const bytes = shards[path];
      if (!bytes) throw new Error(`no such shard: ${path}`);
      let at = 0;
      return new ReadableStream<Uint8Array>({
        pull(ctrl) {
          if (at >= bytes.length) return ctrl.close();
          ctrl.enqueue(bytes.slice(at, at + chunkBytes));
          at += chunkBytes;
        },
      });
    },
  };
}
