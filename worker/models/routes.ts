import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { encodePng } from "../../shared/png/png.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { AxisRange } from "../../shared/regions/schema.ts";
import { ModelCard } from "../../shared/weights/manifest.ts";
import type { Manifest } from "../../shared/weights/manifest.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, ErrorBody } from "../http/errors.ts";
import { pngResponse, validationHook } from "../http/openapi.ts";
import { upscale } from "../render/service.ts";
import { activeVersion, listModelNames, listVersions, modelPrefix, readManifest, resolveVersion } from "./store.ts";

/** Models: what is served, its regions (with mask previews) and its weights for browser clients. */
export const models = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const RegionInfo = z
  .object({
    name: z.string().openapi({ example: "left-eye" }),
    label: z.string().optional().openapi({ example: "Left eye" }),
    kind: z.enum(["box", "ellipse", "image", "semantic"]),
    axes: AxisRange,
    maskUrl: z.string().optional().openapi({ description: "Preview of a fixed region's mask (white inside, transparent outside)." }),
  })
  .openapi("Region");

const ModelSummary = z
  .object({
    name: z.string().openapi({ example: "faces64" }),
    version: z.string().openapi({ example: "v0123456789abcdef" }),
    title: z.string(),
    resolution: z.number().int(),
    zDim: z.number().int(),
    wDim: z.number().int(),
    regions: z.array(RegionInfo),
    weightsUrl: z.string().openapi({ description: "Folder of manifest.json and shards for `loadModel(fetchSource(url))`." }),
  })
  .openapi("ModelSummary");

const ModelDetail = ModelSummary.extend({
  activeVersion: z.string(),
  versions: z.array(z.string()),
  card: ModelCard,
  provenance: z.record(z.string(), z.unknown()),
}).openapi("ModelDetail");

const modelParam = z.object({ model: z.string().openapi({ param: { name: "model", in: "path" }, example: "faces64" }) });
const versionParam = z.string().regex(/^v[0-9a-f]{16}$/).openapi({ param: { name: "version", in: "path" }, example: "v0123456789abcdef" });
const errors = {
  400: { content: { "application/json": { schema: ErrorBody } }, description: "Invalid parameter" },
  404: { content: { "application/json": { schema: ErrorBody } }, description: "Unknown model, version or region" },
};

function summary(m: Manifest, base: string): z.infer<typeof ModelSummary> {
  const g = m.generator;
  const url = `${base}/v1/models/${m.name}`;
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
      maskUrl: r.mask.kind === "semantic" ? undefined : `${url}/regions/${r.name}/mask.png?version=${m.version}`,
    })),
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
    const origin = new URL(c.req.url).origin;
    const out = [];
    for (const name of await listModelNames(c.env)) out.push(summary(await readManifest(c.env, name, await activeVersion(c.env, name)), origin));
    return c.json({ models: out }, 200, { "Cache-Control": "public, max-age=30" });
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}",
    tags: ["models"],
    summary: "One model: active version, stored versions, regions, model card",
    request: { params: modelParam },
    responses: { 200: { content: { "application/json": { schema: ModelDetail } }, description: "Model" }, ...errors },
  }),
  async (c) => {
    const { model } = c.req.valid("param");
    const version = await activeVersion(c.env, model);
    const m = await readManifest(c.env, model, version);
    const detail = { ...summary(m, new URL(c.req.url).origin), activeVersion: version, versions: await listVersions(c.env, model), card: m.card, provenance: m.provenance };
    return c.json(detail, 200, { "Cache-Control": "public, max-age=30" });
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/regions/{region}/mask.png",
    tags: ["models"],
    summary: "Preview of a fixed region's mask: white inside, transparent outside",
    request: {
      params: modelParam.extend({ region: z.string().openapi({ param: { name: "region", in: "path" }, example: "mouth" }) }),
      query: z.object({
        version: z.string().regex(/^v[0-9a-f]{16}$/).optional(),
        scale: z.preprocess((v) => (v === undefined ? undefined : Number(v)), z.number().int().min(1).max(8).optional()).openapi({ type: "string" }),
      }),
    },
    responses: { 200: { content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } }, description: "Mask PNG" }, ...errors },
  }),
  async (c) => {
    const { model, region } = c.req.valid("param");
    const { version: pinned, scale = 1 } = c.req.valid("query");
    const version = await resolveVersion(c.env, model, pinned);
    const m = await readManifest(c.env, model, version);
    const r = m.regions.find((x) => x.name === region);
    if (!r) throw new ApiError(404, "unknown_region", `model "${model}" has no region "${region}"`, "region");
    if (r.mask.kind === "semantic") throw new ApiError(404, "no_fixed_mask", `region "${region}" is semantic: its mask depends on the image`, "region");
    const res = m.generator.resolution;
    const mask = rasterizeMask(r.mask, res);
    const rgba = new Uint8Array(res * res * 4);
    for (const [i, v] of mask.data.entries()) if (v) rgba.fill(255, i * 4, i * 4 + 4);
    return pngResponse(encodePng(upscale(rgba, res, scale), res * scale, res * scale, 4), pinned !== undefined);
  },
);

const immutable = "public, max-age=31536000, immutable";

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/manifest.json",
    tags: ["weights"],
    summary: "A version's weight manifest (immutable)",
    request: { params: modelParam.extend({ version: versionParam }) },
    responses: { 200: { content: { "application/json": { schema: z.record(z.string(), z.unknown()) } }, description: "Manifest" }, 304: { description: "Not modified" }, ...errors },
  }),
  async (c) => {
    const { model, version } = c.req.valid("param");
    const obj = await c.env.WEIGHTS.get(`${modelPrefix(model, version)}manifest.json`);
    if (!obj) throw new ApiError(404, "unknown_version", `model "${model}" has no version "${version}"`, "version");
    const etag = `"${version}"`;
    if (c.req.header("If-None-Match") === etag) return c.body(null, 304, { ETag: etag, "Cache-Control": immutable });
    return c.body(await obj.text(), 200, { "Content-Type": "application/json", ETag: etag, "Cache-Control": immutable });
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/{shard}",
    tags: ["weights"],
    summary: "A weight shard (immutable; ETag is its SHA-256)",
    request: {
      params: modelParam.extend({ version: versionParam, shard: z.string().regex(/^[A-Za-z0-9._-]+\.bin$/).openapi({ param: { name: "shard", in: "path" } }) }),
    },
    responses: { 200: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, description: "Shard" }, 304: { description: "Not modified" }, ...errors },
  }),
  async (c) => {
    const { model, version, shard } = c.req.valid("param");
    const m = await readManifest(c.env, model, version);
    const info = m.shards.find((s) => s.path === shard);
    if (!info) throw new ApiError(404, "unknown_shard", `version "${version}" of "${model}" has no shard "${shard}"`, "shard");
    const etag = `"${info.sha256}"`;
    if (c.req.header("If-None-Match") === etag) return c.body(null, 304, { ETag: etag, "Cache-Control": immutable });
    const obj = await c.env.WEIGHTS.get(modelPrefix(model, version) + shard);
    if (!obj) throw new Error(`R2 lacks ${modelPrefix(model, version)}${shard}, which its manifest lists`);
    return c.body(obj.body as unknown as ReadableStream, 200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(info.bytes),
      ETag: etag,
      "Cache-Control": immutable,
    });
  },
);
