/**
 * What the browser tests run against, all real: the client bundles (built if missing), wrangler's
 * local R2/KV seeded by scripts/dev/seed.ts (weights/ and the tiny fixtures, among them the
 * semantic one), `wrangler dev`, and Debian's chromium driven by playwright-core (WebGPU through
 * SwiftShader with --enable-unsafe-webgpu). One harness per test file: a launch takes seconds.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { featherFor, featherWeights } from "../../shared/render/composite.ts";
import { decodePng } from "../../shared/png/png.ts";
import type { BinaryMask } from "../../shared/regions/mask.ts";
import { type DevServer, fetchOnce, startWranglerDev } from "../../scripts/lib/wrangler-dev.ts";
import { DOCS_ASSETS } from "../../worker/http/security.ts";
import { ModelList, type ModelSummary } from "../../client/api.ts";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = "tmp/browser-artifacts";
/** The semantic fixture's model name (test/fixtures/tiny-semantic-model). */
export const SEMANTIC_FIXTURE = "tiny-semantic";
/** The dev server's secrets (the browser tests call no route that needs them; the worker expects them set). */
const TEST_SECRETS = { WEBHOOK_SECRETS: "browser-test-webhook-secret", AGENT_TOKEN: "browser-test-agent-token-0123", ADMIN_TOKEN: "browser-test-admin-token-0123" };

export interface Harness {
  url: string;
  browser: Browser;
  model: ModelSummary;
  /** The tiny semantic fixture (a segmenter and the semantic region "blob"), always seeded. */
  semanticModel: ModelSummary;
  /** Every model the API serves. */
  models: ModelSummary[];
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`sh scripts/setup/debian-packages.sh --with-chromium\` as root (npm ci's postinstall does), or set CHROMIUM_PATH`);
  }
  // A dist/client from before the docs page's assets were part of the build is rebuilt too.
  if (!existsSync("dist/client/linkgan-editor.js") || !existsSync("dist/client/client.json") || !existsSync(`dist/client/${DOCS_ASSETS.dir}/${DOCS_ASSETS.init}`)) execFileSync("node", ["--import", "tsx", "scripts/build-client.ts"], { stdio: "pipe" });
  // Each harness seeds and serves its own state folder and passes its own secrets: test files run in
  // parallel, and a shared .wrangler/state (or a .dev.vars one seed writes while another file's
  // wrangler dev watches it, which reloads that server mid-request) lets one file's set-up stall or
  // drop another's requests.
  const persist = `tmp/browser-state-${process.pid}-${randomBytes(4).toString("hex")}`;
  execFileSync("node", ["--import", "tsx", "scripts/dev/seed.ts", "--with-fixture", "--persist-to", persist], { stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  await mkdir(ARTIFACTS, { recursive: true });
  // playwright gives each launch a fresh temporary profile (it refuses --user-data-dir in launch()).
  const [devR, browserR] = await Promise.allSettled([
    startWranglerDev("wrangler.toml", { readyPath: "/healthz", args: ["--persist-to", persist, ...Object.entries(TEST_SECRETS).map(([k, v]) => `--var=${k}:${v}`)] }),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--enable-unsafe-webgpu", "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }),
  ]);
  if (devR.status === "rejected" || browserR.status === "rejected") {
    if (devR.status === "fulfilled") await devR.value.stop();
    if (browserR.status === "fulfilled") await browserR.value.close();
    await rm(persist, { recursive: true, force: true });
    throw devR.status === "rejected" ? devR.reason : (browserR as PromiseRejectedResult).reason;
  }
  const dev: DevServer = devR.value;
  const browser = browserR.value;
  const list = ModelList.parse(await (await dev.fetch("/v1/models")).json());
  const defaultModel = list.models.find((m) => m.name === "faces64") ?? list.models[0];
  if (!defaultModel) throw new Error("the seeded API serves no model");
  const semanticModel = list.models.find((m) => m.name === SEMANTIC_FIXTURE);
  if (!semanticModel) throw new Error(`the seeded API does not serve the semantic fixture "${SEMANTIC_FIXTURE}"`);
  return {
    url: dev.url,
    browser,
    model: defaultModel,
    semanticModel,
    models: list.models,
    async stop() {
      await browser.close().catch(() => undefined);
      await dev.stop();
      await rm(persist, { recursive: true, force: true });
    },
  };
}

// ---- in-page helpers ----

declare global {
  interface Window {
    /** The editor's events in order, each with the page's clock (performance.now(), ms) when it fired. */
    __linkgan: { type: string; detail: Record<string, unknown>; at: number }[];
    __violations: string[];
  }
}

