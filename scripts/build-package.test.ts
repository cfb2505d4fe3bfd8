/**
 * The npm package as a user meets it: `npm pack` (scripts/build-package.ts), then a fresh project
 * in a temporary folder installs the tarball with npm (zod, its one dependency, from npm's cache
 * where it can, else the registry), imports the client in Node, type-checks a TypeScript file
 * against the generated .d.ts files (with the example of the package's own README), and bundles
 * the widget with esbuild and with Vite. The tarball, the project and its Vite build are
 * scripts/lib/scratch-app.ts's, shared with test/browser/package.test.ts, which loads the built app
 * in chromium. Reads dist/client/ (`npm test` builds it first) and never rewrites it.
 */
import { execFileSync } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_FILES, CLIENT_INDEX, type ClientIndex } from "../worker/http/client-files.ts";
import { NO_LICENCE, type ProjectPackage, packageManifest, packageReadme } from "./lib/package-files.ts";
import { SCRATCH_API_ORIGIN, type ScratchApp, scratchApp } from "./lib/scratch-app.ts";

const REPO = resolve(".");
let pkg: ScratchApp;
let dir: string;
let app: string;
let tarball: string;
const root = JSON.parse(await readFile("package.json", "utf8")) as ProjectPackage;
const version = root.version;
let pinned: string; // the hot-link folder of this build, e.g. /v0.1.0-1a2b3c4d/
const installed = (f: string) => join(app, "node_modules/linkgan-client", f);
/** The ```ts block of the package's README. */
const readmeExample = async () => /```ts\n([\s\S]*?)```/.exec(await readFile(installed("README.md"), "utf8"))?.[1];

beforeAll(async () => {
  pkg = await scratchApp(); // builds dist/client first when it is missing
  ({ dir, app, tarball } = pkg);
  pinned = (JSON.parse(await readFile(`dist/client/${CLIENT_INDEX}`, "utf8")) as ClientIndex).path;
}, 240_000);

afterAll(async () => {
  await pkg?.release();
});

