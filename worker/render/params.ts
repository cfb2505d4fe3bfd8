import { z } from "@hono/zod-openapi";
import { MaskId } from "../../shared/render/masks.ts";
import {
  Alpha,
  Frames,
  LatentValues,
  Mode,
  Noise,
  RegionNames,
  type RenderRequest,
  Scale,
  Seed,
  Truncation,
  WORK_LIMITS,
  decodeLatent,
  normalizeRequest,
} from "../../shared/render/request.ts";
import { queryNumberParam as q } from "../http/params.ts";
import { ModelVersion } from "../../shared/weights/manifest.ts";

/**
 * The render endpoints' two spellings of one request, with the same names: a GET query (strings;
 * latents as base64url of little-endian float32) and a POST JSON body (latents as number arrays).
 * The fields and the rules across them are the shared pipeline's (shared/render/request.ts); this
 * file adds the HTTP spellings and their OpenAPI descriptions. Both normalize to `RenderRequest`,
 * from which render/key.ts builds the cache key.
 */

export type { RenderRequest };
export { WORK_LIMITS };

const WORK_DOC = `Work bound per request: frames × (resolution × scale)² ≤ ${WORK_LIMITS.outputPixels} output pixels and frames × resolution² ≤ ${WORK_LIMITS.renderedPixels} rendered pixels (frames = 1 except for interpolate); beyond it the answer is 400 over_work_limit.`;

const codeFields = {
  seed: Seed.optional().openapi({ description: "Latent seed: z from the shared PRNG. One of seed, z, w." }),
  truncation: Truncation.optional().openapi({ description: "Truncation ψ towards the mean w (seed or z only). Default 1." }),
  noise: Noise.optional().openapi({ description: 'Seed of the per-layer noise, or "zeros". Default: the latent seed, or "zeros" for an explicit latent.' }),
  version: ModelVersion.optional().openapi({ description: "Pin a model version (immutable responses). Default: the active version." }),
  scale: Scale.optional().openapi({ description: `Nearest-neighbour upscaling factor. Default 1. ${WORK_DOC}` }),
};
const editFields = {
  regions: RegionNames.optional().openapi({ description: "Names of linked regions to resample." }),
  mask: MaskId.optional().openapi({ description: "Id of an uploaded mask: resamples the regions it covers." }),
  resampleSeed: Seed.openapi({ description: "Seed of the new code (replace) or the direction (perturb)." }),
  mode: Mode.optional().openapi({ description: "replace: the regions' axes from a new code; perturb: w + α·p on them. Default replace." }),
  alpha: Alpha.optional().openapi({ description: "Perturbation strength α (perturb only). Default 1." }),
  composite: z.boolean().optional().openapi({ description: "Copy pixels outside the feathered mask from the base image. Default true." }),
};
const framesField = { frames: Frames.optional().openapi({ description: `Frames from base to edit, inclusive. Default 5. ${WORK_DOC}` }) };

/** POST bodies: latents as arrays of numbers. */
export const GenerateBody = z.object({ ...codeFields, z: LatentValues.optional(), w: LatentValues.optional() }).strict().openapi("GenerateRequest");
export const ResampleBody = GenerateBody.extend(editFields).strict().openapi("ResampleRequest");
export const InterpolateBody = ResampleBody.extend(framesField).strict().openapi("InterpolateRequest");

// GET queries: every value a string, parsed by the one query-number parser (decimal digits only) with the same bounds.
const latentQuery = z.string().max(64 * 1024).optional().openapi({ description: "Explicit latent: base64url of little-endian float32 values." });
const codeQuery = {
  seed: q(Seed.optional(), "integer", codeFields.seed.description),
  truncation: q(codeFields.truncation, "decimal", "Truncation ψ (seed or z only). Default 1."),
  noise: z.union([z.literal("zeros"), q(Seed, "integer")]).optional().openapi({ type: "string", description: codeFields.noise.description }),
  version: ModelVersion.optional(),
  scale: q(codeFields.scale, "integer", `Nearest-neighbour upscaling factor 1–8. Default 1. ${WORK_DOC}`),
  z: latentQuery,
  w: latentQuery,
};
const boolQuery = z.enum(["true", "false", "1", "0"]).optional();
const editQuery = {
  regions: z
    .preprocess((v) => (v === "" ? undefined : typeof v === "string" ? v.split(",").map((s) => s.trim()) : v), editFields.regions)
    .openapi({ type: "string", description: "Comma-separated region names (at most 16)." }),
  mask: editFields.mask,
  resampleSeed: q(Seed, "integer", "Seed of the new code (replace) or the direction (perturb)."),
  mode: editFields.mode,
  alpha: q(editFields.alpha, "decimal", "Perturbation strength α (perturb only). Default 1."),
  composite: boolQuery.openapi({ description: "Copy pixels outside the feathered mask from the base. Default true." }),
};
export const GenerateQuery = z.object(codeQuery);
export const ResampleQuery = z.object({ ...codeQuery, ...editQuery });
export const InterpolateQuery = z.object({ ...codeQuery, ...editQuery, frames: q(framesField.frames, "integer", `Frames 2–16. Default 5. ${WORK_DOC}`) });

type BodyIn = z.infer<typeof InterpolateBody>;
type QueryIn = z.infer<typeof InterpolateQuery>;

/**
 * A POST body, normalized (a RenderError names what is wrong).
 *
 * @example
 * fromBody({ z: [0.1, …], noise: 7 }, false).code.kind; // "z"
 */
export function fromBody(b: Partial<BodyIn>, withEdit: boolean): RenderRequest {
  return normalizeRequest({ ...b, z: b.z ? Float32Array.from(b.z) : undefined, w: b.w ? Float32Array.from(b.w) : undefined }, withEdit);
}

/**
 * A GET query, normalized (a RenderError names what is wrong).
 *
 * @example
 * fromQuery(ResampleQuery.parse({ seed: "7", regions: "mouth", resampleSeed: "3" }), true).edit?.regions; // ["mouth"]
 */
export function fromQuery(qy: Partial<QueryIn>, withEdit: boolean): RenderRequest {
  const composite = qy.composite === undefined ? undefined : qy.composite === "true" || qy.composite === "1";
  return normalizeRequest({ ...qy, z: decodeLatent(qy.z, "z"), w: decodeLatent(qy.w, "w"), composite }, withEdit);
}
