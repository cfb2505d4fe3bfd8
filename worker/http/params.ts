import { z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import { RegionName } from "../../shared/regions/schema.ts";
import { ModelName, ModelVersion, ShardPath } from "../../shared/weights/manifest.ts";
import type { AppEnv } from "../env.ts";
import { MaskId } from "../../shared/render/masks.ts";
import { QUERY_DECIMAL, QUERY_INTEGER, queryNumber } from "../../shared/validation.ts";
import { fromZod } from "./errors.ts";

/**
 * Path parameters: one schema for each, used by every route that takes it, OpenAPI or not, so no
 * route hands an unchecked name to R2, KV or D1 (their key limits answered 500s before).
 * A malformed parameter is a 400 `invalid_request` naming it; a well-formed unknown one a 404.
 */
const path = (name: string, example: string) => ({ param: { name, in: "path" as const }, example });

export const modelPath = ModelName.openapi(path("model", "faces64"));
export const versionPath = ModelVersion.openapi(path("version", "v0123456789abcdef"));
export const shardPath = ShardPath.openapi(path("shard", "group1-shard1of1.bin"));
export const regionPath = RegionName.openapi(path("region", "mouth"));

/**
 * A number in a URL query, as every route takes one: `schema` (bounds, integrality, default) behind
 * the one query-number parser (`queryNumber`: decimal digits only, so `0x10`, `1e1` and `+7` are a
 * 400 naming the parameter), documented in OpenAPI as the string it is, with that parser's pattern.
 *
 * @example
 * const Query = z.object({ scale: queryNumberParam(Scale.optional(), "integer", "Upscaling factor 1–8") });
 */
export const queryNumberParam = <T extends z.ZodType>(schema: T, kind: "integer" | "decimal", description?: string) =>
  queryNumber(schema, kind).openapi({ type: "string", pattern: (kind === "integer" ? QUERY_INTEGER : QUERY_DECIMAL).source, description });

/** A stored mask's file: its content id (`MaskId`) + ".png". */
export const maskFilePath = z
  .string()
  .refine((f) => f.endsWith(".png") && MaskId.safeParse(f.slice(0, -4)).success, "must be <mask id>.png")
  .openapi({ ...path("file", "m0123456789abcdef01234567.png"), description: "A mask id + .png" });

/** A retraining job's id (`jobIdFor`). */
export const JobId = z.string().regex(/^job_[0-9a-f]{20}$/, 'must be "job_" + 20 hex digits');
/** A file an agent uploads into a job's staging area: the manifest or a shard. */
export const StagedFile = z.union([z.literal("manifest.json"), ShardPath], { error: "must be manifest.json or a .bin shard" });

export const ModelParams = z.object({ model: modelPath });

/**
 * Validate a plain Hono route's path parameters with `schema` (OpenAPI routes declare theirs in
 * `request.params`); read them with `c.req.valid("param")`.
 *
 * @example
 * jobs.get("/admin/jobs/:id", params(z.object({ id: JobId })), (c) => c.json(c.req.valid("param")));
 */
export function params<S extends z.ZodType<Record<string, string>>>(schema: S): MiddlewareHandler<AppEnv, string, { in: { param: z.input<S> }; out: { param: z.output<S> } }> {
  return validator("param", (value) => {
    const r = schema.safeParse(value);
    if (!r.success) throw fromZod(r.error);
    return r.data;
  }) as never;
}
