import type { EncoderConfig } from "../encoder/config.ts";
import { encoderParamSpecs } from "../encoder/params.ts";
import type { GeneratorConfig } from "../generator/config.ts";
import { type ParamSpec, type ParamValues, generatorParamSpecs, sizeOf } from "../generator/params.ts";
import type { Region } from "../regions/schema.ts";
import type { SegmenterConfig } from "../segmenter/config.ts";
import { segmenterParamSpecs } from "../segmenter/params.ts";
import { sha256Hex, versionOf } from "./content-id.ts";
import { type EncoderManifest, FORMAT, FORMAT_VERSION, type Manifest, type ModelCard, type SegmenterManifest, type WeightEntry } from "./manifest.ts";
import { type WeightDtype, encodeFloat16, quantizeInt8 } from "./quantize.ts";

export interface PackInput {
  name: string;
  generator: GeneratorConfig;
  /** The segmenter of the model's semantic regions; its `segmenter.*` values go in the same shards. */
  segmenter?: SegmenterConfig;
  regions: Region[];
  card: ModelCard;
  provenance: Manifest["provenance"];
  values: ParamValues;
  /** Storage dtype. int8 quantizes every tensor of rank ≥ 2 per output channel; vectors stay float32. */
  dtype: WeightDtype;
  /** Shard size in bytes (tfjs's default is 4 MiB). */
  shardBytes?: number;
}

export interface PackedModel {
  manifest: Manifest;
  shards: { path: string; bytes: Uint8Array }[];
}

/**
 * Encode generator parameters into the weight format: a manifest and its shards, with hashes and a
 * content-derived version. The trainer's export and the test fixtures both go through here.
 *
 * @example
 * const { manifest, shards } = await packModel({ name: "faces64", generator: cfg, regions, card,
 *   provenance: { trainer: "linkgan-web 0.1.0" }, values, dtype: "int8" });
 */
export async function packModel(input: PackInput): Promise<PackedModel> {
  const specs = [...generatorParamSpecs(input.generator), ...(input.segmenter ? segmenterParamSpecs(input.segmenter) : [])];
  const { weightsManifest, shards, shardInfo } = await packWeights(specs, input);
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    name: input.name,
    version: "",
    generator: input.generator,
    ...(input.segmenter ? { segmenter: input.segmenter } : {}),
    regions: input.regions,
    card: input.card,
    provenance: input.provenance,
    weightsManifest,
    shards: shardInfo,
  } satisfies Manifest;
  manifest.version = await versionOf(manifest);
  return { manifest, shards };
}

/**
 * Encode a segmenter on its own (its card carries its IoU figures).
 *
 * @example
 * const { manifest, shards } = await packSegmenter({ name: "faces64-parts", segmenter: cfg, card,
 *   provenance: { trainer: "linkgan-web 0.1.0" }, values, dtype: "int8" });
 */
export async function packSegmenter(input: Omit<PackInput, "generator" | "regions" | "segmenter"> & { segmenter: SegmenterConfig }): Promise<{ manifest: SegmenterManifest; shards: PackedModel["shards"] }> {
  const { weightsManifest, shards, shardInfo } = await packWeights(segmenterParamSpecs(input.segmenter), input);
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    name: input.name,
    version: "",
    segmenter: input.segmenter,
    card: input.card,
    provenance: input.provenance,
    weightsManifest,
    shards: shardInfo,
  } satisfies SegmenterManifest;
  manifest.version = await versionOf(manifest);
  return { manifest, shards };
}

/**
 * Encode an encoder on its own, pinned to the generator version it inverts (its card carries its
 * reconstruction figures).
 *
 * @example
 * const { manifest, shards } = await packEncoder({ name: "faces64-encoder", encoder: cfg,
 *   inverts: { name: "faces64", version: "v51e7c3ec2af80b6b" }, card,
 *   provenance: { trainer: "linkgan-web 0.1.0" }, values, dtype: "int8" });
 */
export async function packEncoder(
  input: Omit<PackInput, "generator" | "regions" | "segmenter"> & { encoder: EncoderConfig; inverts: EncoderManifest["inverts"]; background?: EncoderManifest["background"] },
): Promise<{ manifest: EncoderManifest; shards: PackedModel["shards"] }> {
  const { weightsManifest, shards, shardInfo } = await packWeights(encoderParamSpecs(input.encoder), input);
  const manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    name: input.name,
    version: "",
    encoder: input.encoder,
    inverts: input.inverts,
    ...(input.background ? { background: input.background } : {}),
    card: input.card,
    provenance: input.provenance,
    weightsManifest,
    shards: shardInfo,
  } satisfies EncoderManifest;
  manifest.version = await versionOf(manifest);
  return { manifest, shards };
}

async function packWeights(specs: ParamSpec[], input: { values: ParamValues; dtype: WeightDtype; shardBytes?: number }) {
  const shardBytes = input.shardBytes ?? 4 * 1024 * 1024;
  const entries: WeightEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const spec of specs) {
    const v = input.values.get(spec.name);
    if (!v || v.length !== sizeOf(spec.shape)) throw new Error(`packModel: parameter ${spec.name} missing or of wrong size`);
    const entry: WeightEntry = { name: spec.name, shape: spec.shape, dtype: "float32" };
    if (input.dtype === "float16") {
      entry.quantization = { dtype: "float16" };
      chunks.push(encodeFloat16(v));
    } else if (input.dtype === "int8" && spec.shape.length >= 2) {
      const axis = spec.shape.length - 1;
      const { bytes, scales } = quantizeInt8(v, spec.shape[axis]!);
      entry.quantization = { dtype: "int8", axis, scales };
      chunks.push(bytes);
    } else {
      chunks.push(new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
    }
    entries.push(entry);
  }
  const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const count = Math.max(1, Math.ceil(all.length / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    path: `group1-shard${i + 1}of${count}.bin`,
    bytes: all.slice(i * shardBytes, Math.min(all.length, (i + 1) * shardBytes)),
  }));
  return {
    shards,
    weightsManifest: [{ paths: shards.map((s) => s.path), weights: entries }],
    shardInfo: await Promise.all(shards.map(async (s) => ({ path: s.path, bytes: s.bytes.length, sha256: await sha256Hex(s.bytes) }))),
  };
}
