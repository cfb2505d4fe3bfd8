/**
 * Seeds wrangler's local R2 and KV (the state `wrangler dev` uses, under .wrangler/) with every
 * model in weights/: each one is verified with the shared loader, its files are stored as an
 * immutable version, and its active pointer is set. Without a model in weights/ it seeds the tiny
 * test fixture instead, and says so.
 *
 * Usage: npm run dev:seed  (npm run dev runs it first)
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import type { Env } from "../../worker/env.ts";
import { modelPrefix, setActiveVersion } from "../../worker/models/store.ts";

async function modelDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(root).catch(() => [])) {
    const dir = join(root, name);
    if ((await stat(join(dir, "manifest.json")).catch(() => null))?.isFile()) out.push(dir);
  }
  return out;
}

// A copy with its own ArrayBuffer: Node's Buffers share a pool, which the proxy cannot serialize.
const bytes = (b: Buffer) => new Uint8Array(b);

let dirs = await modelDirs("weights");
if (dirs.length === 0) {
  console.warn("[seed] weights/ holds no model yet; seeding the tiny test fixture (random weights, renders noise)");
  dirs = ["test/fixtures/tiny-model"];
}

const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: true });
try {
  const env = proxy.env;
  for (const dir of dirs) {
    const { manifest } = await loadModel(fileSource(dir)).catch((e: Error) => {
      throw new Error(`[seed] ${dir} is not a valid model, nothing seeded from it: ${e.message}`);
    });
    const prefix = modelPrefix(manifest.name, manifest.version);
    if (await env.WEIGHTS.head(`${prefix}manifest.json`)) {
      console.log(`[seed] ${manifest.name} ${manifest.version}: already stored`);
    } else {
      for (const s of manifest.shards) await env.WEIGHTS.put(prefix + s.path, bytes(await readFile(join(dir, s.path))));
      await env.WEIGHTS.put(`${prefix}manifest.json`, await readFile(join(dir, "manifest.json"), "utf8"), { httpMetadata: { contentType: "application/json" } });
      console.log(`[seed] ${manifest.name} ${manifest.version}: stored ${manifest.shards.length} shard(s) from ${dir}`);
    }
    await setActiveVersion(env, manifest.name, manifest.version);
  }
} finally {
  await proxy.dispose();
}
