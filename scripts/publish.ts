/**
 * Publishes one model folder, or one GAN-inversion encoder folder, to the worker's storage through
 * wrangler, after verifying it with the shared loader (every shard's hash, the manifest's schema and
 * content-derived version):
 *
 * - A model: its version is uploaded to R2 (models/<name>/<version>/, the shards first and
 *   manifest.json last, so that a version is never visible half-uploaded) and made active (KV
 *   `active:<name>`).
 * - An encoder (`npm run encoder -- export`): uploaded beside the model version its manifest's
 *   `inverts` pins (models/<name>/<version>/encoder/, worker/inversion/store.ts), which is how the
 *   worker finds it for POST /v1/models/<name>/invert; there is no pointer to set. That model
 *   version must already be stored (publish the model first), since an encoder of any other version
 *   would never be used. A different encoder already stored there is replaced only with --replace.
 *
 * Idempotent and resumable: a version's keys hold content-derived bytes, so an object already in
 * the bucket with the local file's SHA-256 is skipped, and a run cut short uploads only what is
 * missing when run again. An active pointer that already names the version is left alone. Each
 * stored object is downloaded to compare its hash: wrangler (4.86) has no way to read an object's
 * metadata alone (no `r2 object head`, no custom metadata on `put`, no listing), and reaching R2's
 * S3 API would need credentials of its own; the largest shard is a few MB. (Not `npm run publish`:
 * npm would also run a script of that name after every `npm publish`.)
 *
 *   npm run publish:model -- --model weights/faces64 --remote            # the account's bucket and namespace
 *   npm run publish:model -- --model weights/faces64-encoder --remote    # its encoder, beside the version it inverts
 *   npm run publish:model -- --model weights/faces64 --remote --dry-run  # what it would do, changing nothing
 *   npm run publish:model -- --model test/fixtures/tiny-model --local --persist-to DIR   # wrangler's local state
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { command, fail, str } from "../trainer/cli/args.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadEncoder, loadModel } from "../shared/weights/loader.ts";
import { encoderPrefix } from "../worker/inversion/store.ts";
import { modelPrefix } from "../worker/models/store.ts";
import { standaloneNetwork } from "./lib/weight-folder.ts";

const cli = command({
  run: "npm run publish:model --",
  name: "publish:model",
  summary:
    "Verifies a model folder, uploads its version to R2 and activates it; or verifies an encoder folder and uploads it beside the model version it inverts. Through wrangler (--remote or --local).",
  flags: {
    model: { value: "DIR", help: "a model folder (manifest.json and its shards), or an encoder folder (what npm run encoder -- export writes)", type: str(), required: true },
    remote: { switch: true, help: "the Cloudflare account's bucket and KV namespace (wrangler login or CLOUDFLARE_API_TOKEN)" },
    local: { switch: true, help: "wrangler's local state instead (what wrangler dev serves)" },
    "persist-to": { value: "DIR", help: "with --local: wrangler's state folder (wrangler's --persist-to)", type: str(), defaultText: "wrangler's own, .wrangler/state" },
    config: { value: "FILE", help: "wrangler configuration (its R2 bucket WEIGHTS and KV namespace MODELS)", type: str(), default: "wrangler.toml" },
    activate: { switch: true, default: true, help: "a model: make the version active (--no-activate: upload it only)" },
    replace: { switch: true, help: "an encoder: overwrite a different encoder stored for the same model version (inversions of that version may fail while it uploads)" },
    "dry-run": { switch: true, help: "verify and say what would be uploaded and activated; change nothing" },
  },
  examples: [
    "npm run publish:model -- --model weights/faces64 --remote",
    "npm run publish:model -- --model weights/faces64-encoder --remote",
    "npm run publish:model -- --model weights/faces64 --local --dry-run",
  ],
  footer: "Exit status: 0 published (or nothing to do, or a dry run); 1 wrangler failed part-way (run it again: it resumes); 2 refused before any change (a flag, the folder, or what the bucket holds).",
  check: (f) => {
    if (f.remote === f.local) return "give exactly one of --remote (the account) or --local (wrangler's local state)";
    if (f["persist-to"] && !f.local) return "--persist-to is for --local only";
    return undefined;
  },
});
const args = cli.parseOrExit();
const CMD = cli.spec.name;

const where = args.remote ? ["--remote"] : ["--local", ...(args["persist-to"] ? ["--persist-to", args["persist-to"]] : [])];
const config = await readFile(args.config, "utf8").catch((e: NodeJS.ErrnoException) => fail(CMD, `--config: ${args.config}: ${e.code === "ENOENT" ? "no such file" : e.message}`));
const bucket = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"WEIGHTS"[^[]*?bucket_name\s*=\s*"([^"]+)"/.exec(config)?.[1] ?? fail(CMD, `${args.config} has no [[r2_buckets]] binding "WEIGHTS" with a bucket_name`);
const target = `bucket ${bucket} (${args.remote ? "remote" : `local${args["persist-to"] ? `, ${args["persist-to"]}` : ""}`})`;
const log = (line: string) => console.log(`[${CMD}] ${line}`);

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

/** An object's bytes in the bucket, or undefined when it is absent. */
const stored = (key: string) => wrangler(["r2", "object", "get", `${bucket}/${key}`, "--pipe"], true);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Uploads `shards` and then manifest.json from `dir` to `prefix`, skipping each object already
 * stored with the local file's SHA-256; `fetched` holds objects this run has already downloaded.
 * Returns how many it uploaded (a dry run: none, saying what it would).
 */
