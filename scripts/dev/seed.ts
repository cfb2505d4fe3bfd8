/**
 * Prepares wrangler's local state (what `wrangler dev` uses, under .wrangler/state or --persist-to):
 * - R2 and KV: every model in weights/ (a generator, with its segmenter when it bundles one),
 *   verified with the shared loader, stored as an immutable version and made active. An encoder
 *   folder is stored beside the model version it inverts (skipped with a note when that version is
 *   not stored). A standalone segmenter folder (no generator; the trainer reads it, the API does not
 *   serve it) is skipped with a note. Without a model in weights/ it seeds the tiny test fixtures instead, and says so.
 * - D1: the jobs schema (`wrangler d1 migrations apply --local`).
 * - .dev.vars: random local secrets (WEBHOOK_SECRETS, AGENT_TOKEN, ADMIN_TOKEN) if the file is absent
 *   and no --persist-to is given.
 *
 * npm run dev:seed -- --help lists the flags (npm run dev runs it first).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { command, str } from "../../trainer/cli/args.ts";
import { getPlatformProxy } from "wrangler";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadEncoder, loadModel } from "../../shared/weights/loader.ts";
import type { Env } from "../../worker/env.ts";
import { encoderPrefix } from "../../worker/inversion/store.ts";
import { modelPrefix, setActiveVersion } from "../../worker/models/store.ts";
import { standaloneNetwork } from "../lib/weight-folder.ts";

/** The model folders in `root`, and the encoder folders (stored beside the model version each inverts). */
async function weightDirs(root: string): Promise<{ models: string[]; encoders: string[] }> {
  const models: string[] = [];
  const encoders: string[] = [];
  for (const name of (await readdir(root).catch(() => [])).sort()) {
    const dir = join(root, name);
    if (!(await stat(join(dir, "manifest.json")).catch(() => null))?.isFile()) continue;
    const standalone = await standaloneNetwork(dir);
    if (standalone === "encoder") encoders.push(dir);
    else if (standalone) console.log(`[seed] ${dir}: a standalone ${standalone} (no generator), not a servable model; skipped`);
    else models.push(dir);
  }
  return { models, encoders };
}

const FIXTURES = { models: ["test/fixtures/tiny-model", "test/fixtures/tiny-semantic-model"], encoders: ["test/fixtures/tiny-semantic-encoder"] };

// A copy with its own ArrayBuffer: Node's Buffers share a pool, which the proxy cannot serialize.
const bytes = (b: Buffer) => new Uint8Array(b);

const args = command({
  run: "npm run dev:seed --",
  name: "dev:seed",
  summary: "Seeds wrangler's local R2, KV and D1 with the models in weights/; for wrangler's own state (no --persist-to) also writes .dev.vars (local secrets) if absent.",
  flags: {
    "persist-to": { value: "DIR", help: "wrangler's state folder (wrangler's --persist-to)", type: str(), defaultText: "wrangler's own, .wrangler/state" },
    weights: { value: "DIR", help: "folder of model folders to seed", type: str(), default: "weights" },
    "with-fixture": { switch: true, help: 'also seed the tiny fixtures ("tiny-fixture", and "tiny-semantic" with a semantic region) when the weights folder has models' },
  },
}).parseOrExit();
const persistTo = args["persist-to"];

const found = await weightDirs(args.weights);
const dirs = found.models;
if (dirs.length === 0 || args["with-fixture"]) {
  if (dirs.length === 0) console.warn("[seed] weights/ holds no model yet; seeding the tiny test fixtures (random weights, render noise)");
  dirs.push(...FIXTURES.models);
  found.encoders.push(...FIXTURES.encoders);
}


// Only for wrangler's own state (npm run dev): a run with its own --persist-to (a test) passes its
// own secrets, and writing .dev.vars would reload every wrangler dev watching this folder.
if (!persistTo && !(await stat(".dev.vars").catch(() => null))) {
  const secret = () => randomBytes(24).toString("base64url");
  await writeFile(".dev.vars", `# Local secrets for wrangler dev (written by npm run dev:seed; never committed)\nWEBHOOK_SECRETS="${secret()}"\nAGENT_TOKEN="${secret()}"\nADMIN_TOKEN="${secret()}"\n`);
  console.log("[seed] wrote .dev.vars with fresh local secrets");
}

execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "linkgan-jobs", "--local", ...(persistTo ? ["--persist-to", persistTo] : [])], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
});
console.log("[seed] D1 jobs schema applied");

const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: persistTo ? { path: join(persistTo, "v3") } : true });
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
  for (const dir of found.encoders) {
    const { manifest } = await loadEncoder(fileSource(dir)).catch((e: Error) => {
      throw new Error(`[seed] ${dir} is not a valid encoder, nothing seeded from it: ${e.message}`);
    });
    const { name, version } = manifest.inverts;
    if (!(await env.WEIGHTS.head(`${modelPrefix(name, version)}manifest.json`))) {
      console.log(`[seed] ${dir}: inverts ${name} ${version}, which is not stored (retrain or re-export the encoder for the model in weights/); skipped`);
      continue;
    }
    const prefix = encoderPrefix(name, version);
    for (const s of manifest.shards) await env.WEIGHTS.put(prefix + s.path, bytes(await readFile(join(dir, s.path))));
    await env.WEIGHTS.put(`${prefix}manifest.json`, await readFile(join(dir, "manifest.json"), "utf8"), { httpMetadata: { contentType: "application/json" } });
    console.log(`[seed] ${manifest.name} ${manifest.version}: stored beside ${name} ${version} (POST /v1/models/${name}/invert)`);
  }
} finally {
  await proxy.dispose();
}
