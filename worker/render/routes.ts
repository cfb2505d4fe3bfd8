import { OpenAPIHono, type RouteConfig, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { BACKEND_HEADER, backendHeader } from "../backend.ts";
import { cached } from "../cache/tiers.ts";
import type { AppEnv } from "../env.ts";
import { ErrorBody } from "../http/errors.ts";
import { boundedBody } from "../http/body.ts";
import { validationHook } from "../http/openapi.ts";
import { ModelParams } from "../http/params.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { readMask } from "../masks/routes.ts";
import { withModel } from "../models/registry.ts";
import { activeVersion, readManifest, resolveVersion } from "../models/store.ts";
import { renderKey } from "./key.ts";
import { latentToParam } from "../../shared/latent-param.ts";
import { localMasks, resolveBase } from "../../shared/render/base.ts";
import { editTarget, regionsNamed } from "../../shared/render/edit.ts";
import { checkWork } from "../../shared/render/request.ts";
import { GenerateBody, GenerateQuery, InterpolateBody, InterpolateQuery, type RenderRequest, ResampleBody, ResampleQuery, fromBody, fromQuery } from "./params.ts";
import { baseRenders, editPng, generatePng } from "./service.ts";

/**
 * Rendering: generate, resample regions, interpolate. Each has a GET form (the cacheable URL) and a
 * POST form (for long latents) that share one canonical cache key.
 */
export const render = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

type Kind = "generate" | "resample" | "interpolate";

/** Largest JSON body of a render request (a 4096-value latent fits). */
export const MAX_RENDER_BODY_BYTES = 256 * 1024;

render.use("/v1/models/:model/generate", rateLimit);
render.use("/v1/models/:model/resample", rateLimit);
render.use("/v1/models/:model/interpolate", rateLimit);
for (const kind of ["generate", "resample", "interpolate"]) render.use(`/v1/models/:model/${kind}`, boundedBody(MAX_RENDER_BODY_BYTES, "render request bodies"));

async function answer(c: Context<AppEnv>, model: string, req: RenderRequest, kind: Kind): Promise<Response> {
  // A pinned version needs no lookup; the manifest (memoized per isolate, versions are immutable)
  // is a 404 for a version that does not exist, and gives what the key and the checks need.
  const version = req.version ?? (await activeVersion(c.env, model));
  const manifest = await readManifest(c.env, model, version);
  // Refused before anything is rendered, on a hit too (cheap: no model is needed).
  checkWork(manifest.generator.resolution, req.scale, kind === "interpolate" ? req.frames : 1);
  if (req.edit) regionsNamed(model, manifest.regions, req.edit.regions);
  // Keyed by the request, not by its w: a hit answers without loading the model or mapping the code.
  const key = await renderKey(model, version, manifest.generator.zDim, req, kind);
  const res = await cached(c, key, req.version !== undefined, () =>
    withModel(c.env, model, version, async (m) => {
      const base = await resolveBase(m, req);
      if (kind === "generate") return generatePng(m, base, req.scale);
      const uploaded = req.edit!.mask ? await readMask(c.env, m.manifest.generator.resolution, req.edit!.mask) : undefined;
      // A semantic region's mask needs the base image segmented: computed on a miss only.
      const spec = { name: model, resolution: m.manifest.generator.resolution, regions: m.manifest.regions };
      return editPng(m, base, req, await editTarget(spec, req.edit!.regions, uploaded, localMasks(m, baseRenders, base)), kind === "interpolate" ? req.frames : 1);
    }),
  );
  res.headers.set("X-Model-Version", version);
  res.headers.set(BACKEND_HEADER, backendHeader());
  return res;
}

const png = (description: string) => ({ content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } }, description });
const errorResponses = {
  304: { description: "Not modified (If-None-Match matched the ETag)" },
  400: { content: { "application/json": { schema: ErrorBody } }, description: "Invalid parameter (the field is named), or over the work bound (over_work_limit; see scale and frames)" },
  404: { content: { "application/json": { schema: ErrorBody } }, description: "Unknown model, version, region or mask" },
  413: { content: { "application/json": { schema: ErrorBody } }, description: "Body too large" },
  422: { content: { "application/json": { schema: ErrorBody } }, description: "Mask empty or covering no region" },
  429: { content: { "application/json": { schema: ErrorBody } }, description: "Rate limited" },
} satisfies RouteConfig["responses"];

const docs: Record<Kind, { summary: string; result: string }> = {
  generate: { summary: "An image from a seed or an explicit latent (z or w)", result: "The image" },
  resample: { summary: "The image with regions resampled (by name or by an uploaded mask)", result: "The edited image" },
  interpolate: { summary: "Frames from the base image to its edit, side by side in one PNG", result: "A horizontal strip of `frames` images" },
};

const schemas = {
  generate: { query: GenerateQuery, body: GenerateBody },
  resample: { query: ResampleQuery, body: ResampleBody },
  interpolate: { query: InterpolateQuery, body: InterpolateBody },
} as const;

for (const kind of ["generate", "resample", "interpolate"] as const) {
  const { summary, result } = docs[kind];
  const path = `/v1/models/{model}/${kind}`;
  render.openapi(
    createRoute({ method: "get", path, tags: ["render"], summary, request: { params: ModelParams, query: schemas[kind].query }, responses: { 200: png(result), ...errorResponses } }),
    // biome-ignore lint/suspicious/noExplicitAny: one handler serves three query schemas
    (async (c: any) => answer(c, c.req.valid("param").model, fromQuery(c.req.valid("query"), kind !== "generate"), kind)) as never,
  );
  render.openapi(
    createRoute({
      method: "post",
      path,
      tags: ["render"],
      summary: `${summary} (JSON body; same cache entry as the GET form)`,
      request: { params: ModelParams, body: { required: true, content: { "application/json": { schema: schemas[kind].body } } } },
      responses: { 200: png(result), ...errorResponses },
    }),
    // biome-ignore lint/suspicious/noExplicitAny: one handler serves three body schemas
    (async (c: any) => answer(c, c.req.valid("param").model, fromBody(c.req.valid("json"), kind !== "generate"), kind)) as never,
  );
}

/**
 * The w code a base maps to, for clients that edit in W themselves (the browser widget in remote
 * mode chains edits by sending the edited w back as `w`, which needs the starting w).
 */
const LatentResponse = z
  .object({
    model: z.string(),
    version: z.string(),
    w: z.string().openapi({ description: "base64url of little-endian float32 (the `w` parameter's spelling)" }),
    noise: z.union([z.number().int(), z.literal("zeros")]).openapi({ description: "The noise the base renders with" }),
  })
  .openapi("Latent");
render.use("/v1/models/:model/latent", rateLimit);
render.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/latent",
    tags: ["render"],
    summary: "The w code of a seed or z (after truncation), as the w parameter of the render endpoints takes it",
    request: { params: ModelParams, query: GenerateQuery.omit({ scale: true }) },
    responses: { 200: { content: { "application/json": { schema: LatentResponse } }, description: "The code" }, ...errorResponses },
  }),
  async (c) => {
    const { model } = c.req.valid("param");
    const req = fromQuery(c.req.valid("query"), false);
    const version = await resolveVersion(c.env, model, req.version);
    const base = await withModel(c.env, model, version, (m) => resolveBase(m, req));
    const cache = req.version !== undefined ? "public, max-age=31536000, immutable" : "public, max-age=60, must-revalidate";
    return c.json({ model, version, w: latentToParam(base.w), noise: base.noise }, 200, { "Cache-Control": cache, "X-Model-Version": version });
  },
);