describe("the npm package, installed from its tarball into a fresh project", () => {
  it("is named and versioned as the project, and holds the bundles, the SIMD binary and the types", async () => {
    expect(tarball).toBe(join(dir, `linkgan-client-${version}.tgz`));
    const pkg = JSON.parse(await readFile(join(app, "node_modules/linkgan-client/package.json"), "utf8")) as { version: string; exports: Record<string, unknown> };
    expect(pkg.version).toBe(version);
    expect(Object.keys(pkg.exports)).toEqual([".", "./editor", "./tfjs-backend-wasm-simd.wasm", "./package.json"]);
    // The same bytes as the hot-linked files of this build.
    for (const f of CLIENT_FILES) {
      expect((await readFile(installed(f))).equals(await readFile(`dist/client${pinned}${f}`)), f).toBe(true);
    }
  });

  it("carries the project's licence and links, and a README with the install, both entry points, the element, bundlers and the hot-link URL", async () => {
    const pkg = JSON.parse(await readFile(installed("package.json"), "utf8")) as Record<string, unknown>;
    // Without a licence in the project, the package says none is granted rather than naming one.
    expect(pkg.license).toBe(root.license ?? NO_LICENCE);
    expect(pkg.repository).toEqual(root.repository);
    expect(pkg.homepage).toEqual(root.homepage);
    const readme = await readFile(installed("README.md"), "utf8");
    expect(readme).toContain("npm install linkgan-client");
    expect(readme).toContain('from "linkgan-client"');
    expect(readme).toContain('import "linkgan-client/editor"');
    expect(readme).toMatch(/<linkgan-editor api-origin="[^"]+" model="faces64"/);
    expect(readme).toContain("## Bundlers");
    expect(readme).toContain("cp node_modules/linkgan-client/tfjs-backend-wasm-simd.wasm public/");
    expect(readme).toContain(`${pinned}linkgan-editor.js`);
    expect(readme).toContain(root.license ? `## Licence\n\n${root.license}.` : `## Licence\n\nNone granted yet: the project has no licence, so this package says \`"license": "${NO_LICENCE}"\``);
    expect(readme).toContain('sections "The browser\nclient and widget" and "The npm package"');
    expect(await readmeExample()).toContain("LinkGanClient.create");
  });

  it("takes the licence, repository and homepage from the project's package.json when it has them", () => {
    const withLinks: ProjectPackage = { ...root, license: "MIT", repository: { type: "git", url: "git+https://github.com/example/linkgan-web.git" }, homepage: "https://github.com/example/linkgan-web#readme" };
    const m = packageManifest(withLinks);
    expect([m.license, m.repository, m.homepage]).toEqual([withLinks.license, withLinks.repository, withLinks.homepage]);
    const readme = packageReadme(withLinks, "/v0.1.0-00000000/");
    expect(readme).toContain("## Licence\n\nMIT.");
    expect(readme).toContain("the LinkGAN project (https://github.com/example/linkgan-web#readme)");
    expect(packageReadme({ ...withLinks, homepage: undefined }, "/")).toContain("the LinkGAN project (https://github.com/example/linkgan-web)");
  });

  it("imports the client by its package name (Node, as a bundler's SSR step would)", () => {
    const script = `const m = await import("linkgan-client"); console.log(JSON.stringify(Object.keys(m).sort()), typeof m.LinkGanClient.create, import.meta.resolve("linkgan-client/tfjs-backend-wasm-simd.wasm").endsWith("/linkgan-client/tfjs-backend-wasm-simd.wasm"));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" });
    const [names, create, wasm] = out.trim().split(" ");
    expect(JSON.parse(names!)).toEqual(expect.arrayContaining(["LinkGanClient", "LinkGanError", "clearWeightsCache"]));
    expect([create, wasm]).toEqual(["function", "true"]);
  });

  it("type-checks a user's TypeScript and the README's example against the generated .d.ts, strictly and with the library checked too", async () => {
    await writeFile(
      join(app, "main.ts"),
      `import { type ClientOptions, LinkGanClient, type RenderedImage } from "linkgan-client";
import { type LinkGanEditor } from "linkgan-client/editor";
const options: ClientOptions = { apiOrigin: "https://linkgan.example", model: "faces64", mode: "remote" };
export async function first(): Promise<RenderedImage> {
  const client = await LinkGanClient.create(options);
  const img = await client.generate({ seed: 7, truncation: 0.7 });
  const width: number = img.width;
  return width > 0 ? img : img;
}
const el: LinkGanEditor = document.createElement("linkgan-editor");
el.seed = 7;
// @ts-expect-error: a mode is "local", "remote" or "auto", which the types know
export const bad: ClientOptions = { mode: "gpu" };
`,
    );
    // The example a reader of the package's README copies first.
    await writeFile(join(app, "readme.ts"), (await readmeExample()) ?? "the package's README has no ts example");
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "ESNext", moduleResolution: "Bundler", target: "ES2022", lib: ["ES2023", "DOM"], types: [], skipLibCheck: false }, files: ["main.ts", "readme.ts"] }),
    );
    const r = (() => {
      try {
        return execFileSync(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
      } catch (e) {
        return String((e as { stdout?: string }).stdout);
      }
    })();
    expect(r).toBe("");
  });

  it("bundles the widget with a bundler (esbuild), keeping the SIMD binary's URL relative to the bundle", async () => {
    // The app's script (scratch-app.ts): `import { LinkGanClient } from "linkgan-client/editor"`.
    const res = await build({ absWorkingDir: app, entryPoints: ["app.js"], bundle: true, format: "esm", outdir: "public", write: false, logLevel: "silent" });
    const js = res.outputFiles[0]!.text;
    expect(js).toContain("linkgan-editor");
    // The client fetches the binary from beside the bundle: the literal URL survives bundling.
    expect(js).toContain('new URL("./tfjs-backend-wasm-simd.wasm", import.meta.url)');
  });

  it("builds a Vite app that uses the widget, and Vite emits the SIMD binary beside the bundle on its own", async () => {
    // The page keeps the element as written (test/browser/package.test.ts loads it in chromium).
    expect(await readFile(join(pkg.dist, "index.html"), "utf8")).toContain(`<linkgan-editor api-origin="${SCRATCH_API_ORIGIN}"`);
    const assets = await readdir(join(pkg.dist, "assets"));
    const wasm = assets.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    expect((await readFile(join(pkg.dist, "assets", wasm[0]!))).equals(await readFile(installed("tfjs-backend-wasm-simd.wasm")))).toBe(true);
    // The bundle asks for the emitted (hashed) file by URL (Vite writes `new URL(`/assets/<file>`, import.meta.url)`, under its base).
    const js = (await Promise.all(assets.filter((f) => f.endsWith(".js")).map((f) => readFile(join(pkg.dist, "assets", f), "utf8")))).join("\n");
    expect(js).toMatch(new RegExp(`new URL\\(\`[^\`]*/assets/${wasm[0]!.replace(".", "\\.")}\``));
  });
});
