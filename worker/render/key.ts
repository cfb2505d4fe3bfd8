import { latentFromSeed } from "../../shared/random/prng.ts";
import type { Code } from "../../shared/render/request.ts";
import { sha256Hex } from "../../shared/weights/content-id.ts";
import type { RenderRequest } from "./params.ts";

/**
 * Cache keys, built from the request alone: the model is never loaded and the mapping never run
 * to build one, so a hit costs a key lookup (see cache/tiers.ts), not a generator.
 *
 * The price is one key per spelling of the base code, not per image: a seed keys as its z (the
 * shared PRNG's draw, no model needed), so a seed and its z written out share one entry, but a w
 * is keyed as itself, and a w equal to what a seed maps to misses once and renders the same bytes
 * under its own key. Keying by w would make every hit map the code first (what it did before).
 */

/** First 32 hex digits of the SHA-256 of a latent's float32 bytes. */
const latentHash = async (v: Float32Array) => (await sha256Hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))).slice(0, 32);

/**
 * The key part naming a base code: `z=<hash of z>/t=<ψ>/n=<noise>` for a seed (as its z, which
 * needs only the model's `zDim`) or a z, `w=<hash of w>/n=<noise>` for a w (truncation does not
 * apply to it).
 *
 * @example
 * await codeKey({ kind: "seed", seed: 7 }, 0.7, 7, 512); // "z=3f2a…/t=0.7/n=7", as z = latentFromSeed(7, 512) with noise 7
 */
export async function codeKey(code: Code, truncation: number, noise: number | "zeros", zDim: number): Promise<string> {
  if (code.kind === "w") return `w=${await latentHash(code.w)}/n=${noise}`;
  const z = code.kind === "seed" ? latentFromSeed(code.seed, zDim) : code.z;
  return `z=${await latentHash(z)}/t=${truncation}/n=${noise}`;
}

/**
 * The canonical cache key of a rendered result: model, version, the base code (`codeKey`), then
 * the edit's parameters in a fixed order (regions sorted, the mask by content id) and the
 * output's. Spellings of one request (a seed or its z written out, regions in any order, the same
 * mask uploaded twice, GET or POST) build the same key; anything that changes a pixel changes it.
 *
 * @example
 * await renderKey("faces64", "v0123456789abcdef", 512, req, "resample")
 * // "/faces64/v0123456789abcdef/z=…/t=1/n=7/resample/r=left-eye,mouth/m=-/replace/rs=3/t=1/c=1/x1"
 */
export async function renderKey(model: string, version: string, zDim: number, req: RenderRequest, kind: "generate" | "resample" | "interpolate"): Promise<string> {
  const parts = [``, model, version, await codeKey(req.code, req.truncation, req.noise, zDim), kind];
  const e = req.edit;
  if (kind !== "generate" && e) {
    parts.push(`r=${e.regions.join(",")}`, `m=${e.mask ?? "-"}`, e.mode, `rs=${e.resampleSeed}`);
    parts.push(e.mode === "replace" ? `t=${req.truncation}` : `a=${e.alpha}`, `c=${e.composite ? 1 : 0}`);
    if (kind === "interpolate") parts.push(`f=${req.frames}`);
  }
  parts.push(`x${req.scale}`);
  return parts.join("/");
}

/**
 * The cache key of a semantic region's mask in one image: the base code (`codeKey`), the
 * segmenter class and the scale.
 *
 * @example
 * await semanticMaskKey("faces64", "v0123456789abcdef", 512, req, "hair", 4)
 * // "/faces64/v0123456789abcdef/z=…/t=1/n=7/mask/class=hair/x4"
 */
export async function semanticMaskKey(model: string, version: string, zDim: number, req: RenderRequest, className: string, scale: number): Promise<string> {
  return ["", model, version, await codeKey(req.code, req.truncation, req.noise, zDim), "mask", `class=${className}`, `x${scale}`].join("/");
}
