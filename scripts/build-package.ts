/**
 * Builds the npm package of the browser client and the widget into dist/package/ and packs it:
 * the bundles of `npm run build:client` (the same files the worker hot-links), the SIMD binary
 * beside them, and .d.ts files that tsc generates from client/ and shared/ (tsconfig.package.json).
 * Its version is the project's (package.json), so a package and a hot-link URL of one version are
 * the same code.
 *
 * Usage: npm run build:package [-- --out DIR] [-- --dir-only]
 *   writes DIR/package/ (default dist/) and packs it into DIR/, printing the tarball's path last.
 * It reads dist/client/ as it is (`npm run build:package` builds it first; the package test does not,
 * so that it never rewrites the files a concurrent `wrangler dev` serves).
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { command, str } from "../trainer/cli/args.ts";
import { CLIENT_FILES } from "./lib/client-files.ts";

/** The package's name on npm. */
export const PACKAGE_NAME = "linkgan-client";

const flags = command({
  run: "npm run build:package --",
  name: "build:package",
  summary: "Builds the npm package of the client and the widget (dist/package/) and packs it into dist/.",
  flags: {
    out: { value: "DIR", help: "folder of the package's folder (package/) and of the tarball", type: str(), default: "dist" },
    "dir-only": { switch: true, help: "write the package's folder only, without `npm pack`" },
  },
}).parseOrExit();
const PACKAGE_DIR = `${flags.out}/package`;

const root = JSON.parse(await readFile("package.json", "utf8")) as { version: string; dependencies: Record<string, string> };
await rm(PACKAGE_DIR, { recursive: true, force: true });
await mkdir(PACKAGE_DIR, { recursive: true });
for (const f of CLIENT_FILES) await copyFile(`dist/client/${f}`, `${PACKAGE_DIR}/${f}`);
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.package.json", "--outDir", `${PACKAGE_DIR}/types`], { stdio: "inherit" });

const manifest = {
  name: PACKAGE_NAME,
  version: root.version,
  description: "LinkGAN in the browser: a client that renders on the page's GPU or through the API, and the <linkgan-editor> element",
  type: "module",
  exports: {
    ".": { types: "./types/client/client.d.ts", default: "./linkgan-client.js" },
    "./editor": { types: "./types/client/widget/editor.d.ts", default: "./linkgan-editor.js" },
    "./tfjs-backend-wasm-simd.wasm": "./tfjs-backend-wasm-simd.wasm",
    "./package.json": "./package.json",
  },
  // The bundles carry their own zod and TensorFlow.js; the .d.ts files name zod's types.
  dependencies: { zod: root.dependencies.zod },
  files: [...CLIENT_FILES, "types/"],
};
await writeFile(`${PACKAGE_DIR}/package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
await writeFile(
  `${PACKAGE_DIR}/README.md`,
  `# ${PACKAGE_NAME}\n\nThe LinkGAN browser client (\`import { LinkGanClient } from "${PACKAGE_NAME}"\`) and the \`<linkgan-editor>\` element (\`import "${PACKAGE_NAME}/editor"\`, which re-exports the client). See the project's README, "The npm package".\n`,
);
if (!flags["dir-only"]) {
  const out = execFileSync("npm", ["pack", "--pack-destination", "..", "--json"], { cwd: PACKAGE_DIR, encoding: "utf8" });
  const [info] = JSON.parse(out) as { filename: string; size: number; unpackedSize: number }[];
  console.log(`${(info!.size / 1024).toFixed(1)} KiB packed, ${(info!.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${info!.filename}`);
  console.log(`${flags.out}/${info!.filename}`);
}
