import type { Manifest } from "../../shared/weights/manifest.ts";
import { Manifest as ManifestSchema, ModelName, ModelVersion } from "../../shared/weights/manifest.ts";
import type { WeightSource } from "../../shared/weights/loader.ts";
import type { Env } from "../env.ts";
import { ApiError } from "../http/errors.ts";

/**
 * Where models live. R2 holds immutable versions, `models/<name>/<version>/manifest.json` and its
 * shards beside it; KV holds the one mutable thing, the active version of each model
 * (`active:<name>`). A version is written (shards first, manifest last) before any pointer names it.
 */
export const modelPrefix = (name: string, version: string) => `models/${name}/${version}/`;
const activeKey = (name: string) => `active:${name}`;

const isName = (s: string) => ModelName.safeParse(s).success;
const isVersion = (s: string) => ModelVersion.safeParse(s).success;

/** The active version of `name`, or a 404 naming the model. Read on every request: nothing stale. */
export async function activeVersion(env: Env, name: string): Promise<string> {
  if (!isName(name)) throw new ApiError(404, "unknown_model", `no model named "${name}"`, "model");
  const v = await env.MODELS.get(activeKey(name));
  if (!v) throw new ApiError(404, "unknown_model", `no model named "${name}"`, "model");
  return v;
}

/** The version the request pins (checked to exist), or the active one. */
export async function resolveVersion(env: Env, name: string, pinned?: string): Promise<string> {
  if (pinned === undefined) return activeVersion(env, name);
  if (!isVersion(pinned) || !(await env.WEIGHTS.head(`${modelPrefix(name, pinned)}manifest.json`))) {
    throw new ApiError(404, "unknown_version", `model "${name}" has no version "${pinned}"`, "version");
  }
  return pinned;
}

export async function setActiveVersion(env: Env, name: string, version: string): Promise<void> {
  await env.MODELS.put(activeKey(name), version);
}

/** Names of the models that have an active version, sorted. */
export async function listModelNames(env: Env): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.MODELS.list({ prefix: "active:", cursor });
    names.push(...page.keys.map((k) => k.name.slice("active:".length)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return names.sort();
}

/** Every stored version of `name` (active or not). */
export async function listVersions(env: Env, name: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.WEIGHTS.list({ prefix: `models/${name}/`, delimiter: "/", cursor });
    out.push(...page.delimitedPrefixes.map((p) => p.split("/")[2]!));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out.filter(isVersion).sort();
}

const manifests = new Map<string, Promise<Manifest>>();

/** A version's manifest, validated, memoized per isolate (versions are immutable). */
export function readManifest(env: Env, name: string, version: string): Promise<Manifest> {
  const key = modelPrefix(name, version);
  let p = manifests.get(key);
  if (!p) {
    p = (async () => {
      const obj = await env.WEIGHTS.get(`${key}manifest.json`);
      if (!obj) throw new ApiError(404, "unknown_version", `model "${name}" has no version "${version}"`, "version");
      const parsed = ManifestSchema.safeParse(await obj.json());
      if (!parsed.success) throw new Error(`stored manifest ${key}manifest.json is invalid: ${parsed.error.message}`);
      return parsed.data;
    })();
    p.catch(() => manifests.delete(key));
    manifests.set(key, p);
  }
  return p;
}

/** A `WeightSource` over one stored version, for the shared loader (which verifies every hash). */
export function r2Source(env: Env, name: string, version: string): WeightSource {
  return r2PrefixSource(env, modelPrefix(name, version));
}

/** A `WeightSource` over the manifest.json and shards stored under `prefix` (a model version, or a network stored beside one). */
export function r2PrefixSource(env: Env, prefix: string): WeightSource {
  return {
    location: `r2://${prefix}`,
    async manifest() {
      const obj = await env.WEIGHTS.get(`${prefix}manifest.json`);
      if (!obj) throw new Error("manifest.json not found");
      return obj.json();
    },
    async shard(path) {
      const obj = await env.WEIGHTS.get(prefix + path);
      if (!obj) throw new Error(`shard ${path} not found`);
      return obj.body as unknown as ReadableStream<Uint8Array>;
    },
  };
}

/**
 * Store a packed model version (shards first, manifest last) and optionally make it active.
 *
 * @example
 * await putModel(env, await packModel({ ... }), { activate: true });
 */
export async function putModel(
  env: Env,
  packed: { manifest: Manifest; shards: { path: string; bytes: Uint8Array }[] },
  opts: { activate?: boolean } = {},
): Promise<void> {
  const prefix = modelPrefix(packed.manifest.name, packed.manifest.version);
  for (const s of packed.shards) await env.WEIGHTS.put(prefix + s.path, s.bytes);
  await env.WEIGHTS.put(`${prefix}manifest.json`, JSON.stringify(packed.manifest), { httpMetadata: { contentType: "application/json" } });
  if (opts.activate) await setActiveVersion(env, packed.manifest.name, packed.manifest.version);
}
