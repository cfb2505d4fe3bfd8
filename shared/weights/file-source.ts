/**
 * Node only: read a model from, and write it to, a folder (manifest.json + shards). The browser and
 * the worker never import this file.
 */
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { WeightSource } from "./loader.ts";
import type { PackedModel } from "./pack.ts";

/**
 * @example
 * const model = await loadModel(fileSource("weights/faces64"));
 */
export function fileSource(dir: string): WeightSource {
  return {
    location: dir,
    async manifest() {
      const text = await readFile(join(dir, "manifest.json"), "utf8");
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new Error(`manifest.json is not valid JSON: ${(e as Error).message}`);
      }
    },
    async shard(path) {
      const file = join(dir, path);
      await stat(file); // a missing file rejects here, not mid-stream
      return Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    },
  };
}

/**
 * Write a packed model to `dir` atomically: files go to a temporary sibling folder that is renamed
 * into place, so a reader never sees a half-written model.
 */
export async function writeModelDir(dir: string, packed: { manifest: object; shards: PackedModel["shards"] }): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const s of packed.shards) await writeFile(join(tmp, s.path), s.bytes);
  await writeFile(join(tmp, "manifest.json"), `${JSON.stringify(packed.manifest, null, 1)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}
