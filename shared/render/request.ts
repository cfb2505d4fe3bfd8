/**
 * A render request, as both the edge API and the browser client take it: the field schemas (the
 * same names and bounds everywhere), and `normalizeRequest`, which applies the rules across fields
 * (one base code, truncation not with w, alpha only when perturbing, defaults) and gives the one
 * normalized form that the pipeline renders and the worker builds its cache key from.
 *
 * The schemas are plain zod: the worker adds its OpenAPI descriptions on top (worker/render/params.ts).
 */
import { z } from "zod";
import { MAX_SEED } from "../random/prng.ts";
import { latentFromParam } from "../latent-param.ts";
import { RegionName } from "../regions/schema.ts";
import { RenderError } from "./error.ts";

/** Largest |value| accepted in an explicit latent (z or w). */
export const MAX_LATENT_ABS = 1e4;
/** Most values an explicit latent may hold. */
export const MAX_LATENT_LENGTH = 4096;

export const Seed = z.number().int().min(0).max(MAX_SEED);
export const Truncation = z.number().min(0).max(2);
export const Noise = z.union([Seed, z.literal("zeros")]);
export const Scale = z.number().int().min(1).max(8);
/** An explicit latent as numbers, each finite and within ±MAX_LATENT_ABS (JSON has no NaN; bounds refuse ±1e308). */
export const LatentValues = z.array(z.number().min(-MAX_LATENT_ABS).max(MAX_LATENT_ABS)).min(1).max(MAX_LATENT_LENGTH);
export const RegionNames = z.array(RegionName).max(16);
export const Mode = z.enum(["replace", "perturb"]);
export const Alpha = z.number().gt(0).max(10);
export const Frames = z.number().int().min(2).max(16);

/**
 * The work one request may cause, in pixels. Output: frames × (resolution × scale)², what is
 * upscaled and PNG-encoded; the limit is one 8× image of a 64 px model (512²), which a 16-frame
 * strip at 8× exceeded 16 times (18 s of CPU and 136 MB in the attack run). Rendered:
 * frames × resolution², what the generator runs; the limit is 16 frames of a 64 px model, so a
 * larger model gets proportionally fewer frames. Renders, not scale, dominate the cost.
 */
export const WORK_LIMITS = { outputPixels: 512 * 512, renderedPixels: 16 * 64 * 64 } as const;

/**
 * Refuse a request whose work (`WORK_LIMITS`) is over the limit, naming the limit and what to lower.
 *
 * @example
 * checkWork(64, 8, 1);  // fine: 512² output pixels
 * checkWork(64, 8, 2);  // throws RenderError over_work_limit, field "scale"
 */
export function checkWork(resolution: number, scale: number, frames: number): void {
  const output = frames * (resolution * scale) ** 2;
  if (output > WORK_LIMITS.outputPixels) {
    const field = scale > 1 ? "scale" : "frames";
    throw new RenderError("over_work_limit", `frames × (resolution × scale)² = ${frames} × (${resolution} × ${scale})² = ${output} output pixels is over the limit of ${WORK_LIMITS.outputPixels}; lower ${field}`, field);
  }
  const rendered = frames * resolution ** 2;
  if (rendered > WORK_LIMITS.renderedPixels) {
    throw new RenderError("over_work_limit", `frames × resolution² = ${frames} × ${resolution}² = ${rendered} rendered pixels is over the limit of ${WORK_LIMITS.renderedPixels}; lower frames`, "frames");
  }
}

/** The base code of an image, before the model maps it. */
export type Code = { kind: "seed"; seed: number } | { kind: "z"; z: Float32Array } | { kind: "w"; w: Float32Array };

/** An edit's parameters, normalized. `M` is how a mask is named: an uploaded mask's id, or (in the browser) also a painted mask. */
export interface EditRequest<M = string> {
  /** Region names, sorted (one spelling per request). */
  regions: string[];
  mask?: M;
  resampleSeed: number;
  mode: "replace" | "perturb";
  /** 1 unless mode is perturb. */
  alpha: number;
  composite: boolean;
}

/** A request, normalized: one code, every default filled in. */
export interface RenderRequest<M = string> {
  code: Code;
  truncation: number;
  noise: number | "zeros";
  version?: string;
  scale: number;
  edit?: EditRequest<M>;
  /** Frames of an interpolation (default 5); 1 without an edit. */
  frames: number;
}