async function upload(dir: string, prefix: string, shards: string[], fetched: Record<string, Buffer | undefined> = {}): Promise<number> {
  let uploaded = 0;
  // Shards first, the manifest last: the worker (and this check on a rerun) sees a version only once it is whole.
  for (const f of [...shards, "manifest.json"]) {
    const local = new Uint8Array(await readFile(join(dir, f)));
    const remote = f in fetched ? fetched[f] : stored(`${prefix}${f}`);
    if (remote && sha256(remote) === sha256(local)) {
      log(`  ${prefix}${f}: already stored`);
      continue;
    }
    if (args["dry-run"]) {
      log(`  ${prefix}${f}: would upload ${local.length} bytes`);
      continue;
    }
    const type = f.endsWith(".json") ? "application/json" : "application/octet-stream";
    wrangler(["r2", "object", "put", `${bucket}/${prefix}${f}`, "--file", join(dir, f), "--content-type", type]);
    uploaded++;
    log(`  ${prefix}${f}: uploaded ${local.length} bytes`);
  }
  return uploaded;
}

const done = (uploaded: number, rest = "") => log(args["dry-run"] ? "dry run: nothing changed" : `done: ${uploaded} object(s) uploaded${rest}`);

/** A model: its version to models/<name>/<version>/, then `active:<name>` set to it. */
async function publishModel(dir: string): Promise<void> {
  const { manifest } = await loadModel(fileSource(dir)).catch((e: Error) => fail(CMD, `${dir} is not a valid model, nothing published: ${e.message}`));
  const prefix = modelPrefix(manifest.name, manifest.version);
  log(`${dir}: ${manifest.name} ${manifest.version}, verified (${manifest.shards.length} shard(s)) → ${target}`);
  const uploaded = await upload(dir, prefix, manifest.shards.map((s) => s.path));

  const key = `active:${manifest.name}`;
  // Listed first: `kv key get` of an absent key prints a message and exits 0, like a value.
  const listed = JSON.parse(wrangler(["kv", "key", "list", "--binding", "MODELS", "--prefix", key])!.toString("utf8")) as { name: string }[];
  const active = listed.some((k) => k.name === key) ? wrangler(["kv", "key", "get", "--binding", "MODELS", key, "--text"])!.toString("utf8").trim() : undefined;
  let activated = false;
  if (!args.activate) log(`${key} left at ${active || "(none)"} (--no-activate)`);
  else if (active === manifest.version) log(`${key} is already ${manifest.version}`);
  else if (args["dry-run"]) log(`would set ${key} from ${active || "(none)"} to ${manifest.version}`);
  else {
    wrangler(["kv", "key", "put", "--binding", "MODELS", key, manifest.version]);
    activated = true;
    log(`${key}: ${active || "(none)"} → ${manifest.version}`);
  }
  done(uploaded, activated ? ", activated" : ", activation unchanged");
}

/** An encoder: beside the model version it inverts, models/<name>/<version>/encoder/ (no pointer: the worker looks there). */
async function publishEncoder(dir: string): Promise<void> {
  const { manifest } = await loadEncoder(fileSource(dir)).catch((e: Error) => fail(CMD, `${dir} is not a valid encoder, nothing published: ${e.message}`));
  const { name, version } = manifest.inverts;
  log(`${dir}: encoder ${manifest.name} ${manifest.version} for ${name} ${version}, verified (${manifest.shards.length} shard(s)) → ${target}`);
  if (!stored(`${modelPrefix(name, version)}manifest.json`)) {
    fail(CMD, `${dir} inverts ${name} ${version}, which is not in ${target}; nothing published. Publish that model version first (--model <its folder>), or export the encoder for the version that is stored`);
  }
  const prefix = encoderPrefix(name, version);
  const current = stored(`${prefix}manifest.json`);
  if (current && sha256(current) !== sha256(await readFile(join(dir, "manifest.json")))) {
    const was = (() => {
      try {
        const m = JSON.parse(current.toString("utf8")) as { name?: unknown; version?: unknown };
        return `${m.name} ${m.version}`;
      } catch {
        return "an unreadable manifest";
      }
    })();
    // The worker memoizes a version's encoder per isolate, and its shards are checked against the
    // stored manifest: while a replacement uploads, the two disagree.
    if (!args.replace) {
      fail(CMD, `${prefix} already holds encoder ${was}; nothing published. --replace overwrites it (inversions of ${name} ${version} may fail while its files upload, and a warm isolate keeps the encoder it loaded until it is recycled)`);
    }
    log(`${args["dry-run"] ? "would replace" : "replacing"} encoder ${was} (--replace)`);
  }
  const uploaded = await upload(
    dir,
    prefix,
    manifest.shards.map((s) => s.path),
    { "manifest.json": current },
  );
  log(`found through ${name} ${version}: POST /v1/models/${name}/invert (no pointer to set)`);
  done(uploaded);
}

const kind = await standaloneNetwork(args.model);
if (kind === "segmenter") fail(CMD, `${args.model} is a standalone segmenter (no generator), which the API does not serve; publish the model that bundles it (e.g. weights/faces64)`);
try {
  await (kind === "encoder" ? publishEncoder(args.model) : publishModel(args.model));
} catch (e) {
  console.error(`${CMD}: ${(e as Error).message}\n(what was uploaded before this stays; run the same command again to resume)`);
  process.exit(1);
}
