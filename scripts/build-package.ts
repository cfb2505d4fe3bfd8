/**
 * Builds the npm package of the browser client and the widget into dist/package/ and packs it:
 * the bundles of `npm run build:client` (the same files the worker hot-links), the SIMD binary
 * beside them, .d.ts files that tsc generates from client/ and shared/ (tsconfig.package.json), and
 * its package.json and README (scripts/lib/package-files.ts). Its version, licence and links are
 * the project's (package.json), and its README names the hot-link folder of the same bytes
 * (dist/client/client.json).
 *
 * Usage: npm run build:package [-- --out DIR] [-- --dir-only]
 *   writes DIR/package/ (default dist/) and packs it into DIR/, printing the tarball's path last.
 * It reads dist/client/ as it is (`npm run build:package` builds it first; the package test does not,
 * so that it never rewrites the files a concurrent `wrangler dev` serves).
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { command, fail, str } from "../trainer/cli/args.ts";
import { CLIENT_FILES, CLIENT_INDEX, type ClientIndex } from "../worker/http/client-files.ts";
import { NO_LICENCE, type ProjectPackage, packageManifest, packageReadme } from "./lib/package-files.ts";

const cli = command({
  run: "npm run build:package --",
  name: "build:package",
  summary: "Builds the npm package of the client and the widget (dist/package/) and packs it into dist/.",
  flags: {
    out: { value: "DIR", help: "folder of the package's folder (package/) and of the tarball", type: str(), default: "dist" },
    "dir-only": { switch: true, help: "write the package's folder only, without `npm pack`" },
  },
});
const flags = cli.parseOrExit();
const PACKAGE_DIR = `${flags.out}/package`;

const root = JSON.parse(await readFile("package.json", "utf8")) as ProjectPackage;
const index = JSON.parse(
  await readFile(`dist/client/${CLIENT_INDEX}`, "utf8").catch(() => fail(cli.spec.name, `dist/client/${CLIENT_INDEX} is missing: run npm run build:client first (npm run build:package does)`)),
) as ClientIndex;
if (index.version !== root.version) fail(cli.spec.name, `dist/client was built for ${index.version}, not ${root.version}: run npm run build:client again`);
await rm(PACKAGE_DIR, { recursive: true, force: true });
await mkdir(PACKAGE_DIR, { recursive: true });
for (const f of CLIENT_FILES) await copyFile(`dist/client/${f}`, `${PACKAGE_DIR}/${f}`);
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.package.json", "--outDir", `${PACKAGE_DIR}/types`], { stdio: "inherit" });
await writeFile(`${PACKAGE_DIR}/package.json`, `${JSON.stringify(packageManifest(root), null, 2)}\n`);
await writeFile(`${PACKAGE_DIR}/README.md`, packageReadme(root, index.path));
// Not invented here: a licence and the project's address are the project's to choose (its package.json).
const missing = (["license", "repository", "homepage"] as const).filter((k) => !root[k]);
if (missing.length) {
  console.warn(`[${cli.spec.name}] package.json has no ${missing.join(", ")}: the package ${[root.license ? "" : `says "license": "${NO_LICENCE}" (none granted)`, missing.length > (root.license ? 0 : 1) ? "has no link to the project" : ""].filter(Boolean).join(" and ")}`);
}
if (!flags["dir-only"]) {
  const out = execFileSync("npm", ["pack", "--pack-destination", "..", "--json"], { cwd: PACKAGE_DIR, encoding: "utf8" });
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number }[];
  console.log(`${(info!.size / 1024).toFixed(1)} KiB packed, ${(info!.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${info!.filename}`);
  console.log(`${flags.out}/${info!.filename}`);
}
