import { Encoder } from "../../shared/encoder/encoder.ts";
import { loadEncoder } from "../../shared/weights/loader.ts";
import { type EncoderManifest, EncoderManifest as EncoderManifestSchema } from "../../shared/weights/manifest.ts";
import type { Env } from "../env.ts";
import { modelPrefix, r2PrefixSource } from "../models/store.ts";

/**
 * A model version's GAN-inversion encoder (#14) lives beside the version it inverts, under
 * `models/<name>/<version>/encoder/` (its manifest.json last, shards first, as a model's): an encoder
 * is only meaningful in the W of that one version, so it is stored, listed and evicted with it.
 */
export const encoderPrefix = (name: string, version: string) => `${modelPrefix(name, version)}encoder/`;

/** An encoder loaded in this isolate, with the manifest that says what it inverts and how uploads are prepared. */
export interface LiveEncoder {
  manifest: EncoderManifest;
  encoder: Encoder;
}

/**
 * Store an encoder beside the model version its manifest's `inverts` names (which must be stored:
 * an encoder for a version the API does not have would never be used).
 *
 * @example
 * await putEncoder(env, await packEncoder({ name: "faces64-encoder", inverts: { name: "faces64", version }, ... }));
 */
export async function putEncoder(env: Env, packed: { manifest: EncoderManifest; shards: { path: string; bytes: Uint8Array }[] }): Promise<void> {
  const { name, version } = packed.manifest.inverts;
  if (!(await env.WEIGHTS.head(`${modelPrefix(name, version)}manifest.json`))) throw new Error(`encoder ${packed.manifest.name} inverts ${name} ${version}, which is not stored`);
  const prefix = encoderPrefix(name, version);
  for (const s of packed.shards) await env.WEIGHTS.put(prefix + s.path, s.bytes);
  await env.WEIGHTS.put(`${prefix}manifest.json`, JSON.stringify(packed.manifest), { httpMetadata: { contentType: "application/json" } });
}

/**
 * The encoder stored for a model version, loaded through the shared loader (every shard's hash
 * checked), or undefined when the version has none. A stored encoder that pins another version is
 * a deployment error, not the client's: it throws.
 */
export async function loadStoredEncoder(env: Env, name: string, version: string): Promise<LiveEncoder | undefined> {
  const prefix = encoderPrefix(name, version);
  if (!(await env.WEIGHTS.head(`${prefix}manifest.json`))) return undefined;
  const { manifest, values } = await loadEncoder(r2PrefixSource(env, prefix));
  if (manifest.inverts.name !== name || manifest.inverts.version !== version) {
    throw new Error(`${prefix}: the encoder there inverts ${manifest.inverts.name} ${manifest.inverts.version}, not ${name} ${version}`);
  }
  return { manifest, encoder: Encoder.fromValues(manifest.encoder, values) };
}

const manifests = new Map<string, Promise<EncoderManifest>>();

/**
 * The manifest of the encoder stored for a model version (validated; memoized per isolate once
 * found, since a stored encoder is immutable), or undefined when the version has none. Reading it
 * needs no weights: a cached inversion's key is built from it without loading the encoder.
 */
export async function readEncoderManifest(env: Env, name: string, version: string): Promise<EncoderManifest | undefined> {
  const key = encoderPrefix(name, version);
  const known = manifests.get(key);
  if (known) return known;
  const obj = await env.WEIGHTS.get(`${key}manifest.json`);
  if (!obj) return undefined;
  const p = (async () => {
    const parsed = EncoderManifestSchema.safeParse(await obj.json());
    if (!parsed.success) throw new Error(`stored encoder manifest ${key}manifest.json is invalid: ${parsed.error.message}`);
    return parsed.data;
  })();
  p.catch(() => manifests.delete(key));
  manifests.set(key, p);
  return p;
}
