import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { encodePng } from "../../shared/png/png.ts";
import type { BinaryMask } from "../../shared/regions/mask.ts";
import { AxisRange } from "../../shared/regions/schema.ts";
import { ModelCard } from "../../shared/weights/manifest.ts";
import type { Manifest } from "../../shared/weights/manifest.ts";
import type { AppEnv, Env } from "../env.ts";
import { readEncoderManifest } from "../inversion/store.ts";
import { ApiError, ErrorBody } from "../http/errors.ts";
import { pngResponse, validationHook } from "../http/openapi.ts";
import { BACKEND_HEADER, backendHeader } from "../backend.ts";
import { cached } from "../cache/tiers.ts";
import { ModelParams, regionPath, shardPath, versionPath } from "../http/params.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { fixedMask, resolveBase } from "../../shared/render/base.ts";
import { checkWork } from "../../shared/render/request.ts";
import { semanticMaskKey } from "../render/key.ts";
import { GenerateQuery, fromQuery } from "../render/params.ts";
import { baseRenders, upscale } from "../render/service.ts";
import { withModel } from "./registry.ts";
import { activeVersion, listModelNames, listVersions, modelPrefix, readManifest, resolveVersion } from "./store.ts";

/** Models: what is served, its regions (with mask previews) and its weights for browser clients. */
export const models = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const RegionInfo = z
  .object({
    name: z.string().openapi({ example: "left-eye" }),
    label: z.string().optional().openapi({ example: "Left eye" }),
    kind: z.enum(["box", "ellipse", "image", "semantic"]),
    axes: AxisRange,
    class: z.string().optional().openapi({ description: "Semantic regions: the segmenter class whose pixels are the region in each image.", example: "hair" }),
    maskUrl: z.string().openapi({
      description:
        "The region's mask as PNG (white inside, transparent outside), a path relative to the API's origin. A fixed region's (box, ellipse, image) answers as given. A semantic region's mask depends on the image, so this URL alone answers 400 `missing_base_code`: expand `maskUrlTemplate` instead.",
      example: "/v1/models/faces64/regions/mouth/mask.png?version=v0123456789abcdef",
    }),
    maskUrlTemplate: z
      .string()
      .optional()
      .openapi({
        description:
          "Semantic regions only: `maskUrl` as an RFC 6570 URL template whose variables are the image's base code, with the meanings and bounds of generate's query: `seed` (or `z`, or `w` with its base64url float32 code), `truncation`, `noise`. Give `seed` or `z` or `w`; the rest are optional (e.g. seed=7 and truncation=0.7 → `…&seed=7&truncation=0.7`).",
        example: "/v1/models/faces64/regions/hair/mask.png?version=v0123456789abcdef{&seed,z,w,truncation,noise}",
      }),
  })
  .openapi("Region");

const SegmenterInfo = z
  .object({
    resolution: z.number().int(),
    classes: z.array(z.string()).openapi({ example: ["other", "background", "skin", "hair"] }),
  })
  .openapi("Segmenter", { description: "The segmenter bundled with the model version: it masks the semantic regions of each image." });

const ModelSummary = z
  .object({
    name: z.string().openapi({ example: "faces64" }),
    version: z.string().openapi({ example: "v0123456789abcdef" }),
    title: z.string(),
    resolution: z.number().int(),
    zDim: z.number().int(),
    wDim: z.number().int(),
    regions: z.array(RegionInfo),
    segmenter: SegmenterInfo.optional(),
    weightsUrl: z.string().openapi({
      description: "Folder of manifest.json and shards for `loadModel(fetchSource(url))`, a path relative to the API's origin.",
      example: "/v1/models/faces64/versions/v0123456789abcdef/",
    }),
    encoder: z
      .object({
        name: z.string(),
        version: z.string(),
        weightsUrl: z.string().openapi({ description: "Folder of the encoder's manifest.json and shards for `loadEncoder(fetchSource(url))`, relative to the API's origin.", example: "/v1/models/faces64/versions/v0123456789abcdef/encoder/" }),
      })
      .optional()
      .openapi({ description: "The version's GAN-inversion encoder, when it has one: POST /v1/models/{model}/invert, or inversion in the browser." }),
  })
  .openapi("ModelSummary");

const ModelDetail = ModelSummary.extend({
  activeVersion: z.string(),
  versions: z.array(z.string()),
  card: ModelCard,
  provenance: z.record(z.string(), z.unknown()),
}).openapi("ModelDetail");

const errors = {
  400: { content: { "application/json": { schema: ErrorBody } }, description: "Invalid parameter" },
  404: { content: { "application/json": { schema: ErrorBody } }, description: "Unknown model, version or region" },
};

