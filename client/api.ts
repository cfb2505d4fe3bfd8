/**
 * What crosses the boundary between the browser client and the edge API, validated with zod: the
 * JSON the API answers, and the parameters callers pass (the API's own field schemas, from
 * shared/render/request.ts, with latents also as Float32Array and masks also painted).
 */
import { z } from "zod";
import type { BinaryMask } from "../shared/regions/mask.ts";
import { RenderError } from "../shared/render/error.ts";
import { MaskId, MaskInput } from "../shared/render/masks.ts";
import { Alpha, Frames, LatentValues, Mode, Noise, RegionNames, type RenderRequest, Seed, Truncation } from "../shared/render/request.ts";
import { describeZodError } from "../shared/validation.ts";
import { ModelName, ModelVersion } from "../shared/weights/manifest.ts";

/** An error from the client: a stable code (the API's codes where the API answered), a sentence, the field at fault. */
export class LinkGanError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "LinkGanError";
  }
}

/** `schema.parse` with a LinkGanError naming each wrong field. */
export function parseOr<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const field = r.error.issues[0]?.path.map(String).join(".") || undefined;
    throw new LinkGanError("invalid_request", `${what}: ${describeZodError(r.error)}`, field);
  }
  return r.data;
}

export const RegionInfo = z.object({
  name: z.string(),
  label: z.string().optional(),
  kind: z.enum(["box", "ellipse", "image", "semantic"]),
  axes: z.object({ start: z.number().int().min(0), end: z.number().int().min(1) }),
  /** Semantic regions: the segmenter class masking the region in each image. */
  class: z.string().optional(),
  /** A path relative to the API's origin. */
  maskUrl: z.string().optional(),
  /** Semantic regions: maskUrl as an RFC 6570 template of the image's base code ({&seed,z,w,truncation,noise}). */
  maskUrlTemplate: z.string().optional(),
});
export type RegionInfo = z.infer<typeof RegionInfo>;

export const ModelSummary = z.object({
  name: ModelName,
  version: ModelVersion,
  title: z.string(),
  resolution: z.number().int().min(1).max(4096),
  zDim: z.number().int().min(1),
  wDim: z.number().int().min(1),
  regions: z.array(RegionInfo),
  /** The segmenter bundled with the version, when the model has semantic regions. */
  segmenter: z.object({ resolution: z.number().int(), classes: z.array(z.string()) }).optional(),
  /** The version's folder, a path relative to the API's origin. */
  weightsUrl: z.string(),
  /** The version's GAN-inversion encoder, when it has one (its folder: a path relative to the API's origin). */
  encoder: z.object({ name: z.string(), version: ModelVersion, weightsUrl: z.string() }).optional(),
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const ModelList = z.object({ models: z.array(ModelSummary) });
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
export const LatentBody = z.object({ model: z.string(), version: z.string(), w: z.string(), noise: z.union([z.number().int(), z.literal("zeros")]) });
export const MaskInfo = z.object({ id: MaskId, resolution: z.number().int(), area: z.number().int(), url: z.string() });

// ---- request parameters: the API's own fields and bounds (shared/render/request.ts) ----

/** A RenderError from the shared pipeline as the client's error: the same code, sentence and field. */
export function fromRenderError(e: RenderError): LinkGanError {
  return new LinkGanError(e.code, e.message, e.field);
}

/**
 * `fn()`, with a RenderError from the shared pipeline rethrown as a LinkGanError.
 *
 * @example
 * const req = asClientError(() => normalizeRequest(params, true));
 */
export function asClientError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof RenderError ? fromRenderError(e) : e;
  }
}

/**
 * `fn()`, with a RenderError from the shared pipeline rejected as a LinkGanError.
 *
 * @example
 * const base = await asClientErrorAsync(() => resolveBase(model, req));
 */
export async function asClientErrorAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw e instanceof RenderError ? fromRenderError(e) : e;
  }
}

/** A latent as a Float32Array or an array of numbers; the API's bounds on its values. */
const latent = z
  .union([z.custom<Float32Array>((v) => v instanceof Float32Array, "must be a Float32Array or an array of numbers"), z.array(z.number())])
  .transform((v) => Array.from(v))
  .pipe(LatentValues)
  .transform((v): Float32Array => Float32Array.from(v));

const codeShape = {
  seed: Seed.optional(),
  z: latent.optional(),
  w: latent.optional(),
  truncation: Truncation.optional(),
  noise: Noise.optional(),
};
const editShape = {
  regions: RegionNames.optional(),
  mask: z.union([MaskId, MaskInput]).optional(),
  resampleSeed: Seed,
  mode: Mode.optional(),
  alpha: Alpha.optional(),
  composite: z.boolean().optional(),
};
export const GenerateParams = z.object(codeShape).strict();
export const ResampleParams = z.object({ ...codeShape, ...editShape }).strict();
export const InterpolateParams = z.object({ ...codeShape, ...editShape, frames: Frames.optional() }).strict();
export type GenerateParams = z.input<typeof GenerateParams>;
export type ResampleParams = z.input<typeof ResampleParams>;
export type InterpolateParams = z.input<typeof InterpolateParams>;

/** A request normalized the way the API normalizes it; a mask may be an uploaded id or a painted mask. */
export type NormalizedRequest = RenderRequest<string | BinaryMask>;

/** How long the client waits for an answer's headers before giving up (a body may then take longer: a weight shard streams). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * `fetchFn` with a deadline for the response's headers: past `ms`, the request is aborted and the
 * promise rejects with a LinkGanError "timeout" naming the URL; a network failure is a
 * "network_error". The body is not timed (weights stream for as long as they need).
 *
 * @example
 * const f = timedFetch(fetch, 30_000); await f("/v1/models"); // LinkGanError("timeout") after 30 s of silence
 */
export function timedFetch(fetchFn: typeof fetch, ms: number): typeof fetch {
  return async (input, init = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const ctrl = new AbortController();
    const abortWith = () => ctrl.abort(init.signal?.reason);
    init.signal?.addEventListener("abort", abortWith, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, ms);
    try {
      return await fetchFn(input, { ...init, signal: ctrl.signal });
    } catch (e) {
      if (timedOut) throw new LinkGanError("timeout", `${url}: no answer within ${ms} ms`);
      if (e instanceof LinkGanError || init.signal?.aborted) throw e;
      throw new LinkGanError("network_error", `${url}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
      init.signal?.removeEventListener("abort", abortWith);
    }
  };
}
