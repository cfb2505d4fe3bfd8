/**
 * The npm package as a user meets it, built once per test run and shared: `npm pack` of the package
 * (scripts/build-package.ts), a fresh project in a temporary folder that installs the tarball with
 * npm (`--prefer-offline`: zod, its one dependency, comes from npm's cache when `npm ci` left its
 * registry metadata there, else from the registry, as `npm ci` did; a fresh machine's cache holds
 * only the tarballs, and `--offline` failed there with ENOTCACHED), and a Vite
 * app of that project that puts <linkgan-editor> on its page. scripts/build-package.test.ts checks
 * the tarball, the install and the build; test/browser/package.test.ts loads the built app in
 * chromium.
 *
 * Packing takes most of the time (tsc writes the .d.ts files), so the test files of one vitest run
 * share one build: test/scratch-app.setup.ts (a globalSetup) names its folder in
 * `SCRATCH_APP_ENV` and removes it when the run ends; the first caller builds there and the others
 * wait for it. Outside such a run each call builds a folder of its own, which `release` removes.
 * Reads dist/client/ (built when missing) and never rewrites it.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CLIENT_INDEX } from "../../worker/http/client-files.ts";
import { PACKAGE_NAME } from "./package-files.ts";

/** The environment variable that names the shared folder of this test run (test/scratch-app.setup.ts). */
export const SCRATCH_APP_ENV = "LINKGAN_SCRATCH_APP";

/** The API origin the app's page names; a server of the built app puts the API it tests in its place. */
export const SCRATCH_API_ORIGIN = "https://linkgan.example";

/** The model and mode on the app's page: the tiny fixture (16 px), rendered in the page. */
export const SCRATCH_MODEL = "tiny-fixture";

/**
 * The app's page: the element, as a reader of the package's README writes it, and the script that
 * imports the package (and an empty icon, so that the browser asks no server for /favicon.ico).
 * Vite builds it into `ScratchApp.dist`.
 */
const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>scratch app</title><link rel="icon" href="data:,"></head>
<body>
<linkgan-editor api-origin="${SCRATCH_API_ORIGIN}" model="${SCRATCH_MODEL}" mode="local" seed="7"></linkgan-editor>
<script type="module" src="./app.js"></script>
</body>
</html>
`;

/** The app's script: the widget by its package name. */
const APP_JS = `import { LinkGanClient } from "${PACKAGE_NAME}/editor";
console.log(customElements.get("linkgan-editor") !== undefined, typeof LinkGanClient);
`;

export interface ScratchApp {
  /** The folder of the tarball and of the app. */
  dir: string;
  /** The tarball `npm pack` wrote, e.g. <dir>/linkgan-client-0.1.0.tgz. */
  tarball: string;
  /** The fresh project (package.json, index.html, app.js, node_modules/linkgan-client). */
  app: string;
  /** Vite's build of the app: index.html and assets/ (the bundle and the SIMD binary it emitted). */
  dist: string;
  /** Remove the folder if this call built it for itself (outside a shared run, else a no-op). */
  release(): Promise<void>;
}

const run = promisify(execFile);
/** What the build writes last; its absence means the build has not finished. */
const DONE = "done.json";
const FAILED = "failed.txt";
let pending: Promise<Omit<ScratchApp, "release">> | undefined;

/**
 * The packed package installed into a fresh project with its Vite app built: this run's shared
 * build (built by the first caller, awaited by the rest), or a folder of its own outside one.
 *
 * @example
 * const pkg = await scratchApp(); // … read pkg.dist …; await pkg.release();
 */
export async function scratchApp(): Promise<ScratchApp> {
  const shared = process.env[SCRATCH_APP_ENV];
  if (!shared) {
    const dir = await mkdtemp(join(tmpdir(), "linkgan-package-"));
    const built = await build(dir).catch(async (e) => {
      await rm(dir, { recursive: true, force: true });
      throw e;
    });
    return { ...built, release: () => rm(dir, { recursive: true, force: true }) };
  }
  pending ??= sharedBuild(shared);
  return { ...(await pending), release: async () => undefined };
}

/** Build in `dir` if this process creates it first, else wait for the process that did. */
async function sharedBuild(dir: string): Promise<Omit<ScratchApp, "release">> {
  const owner = await mkdir(dir).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === "EEXIST") return false;
      throw e;
    },
  );
  if (owner) {
    try {
      const built = await build(dir);
      await writeFile(join(dir, DONE), JSON.stringify(built));
      return built;
    } catch (e) {
      await writeFile(join(dir, FAILED), String((e as Error).stack ?? e));
      throw e;
    }
  }
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (existsSync(join(dir, DONE))) return JSON.parse(await readFile(join(dir, DONE), "utf8")) as Omit<ScratchApp, "release">;
    if (existsSync(join(dir, FAILED))) throw new Error(`the shared scratch app failed to build in another test file:\n${await readFile(join(dir, FAILED), "utf8")}`);
    if (Date.now() > deadline) throw new Error(`the shared scratch app in ${dir} was not built within 240 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function build(dir: string): Promise<Omit<ScratchApp, "release">> {
  // Built when missing (npm test builds it first, so this never runs beside a wrangler dev that serves it).
  if (!existsSync(`dist/client/${CLIENT_INDEX}`)) execFileSync(process.execPath, ["--import", "tsx", "scripts/build-client.ts"], { stdio: "pipe" });
  const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/build-package.ts", "--out", dir], { encoding: "utf8" });
  const tarball = stdout.trim().split("\n").at(-1)!;
  const app = join(dir, "app");
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module" }));
  await run("npm", ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], { cwd: app });
  await writeFile(join(app, "index.html"), INDEX_HTML);
  await writeFile(join(app, "app.js"), APP_JS);
  const { build: viteBuild } = await import("vite");
  await viteBuild({ root: app, configFile: false, logLevel: "silent", build: { outDir: "vite-dist", emptyOutDir: true } });
  return { dir, tarball, app, dist: join(app, "vite-dist") };
}
