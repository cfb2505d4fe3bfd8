/**
 * The npm package in an app, as its user's visitors meet it: the Vite app that a fresh project
 * builds after installing the packed tarball (scripts/lib/scratch-app.ts, the build that
 * scripts/build-package.test.ts checks, shared within a run), served from an origin of its own by a
 * static server, with `<linkgan-editor api-origin=…>` pointed at `wrangler dev` on another origin
 * (harness.ts), in chromium. No WebGPU in the page, so the widget starts on wasm and fetches the
 * SIMD binary that Vite emitted beside the app's bundle; the tiny fixture (16 px) renders in a
 * moment.
 */
import { readFile, readdir } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchOnce } from "../../scripts/lib/wrangler-dev.ts";
import { SCRATCH_API_ORIGIN, SCRATCH_MODEL, type ScratchApp, scratchApp } from "../../scripts/lib/scratch-app.ts";
import { decodePng } from "../../shared/png/png.ts";
import { type Harness, canvasPixels, recordEvents, startHarness, waitForEvents, withoutWebGpu } from "./harness.ts";

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

/**
 * Serve Vite's build of the app on a free loopback port, as an app's own host would; its page names
 * the API as `api` (in place of SCRATCH_API_ORIGIN, which it was built with).
 */
async function serveApp(dist: string, api: string): Promise<{ server: Server; origin: string }> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://app").pathname;
    const file = normalize(join(dist, path === "/" ? "index.html" : path));
    try {
      if (!file.startsWith(dist)) throw new Error("outside the app");
      let body: Buffer | string = await readFile(file);
      if (file.endsWith("index.html")) body = body.toString("utf8").replaceAll(SCRATCH_API_ORIGIN, api);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // "localhost", not the API's 127.0.0.1: another site as well as another origin, as an app embedding the widget is.
  return { server, origin: `http://localhost:${(server.address() as { port: number }).port}` };
}

let h: Harness;
let pkg: ScratchApp;
let server: Server;
let origin: string;
let page: Page;
/** Each request's URL and its Origin header (a request's allHeaders(), since headers() leaves Origin out). */
const requests: Promise<{ url: string; origin: string | null }>[] = [];
const failures: string[] = [];
const errors: string[] = [];
const corsHeaders: Record<string, string | undefined> = {};

beforeAll(async () => {
  // The worker and chromium start while the package is packed (or while another file packs it).
  [h, pkg] = await Promise.all([startHarness(), scratchApp()]);
  ({ server, origin } = await serveApp(pkg.dist, h.url));
  const ctx = await h.browser.newContext();
  await withoutWebGpu(ctx);
  page = await ctx.newPage();
  page.on("request", (r) => requests.push(r.headerValue("origin").then((o) => ({ url: r.url(), origin: o }))));
  page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
    if (r.url().startsWith(h.url)) corsHeaders[r.url()] = r.headers()["access-control-allow-origin"];
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${m.text()} (${m.location().url})`);
  });
  await recordEvents(page);
  const res = await page.goto(`${origin}/`);
  expect(res!.status()).toBe(200);
  await waitForEvents(page, "render", 1);
}, 240_000);

afterAll(async () => {
  await h?.stop();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await pkg?.release();
});

describe("<linkgan-editor> from the npm package, in a Vite app on its own origin", () => {
  it("reaches ready on wasm, in the page, with the model the app's page names", async () => {
    const [ready] = await waitForEvents(page, "ready", 1);
    expect(ready).toMatchObject({ mode: "local", model: SCRATCH_MODEL, backend: { chosen: "wasm" } });
    expect((ready!.weights as { shardsFetched: number }).shardsFetched).toBeGreaterThan(0);
  });

  it("draws the API's image of the page's seed on its canvas, not a blank one", async () => {
    const pixels = await canvasPixels(page);
    const mean = pixels.reduce((s, v) => s + v, 0) / pixels.length;
    const variance = pixels.reduce((s, v) => s + (v - mean) ** 2, 0) / pixels.length;
    // A blank canvas is transparent black: all zeros, no variance.
    expect(pixels.some((v) => v !== 0)).toBe(true);
    expect(variance).toBeGreaterThan(100);
    // The same image as the API renders for seed 7 at the widget's ψ 0.7, within 1/255 (wasm vs workerd's cpu).
    const model = h.models.find((m) => m.name === SCRATCH_MODEL)!;
    const api = decodePng(new Uint8Array(await (await fetchOnce(`${h.url}/v1/models/${model.name}/generate?seed=7&truncation=0.7&version=${model.version}`)).arrayBuffer()));
    expect(pixels.length).toBe(api.rgba.length);
    let maxDiff = 0;
    for (let i = 0; i < pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(pixels[i]! - api.rgba[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it("fetches the SIMD binary Vite emitted, from the app's origin", async () => {
    const emitted = (await readdir(join(pkg.dist, "assets"))).filter((f) => f.endsWith(".wasm"));
    expect(emitted).toHaveLength(1);
    expect((await Promise.all(requests)).filter((r) => r.url.endsWith(".wasm")).map((r) => r.url)).toEqual([`${origin}/assets/${emitted[0]}`]);
  });

  it("loads the app from its origin and only the API's /v1/ routes from the worker, across origins with CORS, and nothing fails", async () => {
    expect(new URL(origin).origin).not.toBe(new URL(h.url).origin);
    const all = await Promise.all(requests);
    // The page and its bundle from the app; nothing hot-linked from the worker.
    expect(all.filter((r) => !r.url.startsWith(`${origin}/`) && !r.url.startsWith(`${h.url}/v1/`))).toEqual([]);
    const api = all.filter((r) => r.url.startsWith(`${h.url}/`));
    // The model list, the weights' manifest and at least one shard, each a CORS request from the app's origin that the API allowed.
    expect(api.length).toBeGreaterThanOrEqual(3);
    expect(api.filter((r) => r.origin !== origin)).toEqual([]);
    expect(Object.entries(corsHeaders).filter(([, v]) => v !== "*" && v !== origin)).toEqual([]);
    expect(failures).toEqual([]);
    expect(errors).toEqual([]);
  });
});
