import { z } from "@hono/zod-openapi";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { latentFromParam } from "../../shared/latent-param.ts";
import { RegionName } from "../../shared/regions/schema.ts";
import { QUERY_DECIMAL, QUERY_INTEGER, queryNumber } from "../../shared/validation.ts";
import { ModelVersion } from "../../shared/weights/manifest.ts";
import { ApiError } from "../http/errors.ts";
import { MaskId } from "../masks/canonical.ts";

/**
 * Request parameters of the render endpoints, in two spellings with the same names: a GET query
 * (strings; latents as base64url of little-endian float32) and a POST JSON body (latents as number
 * arrays). Both normalize to `RenderRequest`, from which render/key.ts builds the cache key.
 */

/** Largest |value| accepted in an explicit latent. */
export const MAX_LATENT_ABS = 1e4;

/**
 * The work one request may cause, in pixels. Output: frames × (resolution × scale)², what is
 * upscaled and PNG-encoded; the limit is one 8× image of a 64 px model (512²), which a 16-frame
 * strip at 8× exceeded 16 times (18 s of CPU and 136 MB in the attack run). Rendered:
 * frames × resolution², what the generator runs; the limit is today's 16 frames of a 64 px model,
 * so a larger model gets proportionally fewer frames. Each render costs far more than its
 * encoding (about 0.6 s against 0.1 s for an 8× image of 64 px), so frames, not scale, dominate CPU.
 */
export const WORK_LIMITS = { outputPixels: 512 * 512, renderedPixels: 16 * 64 * 64 } as const;
const WORK_DOC = `Work bound per request: frames × (resolution × scale)² ≤ ${WORK_LIMITS.outputPixels} output pixels and frames × resolution² ≤ ${WORK_LIMITS.renderedPixels} rendered pixels (frames = 1 except for interpolate); beyond it the answer is 400 over_work_limit.`;

/** Refuse a request whose work (`WORK_LIMITS`) is over the limit, naming the limit and what to lower. */
export function checkWork(resolution: number, scale: number, frames: number): void {
  const output = frames * (resolution * scale) ** 2;
  if (output > WORK_LIMITS.outputPixels) {
    throw new ApiError(
      400,
      "over_work_limit",
      `frames × (resolution × scale)² = ${frames} × (${resolution} × ${scale})² = ${output} output pixels is over the limit of ${WORK_LIMITS.outputPixels}; lower ${scale > 1 ? "scale" : "frames"}`,
      scale > 1 ? "scale" : "frames",
    );
  }
  const rendered = frames * resolution ** 2;
  if (rendered > WORK_LIMITS.renderedPixels) {
    throw new ApiError(400, "over_work_limit", `frames × resolution² = ${frames} × ${resolution}² = ${rendered} rendered pixels is over the limit of ${WORK_LIMITS.renderedPixels}; lower frames`, "frames");
  }
}

const seed = z.number().int().min(0).max(MAX_SEED);
const version = ModelVersion;

const codeFields = {
  seed: seed.optional().openapi({ description: "Latent seed: z from the shared PRNG. One of seed, z, w." }),
  truncation: z.number().min(0).max(2).optional().openapi({ description: "Truncation ψ towards the mean w (seed or z only). Default 1." }),
  noise: z.union([seed, z.literal("zeros")]).optional().openapi({ description: 'Seed of the per-layer noise, or "zeros". Default: the latent seed, or "zeros" for an explicit latent.' }),
  version: version.optional().openapi({ description: "Pin a model version (immutable responses). Default: the active version." }),
  scale: z.number().int().min(1).max(8).optional().openapi({ description: `Nearest-neighbour upscaling factor. Default 1. ${WORK_DOC}` }),
};
const editFields = {
  regions: z.array(RegionName).max(16).optional().openapi({ description: "Names of linked regions to resample." }),
  mask: MaskId.optional().openapi({ description: "Id of an uploaded mask: resamples the regions it covers." }),
  resampleSeed: seed.openapi({ description: "Seed of the new code (replace) or the direction (perturb)." }),
  mode: z.enum(["replace", "perturb"]).optional().openapi({ description: "replace: the regions' axes from a new code; perturb: w + α·p on them. Default replace." }),
  alpha: z.number().gt(0).max(10).optional().openapi({ description: "Perturbation strength α (perturb only). Default 1." }),
  composite: z.boolean().optional().openapi({ description: "Copy pixels outside the feathered mask from the base image. Default true." }),
};
const framesField = { frames: z.number().int().min(2).max(16).optional().openapi({ description: `Frames from base to edit, inclusive. Default 5. ${WORK_DOC}` }) };

const latentArray = z.array(z.number().min(-MAX_LATENT_ABS).max(MAX_LATENT_ABS)).min(1).max(4096);

/** POST bodies: latents as arrays of numbers. */
export const GenerateBody = z.object({ ...codeFields, z: latentArray.optional(), w: latentArray.optional() }).strict().openapi("GenerateRequest");
export const ResampleBody = GenerateBody.extend(editFields).strict().openapi("ResampleRequest");
export const InterpolateBody = ResampleBody.extend(framesField).strict().openapi("InterpolateRequest");

// GET queries: every value a string, parsed by the one query-number parser (decimal digits only) with the same bounds.
const q = <T extends z.ZodType>(schema: T, kind: "integer" | "decimal", description?: string) =>
  queryNumber(schema, kind).openapi({ type: "string", pattern: (kind === "integer" ? QUERY_INTEGER : QUERY_DECIMAL).source, description });
