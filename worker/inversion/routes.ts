import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DEFAULT_INVERT_STEPS, InversionAnswer, InvertSteps, MAX_INVERT_STEPS, MAX_INVERT_UPLOAD_BYTES, PICTURE_ERROR_CODES } from "../../shared/inversion/endpoint.ts";
import { inversionAnswer, inversionPrior, invertPicture } from "../../shared/inversion/invert.ts";
import { MAX_JPEG_SCANS } from "../../shared/picture/jpeg.ts";
import { PictureError, type PictureErrorCode, readPictureHeader } from "../../shared/picture/picture.ts";
import { sha256Hex } from "../../shared/weights/content-id.ts";
import { BACKEND_HEADER, backendHeader } from "../backend.ts";
import { cached } from "../cache/tiers.ts";
import type { AppEnv } from "../env.ts";
import { boundedBody } from "../http/body.ts";
import { ApiError, ErrorBody } from "../http/errors.ts";
import { validationHook } from "../http/openapi.ts";
import { ModelParams, queryNumberParam, shardPath, versionPath } from "../http/params.ts";
import { rateLimit } from "../http/rate-limit.ts";
import { withModel } from "../models/registry.ts";
import { resolveVersion } from "../models/store.ts";
import { ModelVersion } from "../../shared/weights/manifest.ts";
import { immutableFile, storedShard } from "../models/routes.ts";
import { encoderPrefix, readEncoderManifest } from "./store.ts";

/**
 * GAN inversion of an uploaded picture (#14): PNG or JPEG bytes → the version's encoder → a code w
 * in the W its regions are linked in, optionally refined by a few projector steps, answered as
 * JSON whose `w` every render endpoint takes (`w=…&noise=zeros`). The picture is checked from its
 * header before any model loads; the answer is cached by the picture's content hash, so the same
 * bytes never cost a second inversion.
 */
export const inversion = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/** Each picture problem's status: the bytes are not a picture we read (415), break the size rule (400), or cannot be a face (422). */
const PICTURE_STATUS: Record<PictureErrorCode, ContentfulStatusCode> = {
  not_an_image: 415,
  unsupported: 415,
  corrupt: 400,
  too_large: 400,
  too_small: 422,
  animated: 422,
};

const asApiError = (e: unknown): unknown =>
  e instanceof PictureError ? new ApiError(PICTURE_STATUS[e.code], PICTURE_ERROR_CODES[e.code], `picture: ${e.message}`, "body") : e;

/** The 404 of a model version with no encoder stored beside it. */
function noEncoder(model: string, version: string, field: "model" | "version"): never {
  throw new ApiError(404, "no_encoder", `model "${model}" version ${version} has no encoder: it cannot invert pictures`, field);
}

const ACCEPTED_TYPES = ["image/png", "image/jpeg", "application/octet-stream"];

const InvertQuery = z.object({
  version: ModelVersion.optional().openapi({ description: "Pin a model version (default: the active one)", example: "v0123456789abcdef" }),
  steps: queryNumberParam(InvertSteps, "integer", `Projector steps after the encoder (0–${MAX_INVERT_STEPS}, default ${DEFAULT_INVERT_STEPS}: edits of the encoder's code alone leak outside their region; 0 is a cheap preview): each refines the code by one gradient step on the reconstruction loss`),
});

const Inversion = InversionAnswer.openapi("Inversion");

inversion.use("/v1/models/:model/invert", rateLimit);
inversion.use("/v1/models/:model/invert", boundedBody(MAX_INVERT_UPLOAD_BYTES, "picture uploads"));

const json = (description: string) => ({ content: { "application/json": { schema: ErrorBody } }, description });

