/**
 * Model weights in the browser: the shared loader (`loadModel`, which verifies every shard's
 * length and SHA-256 and the manifest's content-derived version) over a source that keeps files
 * in Cache Storage keyed by content: shards by their SHA-256, the manifest by its version (itself
 * a hash of the content). A second visit downloads nothing, and a new version downloads only the
 * shards whose bytes changed.
 */
import { z } from "zod";
import { sha256Hex } from "../shared/weights/content-id.ts";
import { type LoadOptions, type LoadedModel, type WeightSource, WeightFormatError, loadModel } from "../shared/weights/loader.ts";

/** The Cache Storage cache this module uses. */
export const WEIGHTS_CACHE = "linkgan-weights-v1";
/** Cache keys are synthetic URLs (Cache Storage needs http(s)); nothing is ever fetched from them. */
const shardKey = (sha256: string) => `https://linkgan.invalid/shard/sha256/${sha256}`;
const manifestKey = (version: string) => `https://linkgan.invalid/manifest/${version}`;

/** What a load took from the network and from the cache. */
export interface WeightsLoadStats {
  manifestFromCache: boolean;
  shardsFromCache: number;
  shardsFetched: number;
  bytesFetched: number;
}

export interface CachedLoadOptions {
  /** One number in [0, 1] for the whole model: shard bytes received (from cache or network) / total. */
  onProgress?: (fraction: number) => void;
  /** Use Cache Storage (default true; ignored where `caches` is unavailable, e.g. an insecure origin). */
  useCache?: boolean;
  fetch?: typeof fetch;
}

// Only what this module needs of the manifest before the loader validates all of it.
const ShardList = z.object({ shards: z.array(z.object({ path: z.string(), bytes: z.number().int(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })) });

/**
 * Load a model version from `weightsUrl` (the `weightsUrl` of `/v1/models`), through Cache Storage.
 *
 * @example
 * const { model, stats } = await loadCachedModel(info.weightsUrl, info.version, { onProgress: (f) => (bar.value = f) });
 * const g = Generator.fromValues(model.manifest.generator, model.values);
 * console.log(stats.shardsFetched); // 0 on a second visit
 */
export function loadCachedModel(weightsUrl: string, version: string, opts: CachedLoadOptions = {}): Promise<{ model: LoadedModel; stats: WeightsLoadStats }> {
  return loadCached(weightsUrl, version, loadModel, opts);
}

/**
 * `loadCachedModel` for any network the shared loader reads (the encoder: `loadEncoder`): the same
 * cache, keyed by the network's own content-derived version and its shards' hashes.
 *
 * @example
 * const { model } = await loadCached(`${origin}${summary.encoder.weightsUrl}`, summary.encoder.version, loadEncoder);
 */
export async function loadCached<L extends { manifest: { version: string } }>(
  weightsUrl: string,
  version: string,
  load: (source: WeightSource, opts: LoadOptions) => Promise<L>,
  opts: CachedLoadOptions = {},
): Promise<{ model: L; stats: WeightsLoadStats }> {
  const store = opts.useCache !== false && typeof caches !== "undefined" ? await caches.open(WEIGHTS_CACHE).catch(() => undefined) : undefined;
  const used: string[] = [];
  try {
    return await attempt(weightsUrl, version, load, store, opts, used);
  } catch (e) {
    if (!store || used.length === 0 || !(e instanceof WeightFormatError)) throw e;
    // A cached file failed verification (storage corrupted or tampered with): forget what came
    // from the cache and load once more from the network.
    for (const key of used) await store.delete(key);
    return attempt(weightsUrl, version, load, undefined, opts, []);
  }
}

async function attempt<L extends { manifest: { version: string } }>(
  weightsUrl: string,
  version: string,
  load: (source: WeightSource, opts: LoadOptions) => Promise<L>,
  store: Cache | undefined,
  opts: CachedLoadOptions,
  used: string[],
): Promise<{ model: L; stats: WeightsLoadStats }> {
  const fetchFn = opts.fetch ?? fetch.bind(globalThis);
  const url = (p: string) => new URL(p, weightsUrl.endsWith("/") ? weightsUrl : `${weightsUrl}/`).href;
  const stats: WeightsLoadStats = { manifestFromCache: false, shardsFromCache: 0, shardsFetched: 0, bytesFetched: 0 };
  let rawManifest: unknown;
  const source: WeightSource = {
    location: weightsUrl,
    async manifest() {
      const hit = await store?.match(manifestKey(version));
      if (hit) {
        stats.manifestFromCache = true;
        used.push(manifestKey(version));
        rawManifest = await hit.json();
        return rawManifest;
      }
      const res = await fetchFn(url("manifest.json"));
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${url("manifest.json")}`);
      const text = await res.text();
      rawManifest = JSON.parse(text);
      return rawManifest;
    },
    async shard(path) {
      const parsed = ShardList.safeParse(rawManifest);
      const info = parsed.success ? parsed.data.shards.find((s) => s.path === path) : undefined;
      if (!info) throw new Error(`manifest lists no shard ${path}`);
      const hit = await store?.match(shardKey(info.sha256));
      if (hit?.body) {
        stats.shardsFromCache++;
        used.push(shardKey(info.sha256));
        return hit.body;
      }
      const res = await fetchFn(url(path));
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} for ${url(path)}`);
      stats.shardsFetched++;
      return keepIfVerified(res.body, info.sha256, stats, store && ((bytes) => store.put(shardKey(info.sha256), new Response(bytes))));
    },
  };
  const model = await load(source, { onProgress: opts.onProgress });
  if (model.manifest.version !== version) {
    throw new WeightFormatError(`${weightsUrl}: manifest is version ${model.manifest.version}, expected ${version}`);
  }
  if (store && !stats.manifestFromCache) {
    await store.put(manifestKey(version), new Response(JSON.stringify(rawManifest), { headers: { "Content-Type": "application/json" } }));
  }
  return { model, stats };
}

/**
 * Passes a shard's bytes through unchanged, and once the stream ends stores them if their SHA-256
 * is the one the manifest names (before the last chunk is released, so a load that resolves has
 * its shards in the cache). Bad bytes are never stored; the loader then rejects them.
 */
function keepIfVerified(body: ReadableStream<Uint8Array>, sha256: string, stats: WeightsLoadStats, keep: ((bytes: Uint8Array<ArrayBuffer>) => Promise<void>) | undefined): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) {
        if (keep) {
          const bytes = new Uint8Array(length);
          let at = 0;
          for (const c of chunks) {
            bytes.set(c, at);
            at += c.length;
          }
          if ((await sha256Hex(bytes)) === sha256) await keep(bytes).catch(() => undefined); // a full quota only costs the next visit a download
        }
        ctrl.close();
        return;
      }
      stats.bytesFetched += value.length;
      if (keep) {
        chunks.push(value);
        length += value.length;
      }
      ctrl.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * Delete every cached manifest and shard (a "clear downloaded models" button).
 *
 * @example
 * await clearWeightsCache();
 */
export async function clearWeightsCache(): Promise<boolean> {
  return typeof caches !== "undefined" && caches.delete(WEIGHTS_CACHE);
}