const latentQuery = z.string().max(64 * 1024).optional().openapi({ description: "Explicit latent: base64url of little-endian float32 values." });
const codeQuery = {
  seed: q(seed.optional(), "integer", codeFields.seed.description),
  truncation: q(codeFields.truncation, "decimal", "Truncation ψ (seed or z only). Default 1."),
  noise: z.union([z.literal("zeros"), q(seed, "integer")]).optional().openapi({ type: "string", description: codeFields.noise.description }),
  version: version.optional(),
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
  resampleSeed: q(seed, "integer", "Seed of the new code (replace) or the direction (perturb)."),
  mode: editFields.mode,
  alpha: q(editFields.alpha, "decimal", "Perturbation strength α (perturb only). Default 1."),
  composite: boolQuery.openapi({ description: "Copy pixels outside the feathered mask from the base. Default true." }),
};
export const GenerateQuery = z.object(codeQuery);
export const ResampleQuery = z.object({ ...codeQuery, ...editQuery });
export const InterpolateQuery = z.object({ ...codeQuery, ...editQuery, frames: q(framesField.frames, "integer", `Frames 2–16. Default 5. ${WORK_DOC}`) });

/** The base code of an image, before the model maps it. */
export type Code = { kind: "seed"; seed: number } | { kind: "z"; z: Float32Array } | { kind: "w"; w: Float32Array };

export interface RenderRequest {
  code: Code;
  truncation: number;
  noise: number | "zeros";
  version?: string;
  scale: number;
  edit?: {
    regions: string[];
    mask?: string;
    resampleSeed: number;
    mode: "replace" | "perturb";
    alpha: number;
    composite: boolean;
  };
  frames?: number;
}

type BodyIn = z.infer<typeof InterpolateBody>;
type QueryIn = z.infer<typeof InterpolateQuery>;

/** A POST body, normalized. */
export function fromBody(b: Partial<BodyIn>, withEdit: boolean): RenderRequest {
  const code = pickCode(b.seed, b.z ? Float32Array.from(b.z) : undefined, b.w ? Float32Array.from(b.w) : undefined);
  return finish(code, b, withEdit ? { regions: b.regions ?? [], mask: b.mask, resampleSeed: b.resampleSeed, mode: b.mode, alpha: b.alpha, composite: b.composite } : undefined);
}

/** A GET query, normalized. */
export function fromQuery(qy: Partial<QueryIn>, withEdit: boolean): RenderRequest {
  const code = pickCode(qy.seed, decodeLatent(qy.z, "z"), decodeLatent(qy.w, "w"));
  const composite = qy.composite === undefined ? undefined : qy.composite === "true" || qy.composite === "1";
  return finish(code, qy, withEdit ? { regions: qy.regions ?? [], mask: qy.mask, resampleSeed: qy.resampleSeed, mode: qy.mode, alpha: qy.alpha, composite } : undefined);
}

function pickCode(seedV: number | undefined, zV: Float32Array | undefined, wV: Float32Array | undefined): Code {
  const given = [seedV !== undefined && "seed", zV && "z", wV && "w"].filter(Boolean);
  if (given.length !== 1) {
    throw new ApiError(400, "invalid_request", given.length ? `give only one of seed, z, w (got ${given.join(", ")})` : "give one of seed, z or w", "seed");
  }
  if (seedV !== undefined) return { kind: "seed", seed: seedV };
  return zV ? { kind: "z", z: zV } : { kind: "w", w: wV! };
}

function finish(
  code: Code,
  p: { truncation?: number; noise?: number | "zeros"; version?: string; scale?: number; frames?: number },
  edit?: { regions: string[]; mask?: string; resampleSeed?: number; mode?: "replace" | "perturb"; alpha?: number; composite?: boolean },
): RenderRequest {
  if (code.kind === "w" && p.truncation !== undefined) {
    throw new ApiError(400, "invalid_request", "truncation applies to seed or z; w is used as given", "truncation");
  }
  const out: RenderRequest = {
    code,
    truncation: p.truncation ?? 1,
    noise: p.noise ?? (code.kind === "seed" ? code.seed : "zeros"),
    version: p.version,
    scale: p.scale ?? 1,
  };
  if (edit) {
    if (edit.resampleSeed === undefined) throw new ApiError(400, "invalid_request", "resampleSeed: required", "resampleSeed");
    const mode = edit.mode ?? "replace";
    if (mode === "replace" && edit.alpha !== undefined) throw new ApiError(400, "invalid_request", "alpha applies to mode=perturb only", "alpha");
    const seen = new Set<string>();
    for (const r of edit.regions) {
      if (seen.has(r)) throw new ApiError(400, "invalid_request", `region "${r}" is named twice`, "regions");
      seen.add(r);
    }
    if (edit.regions.length === 0 && !edit.mask) throw new ApiError(400, "invalid_request", "name at least one region or a mask", "regions");
    out.edit = { regions: [...seen].sort(), mask: edit.mask, resampleSeed: edit.resampleSeed, mode, alpha: mode === "perturb" ? (edit.alpha ?? 1) : 1, composite: edit.composite ?? true };
    out.frames = p.frames ?? 5;
  }
  return out;
}

/** base64url (or base64) little-endian float32 → values, checked finite and bounded. */
export function decodeLatent(s: string | undefined, field: "z" | "w"): Float32Array | undefined {
  if (s === undefined || s === "") return undefined;
  let values: Float32Array;
  try {
    values = latentFromParam(s);
  } catch (e) {
    throw new ApiError(400, "invalid_request", `${field}: not base64url float32 values (${(e as Error).message})`, field);
  }
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v) || Math.abs(v) > MAX_LATENT_ABS) throw new ApiError(400, "invalid_request", `${field}[${i}]: ${v} is not a finite number within ±${MAX_LATENT_ABS}`, field);
  }
  return values;
}

/** The inverse of decodeLatent, for clients and tests. */
export { latentToParam as encodeLatent } from "../../shared/latent-param.ts";
