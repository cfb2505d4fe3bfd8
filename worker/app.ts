import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { memoryTierBytes } from "./cache/tiers.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, errorResponse } from "./http/errors.ts";
import { validationHook } from "./http/openapi.ts";
import { docsPage, docsPageCsp, securityHeaders } from "./http/security.ts";
import { demo } from "./demo/routes.ts";
import { inversion } from "./inversion/routes.ts";
import { jobs } from "./jobs/routes.ts";
import { masks } from "./masks/routes.ts";
import { liveModels } from "./models/registry.ts";
import { models } from "./models/routes.ts";
import { render } from "./render/routes.ts";

/**
 * The edge API: one Hono app, one folder per concept (models, render, masks, cache), every route
 * described by zod schemas that also produce the OpenAPI document.
 *
 * @example
 * // wrangler dev, then:
 * // curl "http://localhost:8787/v1/models/faces64/generate?seed=7&truncation=0.7&scale=4" -o face.png
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", securityHeaders);
  // Public, read-only, credential-free API: any origin may call it and read its cache headers.
  app.use("/v1/*", cors({ origin: "*", allowMethods: ["GET", "POST", "OPTIONS"], exposeHeaders: ["ETag", "X-LinkGAN-Cache", "X-LinkGAN-Backend", "X-Model-Version", "Retry-After"], maxAge: 86400 }));

  app.route("/", models);
  app.route("/", masks);
  app.route("/", render);
  app.route("/", inversion);
  app.route("/", jobs);

  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["operations"],
      summary: "Liveness, and what this isolate holds in memory",
      responses: {
        200: {
          content: { "application/json": { schema: z.object({ ok: z.literal(true), liveModels: z.array(z.string()).openapi({ description: "Model versions loaded in this isolate" }), memoryTierBytes: z.number().int().openapi({ description: "Bytes in the in-isolate render cache" }) }) } },
          description: "Alive",
        },
      },
    }),
    (c) => c.json({ ok: true as const, liveModels: liveModels(), memoryTierBytes: memoryTierBytes() }),
  );
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "LinkGAN edge API", version: "1.0.0", description: "Sample faces and resample linked regions (LinkGAN, ICCV 2023) at the edge." },
    // Relative to the document's own URL: the request's Host header is never echoed.
    servers: [{ url: "/" }],
  });
  app.get("/docs", docsPageCsp, (c) => c.html(docsPage()));
  app.route("/", demo);

  app.notFound((c) => errorResponse(new ApiError(404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}; see /docs`), c));
  app.onError(errorResponse);
  return app;
}
