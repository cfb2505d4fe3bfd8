/**
 * The worker as `wrangler deploy` would upload it fits Workers' script size limits. wrangler builds
 * the bundle with --dry-run (nothing is uploaded; no account is needed) into a folder, and the test
 * measures what would be uploaded: the modules (JavaScript and the tfjs wasm binary), not the
 * source map or the static assets, which have limits of their own (25 MiB per file).
 *
 * Cloudflare's limits (developers.cloudflare.com/workers/platform/limits, "Worker size"): 3 MB
 * after compression on Workers Free, 10 MB on Workers Paid, and 64 MiB before compression. The
 * worker is meant for Paid (wrangler.toml's cpu_ms), but it is held to the Free limit, so a
 * dependency that would triple it is noticed here rather than at deploy time.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
/** Workers Free: 3 MB of compressed modules (the stricter reading of "3 MB" and wrangler's 3 MiB); Paid allows 10 MB. */
const FREE_COMPRESSED_BYTES = 3_000_000;
const UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

let out: string | undefined;
afterAll(() => (out ? rm(out, { recursive: true, force: true }) : undefined));

describe("the worker bundle", () => {
  it("fits Workers' size limits, as wrangler deploy --dry-run builds it", async () => {
    out = await mkdtemp(join(tmpdir(), "worker-bundle-"));
    const { stdout } = await run("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], { env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, timeout: 240_000 });
    const modules = (await readdir(out)).filter((f) => !f.endsWith(".map") && f !== "README.md");
    expect(modules).toContain("index.js");
    expect(modules.some((f) => f.endsWith(".wasm"))).toBe(true); // the tfjs wasm backend travels as a module
    const files = await Promise.all(modules.map((f) => readFile(join(out!, f))));
    const raw = files.reduce((a, b) => a + b.length, 0);
    const gzip = files.reduce((a, b) => a + gzipSync(b, { level: 9 }).length, 0);
    // wrangler's own summary of the same upload agrees with this measurement (to its rounding and gzip level).
    const [, totalKiB, gzipKiB] = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(stdout) ?? [];
    expect(Number(totalKiB) * 1024).toBeCloseTo(raw, -3);
    expect(Math.abs(Number(gzipKiB) * 1024 - gzip) / gzip).toBeLessThan(0.05);
    console.log(`worker bundle: ${(raw / 1024).toFixed(0)} KiB, ${(gzip / 1024).toFixed(0)} KiB gzip (${modules.join(", ")})`);
    expect(gzip).toBeLessThanOrEqual(FREE_COMPRESSED_BYTES);
    expect(raw).toBeLessThanOrEqual(UNCOMPRESSED_BYTES);
  });
});
