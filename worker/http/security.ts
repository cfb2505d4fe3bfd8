import { SwaggerUI } from "@hono/swagger-ui";
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
    scriptSrc: ["'self'", NONCE],
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
 * Swagger UI's assets. They still come from the public CDN that @hono/swagger-ui points at; the
 * policy allows exactly that origin (and nothing else off-site) until another issue bundles them
 * into the worker's own assets.
 */
const OPENAPI_URL = "/v1/openapi.json";
const swaggerAssets = (() => {
  let found: { css: string[]; js: string[] } | undefined;
  SwaggerUI({
    url: OPENAPI_URL,
    manuallySwaggerUIHtml: (asset) => {
      found = asset;
      return "";
    },
  });
  return found!;
})();
const SWAGGER_CDN = new URL(swaggerAssets.js[0]!).origin;

export const docsPageCsp: MiddlewareHandler<AppEnv> = secureHeaders({
  ...options,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: [NONCE, SWAGGER_CDN],
    styleSrc: [SWAGGER_CDN],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'self'"],
    objectSrc: ["'none'"],
  },
});

/** The API reference page (Swagger UI on the OpenAPI document); its one inline script carries the request's nonce. */
export function docsPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LinkGAN edge API</title>
${swaggerAssets.css.map((href) => `<link rel="stylesheet" href="${href}">`).join("\n")}
</head>
<body>
<div id="swagger-ui"></div>
${swaggerAssets.js.map((src) => `<script src="${src}" crossorigin="anonymous"></script>`).join("\n")}
<script nonce="${nonce}">
  window.onload = () => { window.ui = SwaggerUIBundle({ dom_id: "#swagger-ui", url: "${OPENAPI_URL}" }); };
</script>
</body>
</html>`;
}
