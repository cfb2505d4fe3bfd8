import { Hono } from "hono";
import { z } from "zod";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { queryNumber } from "../../shared/validation.ts";
import { ModelName } from "../../shared/weights/manifest.ts";
import type { AppEnv, Env } from "../env.ts";
import { demoPageCsp } from "../http/security.ts";
import { activeVersion, listModelNames, readManifest } from "../models/store.ts";
import { CLIENT_INDEX } from "../http/client-files.ts";

/**
 * The demo page at `/`: the `<linkgan-editor>` widget with the default model (env DEFAULT_MODEL,
 * or the first stored model when that one is not stored). The widget's bundle is a static asset
 * (dist/client, built by `npm run build:client`, served through the ASSETS binding), loaded from
 * the build's immutable folder, which the page's embed snippet also names.
 * Query parameters `model`, `mode` and `seed` set the widget's attributes. The page's policy
 * (demoPageCsp) allows this origin's scripts and styles only, and its own inline ones by nonce.
 */
export const demo = new Hono<AppEnv>();

const DemoQuery = z.object({
  model: ModelName.optional(),
  mode: z.enum(["local", "remote", "auto"]).optional(),
  seed: queryNumber(z.number().int().min(0).max(MAX_SEED), "integer").optional(),
});

demo.get("/", demoPageCsp, async (c) => {
  const q = DemoQuery.safeParse(c.req.query());
  const query = q.success ? q.data : {};
  const names = await listModelNames(c.env);
  // Manifests are memoized per isolate (readManifest); a model whose manifest cannot be read is left out of the links.
  const listed = (await Promise.all(names.map(async (name) => ({ name, card: (await readManifest(c.env, name, await activeVersion(c.env, name)).catch(() => undefined))?.card })))).filter((m) => m.card);
  const real = listed.filter((m) => !isTestFixture(m.card!.title)).map((m) => m.name);
  const model = query.model ?? (names.includes(c.env.DEFAULT_MODEL) ? c.env.DEFAULT_MODEL : (real[0] ?? names[0]));
  const attrs = [model && `model="${model}"`, query.mode && `mode="${query.mode}"`, `seed="${query.seed ?? 7}"`].filter(Boolean).join(" ");
  const others = listed.filter((m) => m.name !== model).map((m) => ({ name: m.name, fixture: isTestFixture(m.card!.title) }));
  return c.html(page(attrs, model, others, await clientFolder(c.env, c.req.url), c.get("secureHeadersNonce")!), 200, { "Cache-Control": "no-cache" });
});

/**
 * The folder the page loads the widget from: the build's immutable one (`path` of dist/client's
 * CLIENT_INDEX), so the page and its embed snippet name bytes that never change. Read through
 * ASSETS on each request, not memoized: under `wrangler dev` a rebuild replaces the folder while an
 * isolate lives on, and one asset read is small beside the page's KV and R2 reads. `/` (the
 * unversioned, revalidated names) when the index is missing, from a dist/client built before it.
 */
async function clientFolder(env: Env, base: string): Promise<string> {
  const res = await env.ASSETS.fetch(new URL(`/${CLIENT_INDEX}`, base));
  if (!res.ok) {
    await res.body?.cancel();
    return "/";
  }
  const { path } = (await res.json().catch(() => ({}))) as { path?: unknown };
  // Checked before it goes into the HTML: a folder name of the build's own characters.
  return typeof path === "string" && /^\/v[0-9A-Za-z.+-]+\/$/.test(path) ? path : "/";
}

/**
 * Whether a model is one of the test fixtures (random weights: they render noise). The fixtures'
 * cards say so in their title (test/fixtures/tiny.ts, TINY_CARD); a manifest has no other field
 * for it, and adding one would change every fixture's content-derived version.
 */
export const isTestFixture = (title: string): boolean => title.startsWith("Test fixture");

/**
 * The page. It names no host: the embed snippet's origin is filled in by the page's script from
 * `location`, so the request's Host header never reaches the HTML.
 */
function page(attrs: string, model: string | undefined, others: { name: string; fixture: boolean }[], folder: string, nonce: string): string {
  // Names are validated model names (a-z, 0-9, _ and -), safe in HTML and URLs as they are. The
  // links go after the editor, so that Tab reaches the editor first.
  const links = (fixture: boolean) => others.filter((m) => m.fixture === fixture).map((m) => `<a href="/?model=${m.name}">${m.name}</a>`);
  const [models, fixtures] = [links(false), links(true)];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LinkGAN editor</title>
<script type="module" src="${folder}linkgan-editor.js"></script>
<style nonce="${nonce}">
  body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; padding: 0 1rem; color: #1d2330; }
  linkgan-editor { --linkgan-accent: #3554d1; --linkgan-size: min(384px, 90vw); }
  code { background: #eef0f5; padding: 0 .25em; border-radius: 3px; }
</style>
</head>
<body>
<h1>LinkGAN editor</h1>
<p>Hover the image to see its linked regions; click one (or press its key) to resample only that region.
Paint a mask with the brush to resample the regions it covers. ${model ? `Model: <code>${model}</code>.` : "No model is stored yet: run <code>npm run dev:seed</code>."}</p>
<linkgan-editor ${attrs}></linkgan-editor>
${models.length ? `<p>Other models: ${models.join(", ")}.</p>` : ""}
${fixtures.length ? `<p class="fixtures">Test fixtures (random weights: they render noise, for the tests): ${fixtures.join(", ")}.</p>` : ""}
<p>Embed it: <code>&lt;script type="module" src="<span class="origin"></span>${folder}linkgan-editor.js"&gt;&lt;/script&gt;</code> and
<code>&lt;linkgan-editor api-origin="<span class="origin"></span>" model="${model ?? "…"}"&gt;&lt;/linkgan-editor&gt;</code>. API reference: <a href="/docs">/docs</a>.</p>
<script type="module" nonce="${nonce}">
  for (const el of document.querySelectorAll(".origin")) el.textContent = location.origin;
</script>
</body>
</html>`;
}
