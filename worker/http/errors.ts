import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { RenderError, type RenderErrorCode } from "../../shared/render/error.ts";
import { issuePath } from "../../shared/validation.ts";

/** Every error the API returns has this body: a stable code, a sentence, and the field at fault. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "truncation: Too big: expected number to be <=2" }),
      field: z.string().optional().openapi({ example: "truncation" }),
    }),
  })
  .openapi("Error");

/**
 * An error a client caused (or may retry): thrown anywhere in a handler, answered as JSON.
 *
 * @example
 * throw new ApiError(404, "unknown_region", `model "faces64" has no region "nose"`, "regions");
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The HTTP status of each error of the shared render pipeline. */
export const RENDER_ERROR_STATUS: Record<RenderErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  over_work_limit: 400,
  invalid_mask: 400,
  image_too_large: 400,
  unknown_region: 404,
  empty_mask: 422,
  mask_covers_no_region: 422,
};

/**
 * The API's answer to a RenderError from the shared pipeline: its code, message and field, with
 * the status from `RENDER_ERROR_STATUS`.
 *
 * @example
 * fromRenderError(new RenderError("unknown_region", 'model "faces64" has no region "nose"', "regions")).status; // 404
 */
export function fromRenderError(e: RenderError): ApiError {
  return new ApiError(RENDER_ERROR_STATUS[e.code], e.code, e.message, e.field);
}

/** A zod failure as an ApiError naming the first bad field (all of them in the message). */
export function fromZod(err: ZodError, root?: string): ApiError {
  const first = err.issues[0];
  const at = (p: readonly PropertyKey[]) => [root, issuePath(p)].filter(Boolean).join(".");
  const message = err.issues.map((i) => `${at(i.path) || "(body)"}: ${i.message}`).join("; ");
  return new ApiError(400, "invalid_request", message, first ? at(first.path) || undefined : undefined);
}

/**
 * Answer an ApiError, a RenderError, an HTTPException (malformed JSON from a validator; bearerAuth's answers,
 * which carry the API's error body and their WWW-Authenticate challenge) or a bug (500, logged).
 */
export function errorResponse(err: unknown, c: Context): Response {
  if (err instanceof RenderError) err = fromRenderError(err);
  if (err instanceof ApiError) {
    return c.json({ error: { code: err.code, message: err.message, field: err.field } }, err.status, err.headers);
  }
  if (err instanceof HTTPException && err.res) return err.getResponse();
  if (err instanceof HTTPException) {
    const codes: Record<number, string> = { 400: "malformed_body", 401: "unauthorized", 413: "body_too_large", 415: "unsupported_media_type" };
    const code = codes[err.status] ?? "http_error";
    return c.json({ error: { code, message: err.message || "bad request" } }, err.status);
  }
  console.error("unhandled error", err);
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
}
