/**
 * Publishes one model folder to the worker's storage through wrangler: verifies it with the shared
 * loader (every shard's hash, the manifest's schema), uploads its version to R2
 * (models/<name>/<version>/, the shards first and manifest.json last, so that a version is never
 * visible half-uploaded) and makes it active (KV `active:<name>`).
 *
 * Idempotent and resumable: a version's keys hold content-derived bytes, so an object already in
 * the bucket with the local file's SHA-256 is skipped, and a run cut short uploads only what is
 * missing when run again. An active pointer that already names the version is left alone. (Not
 * `npm run publish`: npm would also run a script of that name after every `npm publish`.)
 *
 *   npm run publish:model -- --model weights/faces64 --remote            # the account's bucket and namespace
 *   npm run publish:model -- --model weights/faces64 --remote --dry-run  # what it would do, changing nothing
 *   npm run publish:model -- --model test/fixtures/tiny-model --local --persist-to DIR   # wrangler's local state
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { command, str } from "../trainer/cli/args.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadModel } from "../shared/weights/loader.ts";
import { modelPrefix } from "../worker/models/store.ts";

const args = command({
  run: "npm run publish:model --",
  name: "publish:model",
  summary: "Verifies a model folder, uploads its version to R2 and activates it, through wrangler (--remote or --local).",
  flags: {
    model: { value: "DIR", help: "model folder (manifest.json and its shards)", type: str(), required: true },
    remote: { switch: true, help: "the Cloudflare account's bucket and KV namespace (wrangler login or CLOUDFLARE_API_TOKEN)" },
    local: { switch: true, help: "wrangler's local state instead (what wrangler dev serves)" },
    "persist-to": { value: "DIR", help: "with --local: wrangler's state folder (wrangler's --persist-to)", type: str(), defaultText: "wrangler's own, .wrangler/state" },
    config: { value: "FILE", help: "wrangler configuration (its R2 bucket WEIGHTS and KV namespace MODELS)", type: str(), default: "wrangler.toml" },
    activate: { switch: true, default: true, help: "make the version active (--no-activate: upload it only)" },
    "dry-run": { switch: true, help: "verify and say what would be uploaded and activated; change nothing" },
  },
}).parseOrExit();

if (args.remote === args.local) {
  console.error("publish: give exactly one of --remote (the account) or --local (wrangler's local state)");
  process.exit(2);
}
if (args["persist-to"] && !args.local) {
  console.error("publish: --persist-to is for --local only");
  process.exit(2);
}
const where = args.remote ? ["--remote"] : ["--local", ...(args["persist-to"] ? ["--persist-to", args["persist-to"]] : [])];
const config = await readFile(args.config, "utf8");
const bucket = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"WEIGHTS"[^[]*?bucket_name\s*=\s*"([^"]+)"/.exec(config)?.[1];
if (!bucket) {
  console.error(`publish: ${args.config} has no [[r2_buckets]] binding "WEIGHTS" with a bucket_name`);
  process.exit(2);
}

/** Runs wrangler; its output on stdout, or undefined when it fails and `allowFail` (an absent key). */
function wrangler(cmd: string[], allowFail = false): Buffer | undefined {
  try {
    return execFileSync("npx", ["wrangler", ...cmd, "--config", args.config, ...where], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      maxBuffer: 1 << 30,
    });
  } catch (e) {
    if (allowFail) return undefined;
    throw new Error(`wrangler ${cmd.slice(0, 3).join(" ")} failed: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
  }
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const { manifest } = await loadModel(fileSource(args.model)).catch((e: Error) => {
  console.error(`publish: ${args.model} is not a valid model, nothing published: ${e.message}`);
  process.exit(1);
});
const prefix = modelPrefix(manifest.name, manifest.version);
const target = args.remote ? `bucket ${bucket} (remote)` : `bucket ${bucket} (local${args["persist-to"] ? `, ${args["persist-to"]}` : ""})`;
console.log(`[publish] ${args.model}: ${manifest.name} ${manifest.version}, verified (${manifest.shards.length} shard(s)) → ${target}`);

// Shards first, the manifest last: the worker (and this check on a rerun) sees a version only once it is whole.
const files = [...manifest.shards.map((s) => s.path), "manifest.json"];
let uploaded = 0;
for (const f of files) {
  const local = new Uint8Array(await readFile(join(args.model, f)));
  const stored = wrangler(["r2", "object", "get", `${bucket}/${prefix}${f}`, "--pipe"], true);
  if (stored && sha256(stored) === sha256(local)) {
    console.log(`[publish]   ${prefix}${f}: already stored`);
    continue;
  }
  if (args["dry-run"]) {
    console.log(`[publish]   ${prefix}${f}: would upload ${local.length} bytes`);
    continue;
  }
  const type = f.endsWith(".json") ? "application/json" : "application/octet-stream";
  wrangler(["r2", "object", "put", `${bucket}/${prefix}${f}`, "--file", join(args.model, f), "--content-type", type]);
  uploaded++;
  console.log(`[publish]   ${prefix}${f}: uploaded ${local.length} bytes`);
}

const key = `active:${manifest.name}`;
// Listed first: `kv key get` of an absent key prints a message and exits 0, like a value.
const listed = JSON.parse(wrangler(["kv", "key", "list", "--binding", "MODELS", "--prefix", key])!.toString("utf8")) as { name: string }[];
const active = listed.some((k) => k.name === key) ? wrangler(["kv", "key", "get", "--binding", "MODELS", key, "--text"])!.toString("utf8").trim() : undefined;
let activated = false;
if (!args.activate) console.log(`[publish] ${key} left at ${active || "(none)"} (--no-activate)`);
else if (active === manifest.version) console.log(`[publish] ${key} is already ${manifest.version}`);
else if (args["dry-run"]) console.log(`[publish] would set ${key} from ${active || "(none)"} to ${manifest.version}`);
else {
  wrangler(["kv", "key", "put", "--binding", "MODELS", key, manifest.version]);
  activated = true;
  console.log(`[publish] ${key}: ${active || "(none)"} → ${manifest.version}`);
}
console.log(`[publish] ${args["dry-run"] ? "dry run: nothing changed" : `done: ${uploaded} object(s) uploaded, ${activated ? "activated" : "activation unchanged"}`}`);
