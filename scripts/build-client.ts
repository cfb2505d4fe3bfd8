/**
 * Builds the browser bundles into dist/client/ (served by the worker as static assets):
 *   linkgan-client.js   the client library (ES module)
 *   linkgan-editor.js   the <linkgan-editor> custom element (includes the client)
 *   tfjs-backend-wasm-simd.wasm   tfjs's WebAssembly backend (SIMD), which the client compiles for its wasm backend
 *   docs-assets/        Swagger UI for /docs, copied from the pinned swagger-ui-dist, and its start-up script
 *   v<version>-<hash>/  the client's files again, served immutable: the hot-link URL that a page pins,
 *                       as it would pin the npm package. The hash is of the files' bytes
 *                       (worker/http/client-files.ts, pinnedFolder), so the URL never serves other bytes
 *   v<version>/         the same files under the project's version alone (package.json): the newest
 *                       build of that version, revalidated, like the unversioned names
 *   client.json         { version, path } of the immutable folder, for the demo page and for anyone
 *                       looking for the URL to pin (revalidated)
 * Prints each entry's minified and gzip size and fails when one is over its gzip budget.
 *
 * Usage: npm run build:client [-- --metafile]   (writes dist/client/meta.json for esbuild's analyzer)
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { type Plugin, build } from "esbuild";
import { DOCS_ASSETS, DOCS_INIT_SCRIPT, securityHeaderLines } from "../worker/http/security.ts";
import { command } from "../trainer/cli/args.ts";
import { CLIENT_FILES, CLIENT_INDEX, type ClientIndex, pinnedFolder } from "../worker/http/client-files.ts";

const OUT = "dist/client";
/** The pinned folder's caching: its name is derived from its files' bytes, so they never change. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * gzip budgets in KiB, about 15% above the sizes measured when they were set (README, "The browser
 * client and widget"). Most of the weight is TensorFlow.js: core plus the webgpu, webgl and cpu
 * backends. Raise a budget only with a reason in the commit message.
 */
export const BUDGET_KIB: Record<string, number> = {
  "linkgan-client.js": 400,
  "linkgan-editor.js": 410,
};

const entries = {
  "linkgan-client": "client/client.ts",
  "linkgan-editor": "client/widget/editor.ts",
};

/**
 * zod re-exports its 60-odd locales as a namespace (`z.locales`), which esbuild cannot tree-shake
 * (~200 KiB minified). The client never switches locale (English messages are built in), so the
 * namespace becomes empty.
 */
const noZodLocales: Plugin = {
  name: "no-zod-locales",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (args.importer.includes("/zod/") ? { path: "zod-locales", namespace: "empty" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

const flags = command({
  run: "npm run build:client --",
  name: "build:client",
  summary: "Builds the browser bundles and the docs page's assets into dist/client/.",
  flags: { metafile: { switch: true, help: "also write dist/client/meta.json for esbuild's analyzer" } },
}).parseOrExit();

await rm(OUT, { recursive: true, force: true });
await mkdir(OUT, { recursive: true });
const result = await build({
  entryPoints: entries,
  outdir: OUT,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  metafile: flags.metafile,
  logLevel: "warning",
  plugins: [noZodLocales],
  // TensorFlow.js takes any runtime with process.versions.node for Node and then needs Node's
  // util, which a browser bundle lacks: so the client module also imports in Node (a framework's
  // server-side render of a page that imports the npm package) and only renders in a browser.
  define: { "process.env.NODE_ENV": '"production"', "process.versions.node": "undefined" },
});
if (result.metafile) await writeFile(`${OUT}/meta.json`, JSON.stringify(result.metafile));
// The client fetches it from beside its bundle (client/backend.ts): the same file the worker imports.
await copyFile("node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm", `${OUT}/tfjs-backend-wasm-simd.wasm`);
const { version } = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
const pinned = await pinnedFolder(version, await Promise.all(CLIENT_FILES.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(`${OUT}/${name}`)) }))));
for (const dir of [pinned, `v${version}`]) {
  await mkdir(`${OUT}/${dir}`);
  for (const f of CLIENT_FILES) await copyFile(`${OUT}/${f}`, `${OUT}/${dir}/${f}`);
}
const index: ClientIndex = { version, path: `/${pinned}/` };
await writeFile(`${OUT}/${CLIENT_INDEX}`, `${JSON.stringify(index)}\n`);
// Pages on any origin may load the modules (module scripts are fetched with CORS). Assets are
// served without running the worker, so they get the worker's security headers here, from the
// worker's own middleware. Only the pinned folder is immutable; every name a deploy can change (the
// unversioned files, v<version>/, the index, the docs' assets) is revalidated. Each path gets one
// Cache-Control rule: rules that match one path combine their values, so the catch-all sets none
// (and `/v<version>/*` cannot match the pinned folder, whose name goes on with "-").
const headerLines = ["  Access-Control-Allow-Origin: *", ...(await securityHeaderLines())];
const revalidate = "  Cache-Control: public, max-age=300, must-revalidate";
const rules = [
  `/*\n${headerLines.join("\n")}`,
  ...[...CLIENT_FILES.map((f) => `/${f}`), `/${CLIENT_INDEX}`, `/v${version}/*`, `/${DOCS_ASSETS.dir}/*`].map((p) => `${p}\n${revalidate}`),
  `/${pinned}/*\n  Cache-Control: ${IMMUTABLE}`,
];
await writeFile(`${OUT}/_headers`, `${rules.join("\n")}\n`);
await mkdir(`${OUT}/${DOCS_ASSETS.dir}`);
for (const f of DOCS_ASSETS.files) await copyFile(`node_modules/swagger-ui-dist/${f}`, `${OUT}/${DOCS_ASSETS.dir}/${f}`);
await writeFile(`${OUT}/${DOCS_ASSETS.dir}/${DOCS_ASSETS.init}`, DOCS_INIT_SCRIPT);

let over = 0;
console.log("entry               minified    gzip      budget (gzip)");
for (const name of Object.keys(entries)) {
  const file = `${name}.js`;
  const bytes = await readFile(`${OUT}/${file}`);
  const gz = gzipSync(bytes, { level: 9 }).length;
  const budget = BUDGET_KIB[file]!;
  const ok = gz <= budget * 1024;
  if (!ok) over++;
  console.log(`${file.padEnd(19)} ${kib(bytes.length).padStart(9)} ${kib(gz).padStart(9)}   ${`${budget} KiB`.padStart(9)} ${ok ? "ok" : "OVER BUDGET"}`);
}
console.log(`hot-link (immutable): ${index.path}linkgan-editor.js, ${index.path}linkgan-client.js`);
if (over) {
  console.error(`build-client: ${over} entr${over === 1 ? "y is" : "ies are"} over the gzip budget (scripts/build-client.ts, BUDGET_KIB)`);
  process.exit(1);
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}
