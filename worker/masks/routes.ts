import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { type BinaryMask, maskArea } from "../../shared/regions/mask.ts";
import { ByteLru } from "../../shared/lru.ts";
import type { AppEnv, Env } from "../env.ts";
import { ApiError, ErrorBody } from "../http/errors.ts";
import { boundedBody } from "../http/body.ts";
import { pngResponse, validationHook } from "../http/openapi.ts";
import { ModelParams, maskFilePath } from "../http/params.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { activeVersion, readManifest } from "../models/store.ts";
import { MaskId, RleMask as RleMaskSchema, canonicalize, maskFromPng, maskId, maskToPng, rasterFromPng, rasterFromRle } from "../../shared/render/masks.ts";

const RleMask = RleMaskSchema.openapi("RleMask", { example: { width: 4, height: 2, counts: [1, 2, 3, 2] } });

/**
 * Uploaded masks: canonicalized (binarized, resized to the model's resolution) and stored in R2 by
 * content id, so equal masks are one object and one cache key whatever form they came in.
 */
export const masks = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** Largest upload accepted. */
export const MAX_MASK_UPLOAD_BYTES = 1024 * 1024;

const storageKey = (resolution: number, id: string) => `masks/${resolution}/${id}.png`;
const known = new ByteLru<BinaryMask>(2 * 1024 * 1024, (m) => m.data.length);

/** The stored mask `id` at `resolution`, or a 404 naming it. */
export async function readMask(env: Env, resolution: number, id: string): Promise<BinaryMask> {
  const key = storageKey(resolution, id);
  const hit = known.get(key);
  if (hit) return hit;
  const obj = MaskId.safeParse(id).success ? await env.WEIGHTS.get(key) : null;
  if (!obj) throw new ApiError(404, "unknown_mask", `no mask "${id}" at ${resolution}×${resolution}; upload it with POST /v1/models/{model}/masks`, "mask");
  const m = maskFromPng(new Uint8Array(await obj.arrayBuffer()), resolution);
  known.set(key, m);
  return m;
}

const MaskInfo = z
  .object({
    id: z.string().openapi({ example: "m0123456789abcdef01234567" }),
    resolution: z.number().int(),
    area: z.number().int().openapi({ description: "Pixels inside, at the model's resolution." }),
    url: z.string().openapi({ description: "The stored mask, a path relative to the API's origin (as is the Location header)." }),
  })
  .openapi("Mask");


masks.use("/v1/models/:model/masks", rateLimit);
masks.use("/v1/models/:model/masks", boundedBody(MAX_MASK_UPLOAD_BYTES, "mask uploads"));

masks.openapi(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/masks",
    tags: ["masks"],
    summary: "Upload a mask (PNG, or run-length JSON); returns its content id",
    description: "PNG: non-black (luma ≥ 128) is inside. JSON: COCO-style uncompressed run-length, row-major, starting with an outside run. Either is resized (nearest) to the model's resolution.",
    request: {
      params: ModelParams,
      // Not `required`: the JSON schema is then checked only for JSON bodies, and PNGs pass through.
      body: {
        required: false,
        content: { "image/png": { schema: z.string().openapi({ format: "binary" }) }, "application/json": { schema: RleMask } },
      },
    },
    responses: {
      201: { content: { "application/json": { schema: MaskInfo } }, description: "Stored (or already stored)" },
      400: { content: { "application/json": { schema: ErrorBody } }, description: "Not a PNG, or invalid run-length" },
      404: { content: { "application/json": { schema: ErrorBody } }, description: "Unknown model" },
      413: { content: { "application/json": { schema: ErrorBody } }, description: "Too large" },
      415: { content: { "application/json": { schema: ErrorBody } }, description: "Not image/png or application/json" },
      422: { content: { "application/json": { schema: ErrorBody } }, description: "Empty mask" },
    },
  }),
  async (c) => {
    const { model } = c.req.valid("param");
    const m = await readManifest(c.env, model, await activeVersion(c.env, model));
    const res = m.generator.resolution;
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    let mask: BinaryMask;
    if (type === "image/png") {
      mask = canonicalize(rasterFromPng(new Uint8Array(await c.req.arrayBuffer())), res);
    } else if (type === "application/json") {
      mask = canonicalize(rasterFromRle(c.req.valid("json") as z.infer<typeof RleMask>), res);
    } else {
      throw new ApiError(415, "unsupported_media_type", `Content-Type must be image/png or application/json, got "${type || "none"}"`, "Content-Type");
    }
    const area = maskArea(mask);
    if (area === 0) throw new ApiError(422, "empty_mask", `mask: no pixel is inside at ${res}×${res}`, "body");
    const id = await maskId(mask);
    const key = storageKey(res, id);
    if (!(await c.env.WEIGHTS.head(key))) await c.env.WEIGHTS.put(key, maskToPng(mask), { httpMetadata: { contentType: "image/png" } });
    known.set(key, mask);
    // Relative: the request's Host header is the client's to choose and must not be echoed.
    const url = `/v1/models/${model}/masks/${id}.png`;
    return c.json({ id, resolution: res, area, url }, 201, { Location: url });
  },
);

masks.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/masks/{file}",
    tags: ["masks"],
    summary: "A stored mask as PNG (white inside), at the model's resolution",
    request: { params: ModelParams.extend({ file: maskFilePath }) },
    responses: {
      200: { content: { "image/png": { schema: z.string().openapi({ format: "binary" }) } }, description: "Mask" },
      400: { content: { "application/json": { schema: ErrorBody } }, description: "Bad id" },
      404: { content: { "application/json": { schema: ErrorBody } }, description: "Unknown model or mask" },
    },
  }),
  async (c) => {
    const { model, file } = c.req.valid("param");
    const m = await readManifest(c.env, model, await activeVersion(c.env, model));
    const mask = await readMask(c.env, m.generator.resolution, file.slice(0, -4));
    return pngResponse(maskToPng(mask), true);
  },
);