inversion.openapi(
  createRoute({
    method: "post",
    path: "/v1/models/{model}/invert",
    tags: ["inversion"],
    summary: "Invert a picture: its code w in the model's W, to render and edit like any generated face",
    description:
      "The body is a PNG or JPEG of any size (Content-Type image/png, image/jpeg or application/octet-stream; the bytes decide). It is turned upright (EXIF), composited onto the dataset's background where transparent, centre-cropped to a square and resized (area averaging) to the model's resolution, then encoded; `steps` projector steps refine the code. The answer is cached by the bytes' SHA-256.",
    request: {
      params: ModelParams,
      query: InvertQuery,
      body: { required: true, content: { "image/png": { schema: z.string().openapi({ format: "binary" }) }, "image/jpeg": { schema: z.string().openapi({ format: "binary" }) } } },
    },
    responses: {
      200: { content: { "application/json": { schema: Inversion } }, description: "The code, its reconstruction's URL and quality" },
      400: json("Invalid parameter, a corrupt or truncated picture, or one over the size rule (image_too_large)"),
      404: json("Unknown model or version, or a version with no encoder (no_encoder)"),
      413: json("Upload too large"),
      415: json(`Not a PNG or JPEG, or one this API does not decode (a CMYK JPEG, or one of more than ${MAX_JPEG_SCANS} scans)`),
      422: json("A picture too small to hold a face, or an animated one"),
      429: json("Rate limited"),
    },
  }),
  async (c) => {
    const { model } = c.req.valid("param");
    const { version: pinned, steps } = c.req.valid("query");
    const type = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!ACCEPTED_TYPES.includes(type)) throw new ApiError(415, "unsupported_media_type", `Content-Type must be one of ${ACCEPTED_TYPES.join(", ")}, got "${type || "none"}"`, "Content-Type");
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) throw new ApiError(400, "empty_body", "the body is empty; send the picture's bytes", "body");
    // The header decides before anything loads or decodes: format, frames, size.
    let header: ReturnType<typeof readPictureHeader>;
    try {
      header = readPictureHeader(bytes);
    } catch (e) {
      throw asApiError(e);
    }
    const version = await resolveVersion(c.env, model, pinned);
    const encoderManifest = (await readEncoderManifest(c.env, model, version)) ?? noEncoder(model, version, "model");
    const sha256 = await sha256Hex(bytes);
    const key = `/${model}/${version}/invert/e=${encoderManifest.version}/img=${sha256}/s=${steps}${steps > 0 ? `/p=${inversionPrior(steps)}` : ""}`;
    const res = await cached(c, key, pinned !== undefined, () =>
      withModel(c.env, model, version, async (m) => {
        const live = (await m.encoder()) ?? noEncoder(model, version, "model");
        let r: Awaited<ReturnType<typeof invertPicture>>;
        try {
          r = await invertPicture({ generator: m.generator, encoder: live.encoder, encoderManifest: live.manifest, featureNet: m.segmenter }, bytes, steps, header);
        } catch (e) {
          throw asApiError(e);
        }
        const body = inversionAnswer(r, { model, version, encoder: live.manifest, steps, sha256 });
        return { body: new TextEncoder().encode(JSON.stringify(body)), type: "application/json" };
      }),
    );
    res.headers.set("X-Model-Version", version);
    res.headers.set(BACKEND_HEADER, backendHeader());
    // A cached() Response (JSON bytes from either tier), not c.json(): typed as the route's 200.
    return res as never;
  },
);

const weightErrors = {
  400: json("Invalid parameter"),
  404: json("Unknown model, version or shard, or a version with no encoder"),
};

inversion.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/encoder/manifest.json",
    tags: ["weights"],
    summary: "The manifest of a version's encoder (immutable), for inversion in the browser",
    request: { params: ModelParams.extend({ version: versionPath }) },
    responses: { 200: { content: { "application/json": { schema: z.record(z.string(), z.unknown()) } }, description: "Encoder manifest" }, 304: { description: "Not modified" }, ...weightErrors },
  }),
  async (c) => {
    const { model, version } = c.req.valid("param");
    const m = (await readEncoderManifest(c.env, model, version)) ?? noEncoder(model, version, "version");
    return immutableFile(c, `"${m.version}"`, "application/json", JSON.stringify(m)) as never;
  },
);

inversion.openapi(
  createRoute({
    method: "get",
    path: "/v1/models/{model}/versions/{version}/encoder/{shard}",
    tags: ["weights"],
    summary: "A shard of a version's encoder (immutable; ETag is its SHA-256)",
    request: { params: ModelParams.extend({ version: versionPath, shard: shardPath }) },
    responses: { 200: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, description: "Shard" }, 304: { description: "Not modified" }, ...weightErrors },
  }),
  async (c) => {
    const { model, version, shard } = c.req.valid("param");
    const m = (await readEncoderManifest(c.env, model, version)) ?? noEncoder(model, version, "version");
    return (await storedShard(c, encoderPrefix(model, version), m.shards, shard, `the encoder of "${model}" ${version}`)) as never;
  },
);