/** Record every Content-Security-Policy violation the page reports (directive, blocked URI, source). */
export async function recordCspViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`), true);
  });
}

/** The CSP violations recorded so far (recordCspViolations). */
export const cspViolations = (page: Page): Promise<string[]> => page.evaluate(() => window.__violations);

/** Record the editor's events (they do not bubble; a capturing listener on document sees them), each with the time it fired. */
export async function recordEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__linkgan = [];
    for (const type of ["ready", "progress", "render", "error"]) {
      document.addEventListener(type, (e) => window.__linkgan.push({ type, detail: (e as CustomEvent).detail, at: performance.now() }), true);
    }
  });
}

/** The events of `type` recorded so far (recordEvents), with the page's clock (ms) at each. */
export async function timedEvents(page: Page, type: string): Promise<{ detail: Record<string, unknown>; at: number }[]> {
  return page.evaluate((t) => window.__linkgan.filter((e) => e.type === t).map((e) => ({ detail: JSON.parse(JSON.stringify(e.detail)), at: e.at })), type);
}

/**
 * Pages of `context` see no WebGPU (navigator.gpu undefined), as in a browser without it: local
 * mode then starts on wasm. A value, not a getter: a script run through tsx (npm run bench:browser)
 * has its named functions wrapped in a helper the page lacks, and the script would fail silently.
 */
export async function withoutWebGpu(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "gpu", { value: undefined, configurable: true });
  });
}

export async function events(page: Page, type: string): Promise<Record<string, unknown>[]> {
  return page.evaluate((t) => window.__linkgan.filter((e) => e.type === t).map((e) => JSON.parse(JSON.stringify(e.detail))), type);
}

/** Wait until `count` events of `type` have arrived; an `error` event fails at once with its message. */
export async function waitForEvents(page: Page, type: string, count: number): Promise<Record<string, unknown>[]> {
  await page.waitForFunction(
    ([t, n]) => {
      const err = window.__linkgan.find((e) => e.type === "error" && t !== "error");
      if (err) throw new Error(`editor error: ${JSON.stringify(err.detail)}`);
      return window.__linkgan.filter((e) => e.type === t).length >= (n as number);
    },
    [type, count] as const,
    { timeout: 240_000 },
  );
  return events(page, type);
}

/** The pixels on the editor's image canvas (RGBA at the model's resolution). */
export async function canvasPixels(page: Page): Promise<Uint8Array> {
  const data = await page.evaluate(() => {
    const c = document.querySelector("linkgan-editor")!.shadowRoot!.querySelector("canvas.image") as HTMLCanvasElement;
    return Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data);
  });
  return Uint8Array.from(data);
}

/** A region's mask from the API's mask preview, the feather weights the editor composites with, and a pixel inside. */
export async function regionGeometry(url: string, model: ModelSummary, name: string): Promise<{ mask: BinaryMask; alpha: Float32Array; centre: { x: number; y: number } }> {
  const res = model.resolution;
  const png = decodePng(new Uint8Array(await (await fetchOnce(`${url}/v1/models/${model.name}/regions/${name}/mask.png?version=${model.version}`)).arrayBuffer()));
  const mask: BinaryMask = { size: res, data: png.gray.map((g) => (g >= 128 ? 1 : 0)) };
  let sx = 0;
  let sy = 0;
  let n = 0;
  mask.data.forEach((v, i) => {
    if (v) {
      sx += i % res;
      sy += Math.floor(i / res);
      n++;
    }
  });
  const centre = { x: Math.round(sx / n), y: Math.round(sy / n) };
  if (!mask.data[centre.y * res + centre.x]) throw new Error(`region ${name}: its centroid is outside its mask`);
  return { mask, alpha: featherWeights(mask, featherFor(res)), centre };
}

/** Page coordinates of model pixel (x, y) on the editor's canvas. */
export async function pagePoint(page: Page, res: number, p: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const box = (await page.locator("linkgan-editor canvas.image").boundingBox())!;
  return { x: box.x + ((p.x + 0.5) / res) * box.width, y: box.y + ((p.y + 0.5) / res) * box.height };
}

/** The first region with a fixed mask (what tests click). */
export function firstFixedRegion(model: ModelSummary): string {
  const r = model.regions.find((x) => x.kind !== "semantic");
  if (!r) throw new Error(`model ${model.name} has no fixed region`);
  return r.name;
}

/** A region's mask PNG from the API (alpha > 0 inside), for `query` (a semantic region needs the image's base code). */
export async function apiMask(url: string, model: ModelSummary, region: string, query: string): Promise<BinaryMask> {
  const res = await fetchOnce(`${url}/v1/models/${model.name}/regions/${region}/mask.png?version=${model.version}&${query}`);
  if (!res.ok) throw new Error(`mask.png ${region} ${query}: HTTP ${res.status} ${await res.text()}`);
  const png = decodePng(new Uint8Array(await res.arrayBuffer()));
  return { size: png.width, data: Uint8Array.from({ length: png.width * png.height }, (_, i) => (png.rgba[i * 4 + 3]! > 0 ? 1 : 0)) };
}

/** Pixels where two masks of one size differ. */
export const maskDiff = (a: BinaryMask, b: BinaryMask): number => a.data.reduce((n, v, i) => n + (v === b.data[i] ? 0 : 1), 0);
