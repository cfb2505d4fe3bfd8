/**
 * `npm run publish:model` against wrangler's local state (`--local --persist-to`), through the same
 * wrangler commands that `--remote` runs against an account: a run cut short after the shard is
 * resumed, a dry run changes nothing, a second run uploads nothing, a tampered folder is refused,
 * and the worker's own store reads the published version back through the shared loader. An
 * encoder goes beside the model version it inverts, where the worker's own lookup finds it.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy } from "wrangler";
import { versionOf } from "../shared/weights/content-id.ts";
import { loadModel } from "../shared/weights/loader.ts";
import type { Env } from "../worker/env.ts";
import { encoderPrefix, loadStoredEncoder } from "../worker/inversion/store.ts";
import { activeVersion, modelPrefix, r2Source } from "../worker/models/store.ts";

const FIXTURE = "test/fixtures/tiny-model";
/** The tiny encoder fixture and the model version it inverts. */
const ENCODER = "test/fixtures/tiny-semantic-encoder";
const ENCODER_MODEL = "test/fixtures/tiny-semantic-model";
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
    expect(r.status).toBe(2); // refused before any change
    expect(r.out).toMatch(/^publish:model: .* is not a valid model, nothing published: .*sha-?256/im);
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

  it("puts an encoder beside the model version it inverts, where the worker finds it, only once that version is stored; a different one only with --replace", async () => {
    const enc = JSON.parse(await readFile(join(ENCODER, "manifest.json"), "utf8")) as { name: string; version: string; inverts: { name: string; version: string }; shards: unknown[]; card: object };
    const { name, version } = enc.inverts;
    const prefix = encoderPrefix(name, version);

    const early = publish("--model", ENCODER);
    expect(early.status).toBe(2);
    expect(early.out).toContain(`inverts ${name} ${version}, which is not in bucket linkgan-weights (local, ${state}); nothing published`);

    expect(publish("--model", ENCODER_MODEL).status).toBe(0);
    const dry = publish("--model", ENCODER, "--dry-run");
    expect(dry.out).toMatch(new RegExp(`${prefix}manifest\\.json: would upload \\d+ bytes`));
    expect(dry.out).toContain("dry run: nothing changed");
    const first = publish("--model", ENCODER);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain(`done: ${enc.shards.length + 1} object(s) uploaded`);
    expect(first.out).toContain(`POST /v1/models/${name}/invert`);
    expect(publish("--model", ENCODER).out).toContain("done: 0 object(s) uploaded");

    // A retrained encoder for the same version: another card, so another content-derived version.
    const retrained = join(state, "retrained-encoder");
    await cp(ENCODER, retrained, { recursive: true });
    const m = { ...enc, card: { ...enc.card, title: "Retrained encoder fixture" } };
    m.version = await versionOf(m);
    await writeFile(join(retrained, "manifest.json"), JSON.stringify(m));
    const refused = publish("--model", retrained);
    expect(refused.status).toBe(2);
    expect(refused.out).toContain(`${prefix} already holds encoder ${enc.name} ${enc.version}; nothing published. --replace overwrites it`);
    const replaced = publish("--model", retrained, "--replace");
    expect(replaced.status, replaced.out).toBe(0);
    expect(replaced.out).toContain(`replacing encoder ${enc.name} ${enc.version} (--replace)`);
    expect(replaced.out).toContain("done: 1 object(s) uploaded"); // the shards are the same bytes: only the manifest

    const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: { path: join(state, "v3") } });
    try {
      const live = await loadStoredEncoder(proxy.env, name, version); // the worker's lookup; every shard's hash checked
      expect(live?.manifest.version).toBe(m.version);
    } finally {
      await proxy.dispose();
    }
  }, 300_000);
});