/** The fields of a request after their schemas, latents as Float32Array (the spelling is each side's). */
export interface RenderParams<M = string> {
  seed?: number;
  z?: Float32Array;
  w?: Float32Array;
  truncation?: number;
  noise?: number | "zeros";
  version?: string;
  scale?: number;
  regions?: readonly string[];
  mask?: M;
  resampleSeed?: number;
  mode?: "replace" | "perturb";
  alpha?: number;
  composite?: boolean;
  frames?: number;
}

/**
 * The rules across fields, and the defaults: exactly one of seed, z, w; truncation applies to seed
 * or z; noise defaults to the seed (zeros for an explicit latent); with an edit, resampleSeed is
 * required, alpha only with mode=perturb, no region twice, at least one region or a mask.
 * Throws a RenderError naming the field.
 *
 * @example
 * normalizeRequest({ seed: 7, regions: ["mouth", "left-eye"], resampleSeed: 3 }, true);
 * // { code: { kind: "seed", seed: 7 }, truncation: 1, noise: 7, scale: 1, frames: 5,
 * //   edit: { regions: ["left-eye", "mouth"], resampleSeed: 3, mode: "replace", alpha: 1, composite: true } }
 */
export function normalizeRequest<M>(p: RenderParams<M>, withEdit: boolean): RenderRequest<M> {
  const given = (["seed", "z", "w"] as const).filter((k) => p[k] !== undefined);
  if (given.length !== 1) throw new RenderError("invalid_request", given.length ? `give only one of seed, z, w (got ${given.join(", ")})` : "give one of seed, z or w", "seed");
  const code: Code = p.seed !== undefined ? { kind: "seed", seed: p.seed } : p.z ? { kind: "z", z: p.z } : { kind: "w", w: p.w! };
  if (code.kind === "w" && p.truncation !== undefined) throw new RenderError("invalid_request", "truncation applies to seed or z; w is used as given", "truncation");
  const out: RenderRequest<M> = {
    code,
    truncation: p.truncation ?? 1,
    noise: p.noise ?? (code.kind === "seed" ? code.seed : "zeros"),
    version: p.version,
    scale: p.scale ?? 1,
    frames: 1,
  };
  if (!withEdit) return out;
  if (p.resampleSeed === undefined) throw new RenderError("invalid_request", "resampleSeed: required", "resampleSeed");
  const mode = p.mode ?? "replace";
  if (mode === "replace" && p.alpha !== undefined) throw new RenderError("invalid_request", "alpha applies to mode=perturb only", "alpha");
  const regions = p.regions ?? [];
  const seen = new Set<string>();
  for (const r of regions) {
    if (seen.has(r)) throw new RenderError("invalid_request", `region "${r}" is named twice`, "regions");
    seen.add(r);
  }
  if (regions.length === 0 && p.mask === undefined) throw new RenderError("invalid_request", "name at least one region or a mask", "regions");
  out.edit = { regions: [...seen].sort(), mask: p.mask, resampleSeed: p.resampleSeed, mode, alpha: mode === "perturb" ? (p.alpha ?? 1) : 1, composite: p.composite ?? true };
  out.frames = p.frames ?? 5;
  return out;
}

/**
 * A latent as a URL spells it (base64url of little-endian float32) → values, checked finite and
 * within ±MAX_LATENT_ABS. Empty or absent is undefined.
 *
 * @example
 * decodeLatent(latentToParam(latentFromSeed(7, 256)), "z"); // Float32Array(256)
 * decodeLatent("AAD_fw", "w"); // throws RenderError: w[0]: NaN is not a finite number …
 */
export function decodeLatent(s: string | undefined, field: "z" | "w"): Float32Array | undefined {
  if (s === undefined || s === "") return undefined;
  let values: Float32Array;
  try {
    values = latentFromParam(s);
  } catch (e) {
    throw new RenderError("invalid_request", `${field}: not base64url float32 values (${(e as Error).message})`, field);
  }
  checkLatent(values, field);
  return values;
}

/**
 * Refuse a latent that holds a non-finite value or one beyond ±MAX_LATENT_ABS, or too many values.
 *
 * @example
 * checkLatent(Float32Array.of(0.5, Number.NaN), "z"); // throws RenderError: z[1]: NaN is not …
 */
export function checkLatent(values: Float32Array, field: "z" | "w"): void {
  if (values.length > MAX_LATENT_LENGTH) throw new RenderError("invalid_request", `${field}: ${values.length} values is over the limit of ${MAX_LATENT_LENGTH}`, field);
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v) || Math.abs(v) > MAX_LATENT_ABS) throw new RenderError("invalid_request", `${field}[${i}]: ${v} is not a finite number within ±${MAX_LATENT_ABS}`, field);
  }
}
