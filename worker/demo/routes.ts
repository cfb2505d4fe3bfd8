import { Hono } from "hono";
import { z } from "zod";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { queryNumber } from "../../shared/validation.ts";
import { ModelName } from "../../shared/weights/manifest.ts";
import type { AppEnv } from "../env.ts";
import { demoPageCsp } from "../http/security.ts";
import { listModelNames } from "../models/store.ts";

/**
 * The demo page at `/`: the `<linkgan-editor>` widget with the default model (env DEFAULT_MODEL,
 * or the first stored model when that one is not stored). The widget's bundle is a static asset
 * (dist/client, built by `npm run build:client`, served through the ASSETS binding).
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
  const model = query.model ?? (names.includes(c.env.DEFAULT_MODEL) ? c.env.DEFAULT_MODEL : names[0]);
  const attrs = [model && `model="${model}"`, query.mode && `mode="${query.mode}"`, `seed="${query.seed ?? 7}"`].filter(Boolean).join(" ");
  return c.html(page(attrs, model, names, c.get("secureHeadersNonce")!), 200, { "Cache-Control": "no-cache" });
});

/**
 * The page. It names no host: the embed snippet's origin is filled in by the page's script from
 * `location`, so the request's Host header never reaches the HTML.
 */
function page(attrs: string, model: string | undefined, names: string[], nonce: string): string {
  // Names are validated model names (a-z, 0-9, _ and -), safe in HTML and URLs as they are. The
  // links go after the editor, so that Tab reaches the editor first.
  const others = names.filter((n) => n !== model).map((n) => `<a href="/?model=${n}">${n}</a>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LinkGAN editor</title>
<script type="module" src="/linkgan-editor.js"></script>
<style nonce="${nonce}">
  body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; padding: 0 1rem; color: #1d2330; }
  linkgan-editor { --linkgan-accent: #3554d1; --linkgan-size: min(384px, 90vw); }
  code { background: #eef0f5; padding: 0 .25em; border-radius: 3px; }
  #log { font: 12px/1.4 ui-monospace, monospace; color: #555; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>LinkGAN editor</h1>
<p>Hover the image to see its linked regions; click one (or press its key) to resample only that region.
Paint a mask with the brush to resample the regions it covers. ${model ? `Model: <code>${model}</code>.` : "No model is stored yet: run <code>npm run dev:seed</code>."}</p>
<linkgan-editor ${attrs}></linkgan-editor>
${others.length ? `<p>Other models: ${others.join(", ")}.</p>` : ""}
<p>Embed it: <code>&lt;script type="module" src="<span class="origin"></span>/linkgan-editor.js"&gt;&lt;/script&gt;</code> and
<code>&lt;linkgan-editor api-origin="<span class="origin"></span>" model="${model ?? "…"}"&gt;&lt;/linkgan-editor&gt;</code>. API reference: <a href="/docs">/docs</a>.</p>
<div id="log" aria-live="off"></div>
<script type="module" nonce="${nonce}">
  for (const el of document.querySelectorAll(".origin")) el.textContent = location.origin;
  const log = document.getElementById("log");
  const editor = document.querySelector("linkgan-editor");
  for (const type of ["ready", "render", "error"]) {
    editor.addEventListener(type, (e) => { log.textContent += type + " " + JSON.stringify(e.detail, (k, v) => (k === "w" ? undefined : v)) + "\\n"; });
  }
</script>
</body>
</html>`;
}
