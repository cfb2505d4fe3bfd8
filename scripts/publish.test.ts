/**
 * `npm run publish:model` against wrangler's local state (`--local --persist-to`), through the same
 * wrangler commands that `--remote` runs against an account: a run cut short after the shard is
 * resumed, a dry run changes nothing, a second run uploads nothing, a tampered folder is refused,
 * and the worker's own store reads the published version back through the shared loader.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy } from "wrangler";
import { loadModel } from "../shared/weights/loader.ts";
import type { Env } from "../worker/env.ts";
import { activeVersion, modelPrefix, r2Source } from "../worker/models/store.ts";

const FIXTURE = "test/fixtures/tiny-model";
let state: string;
let manifest: { name: string; version: string; shards: { path: string }[] };

/** One run of the command; its stdout, stderr and exit status. */
function publish(...flags: string[]): { out: string; status: number } {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/publish.ts", "--local", "--persist-to", state, ...flags], { encoding: "utf8", stdio: "pipe" });
    return { out, status: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; status: number };
    return { out: err.stdout + err.stderr, status: err.status };
  }
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "linkgan-publish-"));
  manifest = JSON.parse(await readFile(join(FIXTURE, "manifest.json"), "utf8"));
});

afterAll(async () => {
  await rm(state, { recursive: true, force: true });
});

describe("npm run publish:model --local", () => {
  it("refuses a folder whose shard does not match its manifest, uploading nothing", async () => {
    const bad = join(state, "tampered");
    await cp(FIXTURE, bad, { recursive: true });
    const shard = join(bad, manifest.shards[0]!.path);
    const bytes = await readFile(shard);
    bytes[100] = bytes[100]! ^ 0xff;
    await writeFile(shard, bytes);
    const r = publish("--model", bad);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/is not a valid model, nothing published: .*sha-?256/i);
  });

  it("resumes a run cut short, dry-runs without change, is idempotent, and the worker's store loads the version", async () => {
    const prefix = modelPrefix(manifest.name, manifest.version);
    const shard = manifest.shards[0]!.path;
    // A run that stopped after its shard: the shard is stored, the manifest is not.
    execFileSync("npx", ["wrangler", "r2", "object", "put", `linkgan-weights/${prefix}${shard}`, "--file", join(FIXTURE, shard), "--local", "--persist-to", state], { stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" } });

    const dry = publish("--model", FIXTURE, "--dry-run");
    expect(dry.status).toBe(0);
    expect(dry.out).toContain(`${prefix}${shard}: already stored`);
    expect(dry.out).toMatch(new RegExp(`${prefix}manifest\\.json: would upload \\d+ bytes`));
    expect(dry.out).toContain(`would set active:${manifest.name} from (none) to ${manifest.version}`);

    const first = publish("--model", FIXTURE);
    expect(first.status).toBe(0);
    expect(first.out).toContain(`${prefix}${shard}: already stored`);
    expect(first.out).toContain("done: 1 object(s) uploaded, activated");

    const again = publish("--model", FIXTURE);
    expect(again.out).toContain(`active:${manifest.name} is already ${manifest.version}`);
    expect(again.out).toContain("done: 0 object(s) uploaded, activation unchanged");

    const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: { path: join(state, "v3") } });
    try {
      expect(await activeVersion(proxy.env, manifest.name)).toBe(manifest.version);
      const loaded = await loadModel(r2Source(proxy.env, manifest.name, manifest.version)); // verifies every shard's hash
      expect(loaded.manifest.version).toBe(manifest.version);
    } finally {
      await proxy.dispose();
    }
  }, 180_000);
});