/** The base-code query of a semantic region's mask (generate's), as an RFC 6570 form-continuation expression. */
const MASK_CODE_VARIABLES = "{&seed,z,w,truncation,noise}";

/**
 * A model's summary. Its URLs are relative to the API's origin (resolve them against the URL the
 * list came from): the Host header of one request must never reach a response that caches share.
 */
async function summary(env: Env, m: Manifest): Promise<z.infer<typeof ModelSummary>> {
  const encoder = await readEncoderManifest(env, m.name, m.version);
  return { ...staticSummary(m), ...(encoder ? { encoder: { name: encoder.name, version: encoder.version, weightsUrl: `/v1/models/${m.name}/versions/${m.version}/encoder/` } } : {}) };
}

function staticSummary(m: Manifest): z.infer<typeof ModelSummary> {
  const g = m.generator;
  const url = `/v1/models/${m.name}`;
  return {
    name: m.name,
    version: m.version,
    title: m.card.title,
    resolution: g.resolution,
    zDim: g.zDim,
    wDim: g.wDim,
    regions: m.regions.map((r) => ({
      name: r.name,
      label: r.label,
      kind: r.mask.kind,
      axes: r.axes,
      ...(r.mask.kind === "semantic" ? { class: r.mask.class } : {}),
      maskUrl: `${url}/regions/${r.name}/mask.png?version=${m.version}`,
      ...(r.mask.kind === "semantic" ? { maskUrlTemplate: `${url}/regions/${r.name}/mask.png?version=${m.version}${MASK_CODE_VARIABLES}` } : {}),
    })),
    ...(m.segmenter ? { segmenter: { resolution: m.segmenter.resolution, classes: m.segmenter.classes } } : {}),
    weightsUrl: `${url}/versions/${m.version}/`,
  };
}

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models",
    tags: ["models"],
    summary: "List the served models with their active version and linked regions",
    responses: { 200: { content: { "application/json": { schema: z.object({ models: z.array(ModelSummary) }) } }, description: "Models" } },
  }),
  async (c) => {
    const out = [];
    for (const name of await listModelNames(c.env)) out.push(await summary(c.env, await readManifest(c.env, name, await activeVersion(c.env, name))));
    return c.json({ models: out }, 200, { "Cache-Control": "public, max-age=30" });
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}",
    tags: ["models"],
    summary: "One model: active version, stored versions, regions, model card",
    request: { params: ModelParams },
    responses: { 200: { content: { "application/json": { schema: ModelDetail } }, description: "Model" }, ...errors },
  }),
  async (c) => {
    const { model } = c.req.valid("param");
    const version = await activeVersion(c.env, model);
    const m = await readManifest(c.env, model, version);
    const detail = { ...(await summary(c.env, m)), activeVersion: version, versions: await listVersions(c.env, model), card: m.card, provenance: m.provenance };
    return c.json(detail, 200, { "Cache-Control": "public, max-age=30" });
  },
);

models.use("/v1/models/:model/regions/:region/mask.png", rateLimit);
models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/regions/{region}/mask.png",
    tags: ["models"],
    summary: "A region's mask: white inside, transparent outside",
    description:
      "A fixed region (box, ellipse, image) has one mask; the base code is not needed and is ignored. A semantic region's mask is the segmenter's mask of one image: give that image's base code with the parameters of generate (seed, z or w, truncation, noise); the response is cached like a render, keyed by the code.",
    request: { params: ModelParams.extend({ region: regionPath }), query: GenerateQuery },
    responses: {
      200: { content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } }, description: "Mask PNG" },
      304: { description: "Not modified (If-None-Match matched the ETag; semantic masks)" },
      ...errors,
      429: { content: { "application/json": { schema: ErrorBody } }, description: "Rate limited" },
    },
  }),
  async (c) => {
    const { model, region } = c.req.valid("param");
    const query = c.req.valid("query");
    const { version: pinned, scale = 1 } = query;
    const version = await resolveVersion(c.env, model, pinned);
    const m = await readManifest(c.env, model, version);
    const r = m.regions.find((x) => x.name === region);
    if (!r) throw new ApiError(404, "unknown_region", `model "${model}" has no region "${region}" (it has: ${m.regions.map((x) => x.name).join(", ")})`, "region");
    const res = m.generator.resolution;
    checkWork(res, scale, 1);
    if (r.mask.kind !== "semantic") return pngResponse(maskPng(fixedMask(m, r), scale), pinned !== undefined);

    if (query.seed === undefined && !query.z && !query.w) {
      throw new ApiError(
        400,
        "missing_base_code",
        `seed: region "${region}" is semantic (class "${r.mask.class}"), so its mask depends on the image: give the image's base code (seed, z or w, with truncation and noise as for generate), as the region's maskUrlTemplate in GET /v1/models says`,
        "seed",
      );
    }
    const req = fromQuery(query, false);
    // Keyed by the request (render/key.ts): a hit needs neither the model nor the mapping.
    const key = await semanticMaskKey(model, version, m.generator.zDim, req, r.mask.class, scale);
    const answer = await cached(c, key, pinned !== undefined, () =>
      withModel(c.env, model, version, async (live) => ({ body: maskPng(await baseRenders.semanticMask(live, await resolveBase(live, req), r), scale), type: "image/png" })),
    );
    answer.headers.set("X-Model-Version", version);
    answer.headers.set(BACKEND_HEADER, backendHeader());
    return answer;
  },
);

