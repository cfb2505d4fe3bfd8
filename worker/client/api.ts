/**
 * What crosses the boundary between the browser client and the edge API, validated with zod: the
 * JSON the API answers, and the parameters callers pass (the HTTP API's names and bounds).
 */
import { z } from "zod";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { describeZodError } from "../../shared/validation.ts";
import { ModelVersion } from "../../shared/weights/manifest.ts";

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
});
export type RegionInfo = z.infer<typeof RegionInfo>;

export const ModelSummary = z.object({
  name: z.string(),
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
});
export type ModelSummary = z.infer<typeof ModelSummary>;

export const ModelList = z.object({ models: z.array(ModelSummary) });
export const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });
export const LatentBody = z.object({ model: z.string(), version: z.string(), w: z.string(), noise: z.union([z.number().int(), z.literal("zeros")]) });
export const MaskInfo = z.object({ id: z.string().regex(/^m[0-9a-f]{24}$/), resolution: z.number().int(), area: z.number().int(), url: z.string() });

// ---- request parameters: the HTTP API's names and bounds (worker/render/params.ts) ----

/** Largest |value| accepted in an explicit latent (as the API). */
export const MAX_LATENT_ABS = 1e4;
const seed = z.number().int().min(0).max(MAX_SEED);
const latent = z
  .union([z.custom<Float32Array>((v) => v instanceof Float32Array, "must be a Float32Array or an array of numbers"), z.array(z.number())])
  .transform((v): Float32Array => Float32Array.from(v))
  .refine((v) => v.length >= 1 && v.length <= 4096 && v.every((x) => Number.isFinite(x) && Math.abs(x) <= MAX_LATENT_ABS), {
    message: `must hold 1–4096 finite values within ±${MAX_LATENT_ABS}`,
  });
/** A binary mask at the model's resolution: `size`×`size` bytes, 1 inside (e.g. painted with the widget's brush). */
export const MaskInput = z.object({ size: z.number().int().min(1).max(4096), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, "must be a Uint8Array") }).refine((m) => m.data.length === m.size * m.size, {
  message: "data must hold size × size bytes",
  path: ["data"],
});

const codeShape = {
  seed: seed.optional(),
  z: latent.optional(),
  w: latent.optional(),
  truncation: z.number().min(0).max(2).optional(),
  noise: z.union([seed, z.literal("zeros")]).optional(),
};
const editShape = {
  regions: z.array(z.string().min(1).max(32)).max(16).optional(),
  mask: z.union([z.string().regex(/^m[0-9a-f]{24}$/, "must be a mask id from POST /v1/models/{model}/masks"), MaskInput]).optional(),
  resampleSeed: seed,
  mode: z.enum(["replace", "perturb"]).optional(),
  alpha: z.number().gt(0).max(10).optional(),
  composite: z.boolean().optional(),
};
export const GenerateParams = z.object(codeShape).strict();
export const ResampleParams = z.object({ ...codeShape, ...editShape }).strict();
export const InterpolateParams = z.object({ ...codeShape, ...editShape, frames: z.number().int().min(2).max(16).optional() }).strict();
export type GenerateParams = z.input<typeof GenerateParams>;
export type ResampleParams = z.input<typeof ResampleParams>;
export type InterpolateParams = z.input<typeof InterpolateParams>;
export type MaskInput = z.infer<typeof MaskInput>;

/** A request normalized the way the API normalizes it (defaults filled, one code). */
export interface NormalizedRequest {
  code: { kind: "seed"; seed: number } | { kind: "z"; z: Float32Array } | { kind: "w"; w: Float32Array };
  truncation: number;
  noise: number | "zeros";
  edit?: { regions: string[]; mask?: string | { size: number; data: Uint8Array }; resampleSeed: number; mode: "replace" | "perturb"; alpha: number; composite: boolean };
  frames: number;
}

/** The API's rules (params.ts `finish`): exactly one code; truncation not with w; defaults. */
export function normalize(p: Partial<z.output<typeof InterpolateParams>>, withEdit: boolean): NormalizedRequest {
  const given = (["seed", "z", "w"] as const).filter((k) => p[k] !== undefined);
  if (given.length !== 1) throw new LinkGanError("invalid_request", given.length ? `give only one of seed, z, w (got ${given.join(", ")})` : "give one of seed, z or w", "seed");
  const code: NormalizedRequest["code"] = p.seed !== undefined ? { kind: "seed", seed: p.seed } : p.z ? { kind: "z", z: p.z } : { kind: "w", w: p.w! };
  if (code.kind === "w" && p.truncation !== undefined) throw new LinkGanError("invalid_request", "truncation applies to seed or z; w is used as given", "truncation");
  const out: NormalizedRequest = { code, truncation: p.truncation ?? 1, noise: p.noise ?? (code.kind === "seed" ? code.seed : "zeros"), frames: p.frames ?? 5 };
  if (withEdit) {
    const mode = p.mode ?? "replace";
    if (mode === "replace" && p.alpha !== undefined) throw new LinkGanError("invalid_request", "alpha applies to mode=perturb only", "alpha");
    const regions = p.regions ?? [];
    if (new Set(regions).size !== regions.length) throw new LinkGanError("invalid_request", "a region is named twice", "regions");
    if (regions.length === 0 && !p.mask) throw new LinkGanError("invalid_request", "name at least one region or a mask", "regions");
    out.edit = { regions: [...regions].sort(), mask: p.mask, resampleSeed: p.resampleSeed!, mode, alpha: mode === "perturb" ? (p.alpha ?? 1) : 1, composite: p.composite ?? true };
  }
  return out;
}

export { latentFromParam, latentToParam } from "../../shared/latent-param.ts";

/** COCO-style uncompressed run-length of a binary mask (the API's JSON mask upload). */
export function maskToRle(m: { size: number; data: Uint8Array }): { width: number; height: number; counts: number[] } {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (const v of m.data) {
    const bit = v ? 1 : 0;
    if (bit === current) run++;
    else {
      counts.push(run);
      current = bit;
      run = 1;
    }
  }
  counts.push(run);
  return { width: m.size, height: m.size, counts };
}
