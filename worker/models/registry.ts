import { Generator } from "../../shared/generator/generator.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import type { Manifest } from "../../shared/weights/manifest.ts";
import type { Env } from "../env.ts";
import { type LiveEncoder, loadStoredEncoder } from "../inversion/store.ts";
import { r2Source } from "./store.ts";

/** A model version ready to render in this isolate. */
export interface LiveModel {
  name: string;
  version: string;
  manifest: Manifest;
  generator: Generator;
  /** The segmenter that masks the model's semantic regions per image (#7), when the manifest has one. */
  segmenter?: Segmenter;
  /**
   * The version's GAN-inversion encoder (#14), loaded on first use (most requests never invert) and
   * disposed with the model; undefined when the version has none stored (asked again next time).
   */
  encoder(): Promise<LiveEncoder | undefined>;
}

interface Entry {
  model: Promise<LiveModel>;
  encoder?: Promise<LiveEncoder | undefined>;
  users: number;
  evicted: boolean;
}

/**
 * At most this many model versions stay loaded per isolate. One faces64 version holds about 6 MB
 * of float32 tensors, far inside the 128 MB isolate limit; two allow a version switch while the
 * old one finishes its requests.
 */
export const MAX_LIVE_MODELS = 2;

const live = new Map<string, Entry>();

/**
 * Run `fn` with a model version, loading it on first use in this isolate. The shared loader
 * verifies every shard's SHA-256 and the manifest's content-derived version before the generator
 * exists. Evicted versions are disposed only when no request is using them.
 *
 * @example
 * const png = await withModel(env, "faces64", "v0123456789abcdef", (m) => render(m, code));
 */
export async function withModel<T>(env: Env, name: string, version: string, fn: (m: LiveModel) => Promise<T>): Promise<T> {
  const key = `${name}@${version}`;
  let e = live.get(key);
  if (e) {
    live.delete(key); // re-insert: Map order is recency
  } else {
    const entry: Entry = { model: undefined as never, users: 0, evicted: false };
    entry.model = (async () => {
      const loaded = await loadModel(r2Source(env, name, version));
      const { manifest, values } = loaded;
      // One version pins both networks: the segmenter's `segmenter.*` weights are in the same shards.
      const segmenter = manifest.segmenter ? Segmenter.fromValues(manifest.segmenter, values) : undefined;
      // A failed load is forgotten, so the next request tries again; so is finding none, so that an
      // encoder published for this version later (npm run publish:model) is found without waiting
      // for the isolate to be recycled.
      const encoder = () =>
        (entry.encoder ??= loadStoredEncoder(env, name, version).then(
          (found) => {
            if (!found) entry.encoder = undefined;
            return found;
          },
          (err) => {
            entry.encoder = undefined;
            throw err;
          },
        ));
      return { name, version, manifest, generator: Generator.fromValues(manifest.generator, values), segmenter, encoder };
    })();
    e = entry;
    e.model.catch(() => live.delete(key));
  }
  live.set(key, e);
  evictBeyondLimit();
  e.users++;
  try {
    return await fn(await e.model);
  } finally {
    e.users--;
    if (e.evicted && e.users === 0) dispose(e);
  }
}

function evictBeyondLimit(): void {
  while (live.size > MAX_LIVE_MODELS) {
    const [oldest, e] = live.entries().next().value as [string, Entry];
    live.delete(oldest);
    e.evicted = true;
    if (e.users === 0) dispose(e);
  }
}

function dispose(e: Entry): void {
  e.model
    .then((m) => {
      m.generator.dispose();
      m.segmenter?.dispose();
    })
    .catch(() => {});
  e.encoder?.then((enc) => enc?.encoder.dispose()).catch(() => {});
}

/** Which versions this isolate holds (for /healthz and tests). */
export const liveModels = (): string[] => [...live.keys()];

/**
 * Unload every version (what a fresh isolate holds: nothing), so a test can tell whether a
 * request loads a model. A version still in use is disposed when its last request ends.
 *
 * @example
 * unloadModels(); liveModels(); // []
 */
export function unloadModels(): void {
  for (const [key, e] of live) {
    live.delete(key);
    e.evicted = true;
    if (e.users === 0) dispose(e);
  }
}
