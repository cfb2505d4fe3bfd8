import { Hono, type MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";
// The demo page hosts the widget, so its CSP allows the widget's shadow-DOM style by hash: a
// constant string with no imports, the one thing the worker takes from the client.
import { STYLES } from "../../client/widget/styles.ts";
import type { AppEnv } from "../env.ts";

/**
 * Security headers, defined once: every response of the worker gets `securityHeaders`, the static
 * bundles get the same headers through the `_headers` file that `npm run build:client` derives
 * from this middleware (`securityHeaderLines`), and the two HTML pages add a Content-Security-Policy.
 */

/** hono/secure-headers' defaults, except that pages on any origin may load our resources (the widget's modules, PNGs). */
const options = { crossOriginResourcePolicy: "cross-origin" } as const;

export const securityHeaders: MiddlewareHandler<AppEnv> = secureHeaders(options);

/** The security headers as `_headers` lines (`  Name: value`), taken from a response of the middleware itself. */
export async function securityHeaderLines(): Promise<string[]> {
  const probe = new Hono();
  probe.use(secureHeaders(options));
  probe.get("/", (c) => c.body(null, 204));
  const res = await probe.request("/");
  return [...res.headers].map(([k, v]) => `  ${k}: ${v}`);
}

const sha256 = async (text: string) => {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
};

/** The widget's shadow-DOM `<style>` (an inline style, so it needs its hash in style-src). */
const WIDGET_STYLE = await sha256(STYLES);

/**
 * The demo page's policy: scripts, styles, images and fetches from this origin only (the widget's
 * bundle, the API), the page's own inline script and style by nonce, the widget's style by hash.
 */
export const demoPageCsp: MiddlewareHandler<AppEnv> = secureHeaders({
  ...options,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    // wasm-unsafe-eval lets the widget compile tfjs's WebAssembly backend (and only WebAssembly: no eval).
    scriptSrc: ["'self'", NONCE, "'wasm-unsafe-eval'"],
    styleSrc: ["'self'", NONCE, WIDGET_STYLE],
    imgSrc: ["'self'", "data:", "blob:"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'self'"],
    objectSrc: ["'none'"],
  },
});

/**
 * The API reference page: Swagger UI from the pinned npm package swagger-ui-dist, whose files
 * `npm run build:client` copies into the worker's static assets (scripts/build-client.ts), with the
 * page's start-up script beside them, so the page loads nothing from another origin and works
 * offline. Its policy allows this origin only.
 */
export const DOCS_ASSETS = {
  /** Folder in dist/client, and URL path, of the files below. */
  dir: "docs-assets",
  /** Copied from node_modules/swagger-ui-dist/. */
  files: ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "swagger-ui-bundle.js.LICENSE.txt", "LICENSE", "NOTICE"],
  /** Written by the build from `DOCS_INIT_SCRIPT`. */
  init: "docs-init.js",
} as const;

/** Starts Swagger UI on the API's document. No validator badge: it would load an image from validator.swagger.io. */
export const DOCS_INIT_SCRIPT = `window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({ dom_id: "#swagger-ui", url: "/v1/openapi.json", validatorUrl: null, deepLinking: true });
});
`;

export const docsPageCsp: MiddlewareHandler<AppEnv> = secureHeaders({
  ...options,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    // Swagger UI's stylesheet draws its icons as data: SVGs.
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'self'"],
    objectSrc: ["'none'"],
  },
});

/**
 * The API reference page (Swagger UI on /v1/openapi.json, every route of the API, public and
 * retraining). No inline script or style: everything comes from this origin.
 *
 * @example
 * app.get("/docs", docsPageCsp, (c) => c.html(docsPage()));
 */
export function docsPage(): string {
  const at = (f: string) => `/${DOCS_ASSETS.dir}/${f}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LinkGAN edge API</title>
<link rel="icon" type="image/png" href="${at("favicon-32x32.png")}">
<link rel="stylesheet" href="${at("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${at("swagger-ui-bundle.js")}"></script>
<script src="${at(DOCS_ASSETS.init)}"></script>
</body>
</html>`;
}
