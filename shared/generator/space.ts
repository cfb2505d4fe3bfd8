/**
 * The generator's two code spaces. "w": one w per image (wDim values), the W in which LinkGAN
 * links axes to regions and the only code the API's `w=` and the client take. "w+": one w per
 * synthesis layer (numWs · wDim values, row-major [numWs, wDim], layer-major: layer 0's wDim
 * values, then layer 1's, …), which `Generator.render` also renders and the inversion projector can
 * optimize (`ProjectOptions.space`), so that its effect on reconstruction and on editability can be
 * measured. A W code is the W+ code whose layers are all equal to it (`tileW`), and both render
 * the same image.
 */
import { type GeneratorConfig, numWs } from "./config.ts";

export const LATENT_SPACES = ["w", "w+"] as const;
export type LatentSpace = (typeof LATENT_SPACES)[number];

/** Values in one code of `space`: wDim for W, numWs · wDim for W+. */
export function codeLength(cfg: GeneratorConfig, space: LatentSpace): number {
  return space === "w+" ? numWs(cfg) * cfg.wDim : cfg.wDim;
}

/**
 * Which space `code` is in, from its length; throws naming both lengths when it is neither.
 *
 * @example
 * spaceOfCode(g.config, p.w); // "w+" for a code of numWs · wDim values
 */
export function spaceOfCode(cfg: GeneratorConfig, code: Float32Array, what = "code"): LatentSpace {
  if (code.length === cfg.wDim) return "w";
  if (code.length === codeLength(cfg, "w+")) return "w+";
  throw new RangeError(`${what} has ${code.length} values; a W code has ${cfg.wDim}, a W+ code ${numWs(cfg)} × ${cfg.wDim} = ${codeLength(cfg, "w+")}`);
}

/**
 * The W+ code of a W code: `w` repeated for each of `layers` layers ([layers, w.length], layer-major).
 *
 * @example
 * const wPlus = tileW(w, numWs(g.config)); // renders as w does
 */
export function tileW(w: Float32Array, layers: number): Float32Array {
  if (!Number.isInteger(layers) || layers < 1) throw new RangeError(`tileW: layers must be an integer ≥ 1, got ${layers}`);
  const out = new Float32Array(layers * w.length);
  for (let l = 0; l < layers; l++) out.set(w, l * w.length);
  return out;
}