/** White (opaque) inside, transparent outside, upscaled (nearest) by `scale`. */
function maskPng(mask: BinaryMask, scale: number): Uint8Array {
  const res = mask.size;
  const rgba = new Uint8Array(res * res * 4);
  for (const [i, v] of mask.data.entries()) if (v) rgba.fill(255, i * 4, i * 4 + 4);
  return encodePng(upscale(rgba, res, scale), res * scale, res * scale, 4);
}

const immutable = "public, max-age=31536000, immutable";

/**
 * An immutable stored file (a version's manifest or shard, or its encoder's): 304 when the client
 * holds `etag`, else the body with the ETag and a year's immutable caching.
 *
 * @example
 * return immutableFile(c, `"${info.sha256}"`, "application/octet-stream", obj.body, info.bytes);
 */
export function immutableFile(c: Context<AppEnv>, etag: string, type: string, body: string | ReadableStream, bytes?: number): Response {
  if (c.req.header("If-None-Match") === etag) return c.body(null, 304, { ETag: etag, "Cache-Control": immutable });
  return c.body(body as never, 200, { "Content-Type": type, ...(bytes !== undefined ? { "Content-Length": String(bytes) } : {}), ETag: etag, "Cache-Control": immutable });
}

/**
 * One shard a manifest lists, served from R2 under `prefix` as an immutable file whose ETag is its
 * SHA-256 (a 304 reads nothing from R2); a shard the manifest does not list is a 404 naming
 * `owner` (e.g. `version "v…" of "faces64"`).
 *
 * @example
 * return storedShard(c, modelPrefix(model, version), manifest.shards, shard, `version "${version}" of "${model}"`);
 */
export async function storedShard(c: Context<AppEnv>, prefix: string, shards: readonly { path: string; bytes: number; sha256: string }[], shard: string, owner: string): Promise<Response> {
  const info = shards.find((s) => s.path === shard);
  if (!info) throw new ApiError(404, "unknown_shard", `${owner} has no shard "${shard}"`, "shard");
  const etag = `"${info.sha256}"`;
  if (c.req.header("If-None-Match") === etag) return immutableFile(c, etag, "application/octet-stream", "");
  const obj = await c.env.WEIGHTS.get(prefix + shard);
  if (!obj) throw new Error(`R2 lacks ${prefix}${shard}, which its manifest lists`);
  return immutableFile(c, etag, "application/octet-stream", obj.body as unknown as ReadableStream, info.bytes);
}

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/manifest.json",
    tags: ["weights"],
    summary: "A version's weight manifest (immutable)",
    request: { params: ModelParams.extend({ version: versionPath }) },
    responses: { 200: { content: { "application/json": { schema: z.record(z.string(), z.unknown()) } }, description: "Manifest" }, 304: { description: "Not modified" }, ...errors },
  }),
  async (c) => {
    const { model, version } = c.req.valid("param");
    const obj = await c.env.WEIGHTS.get(`${modelPrefix(model, version)}manifest.json`);
    if (!obj) throw new ApiError(404, "unknown_version", `model "${model}" has no version "${version}"`, "version");
    return immutableFile(c, `"${version}"`, "application/json", await obj.text());
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/{shard}",
    tags: ["weights"],
    summary: "A weight shard (immutable; ETag is its SHA-256)",
    request: {
      params: ModelParams.extend({ version: versionPath, shard: shardPath }),
    },
    responses: { 200: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, description: "Shard" }, 304: { description: "Not modified" }, ...errors },
  }),
  async (c) => {
    const { model, version, shard } = c.req.valid("param");
    const m = await readManifest(c.env, model, version);
    return storedShard(c, modelPrefix(model, version), m.shards, shard, `version "${version}" of "${model}"`);
  },
);
