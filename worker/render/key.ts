import type { RenderRequest } from "./params.ts";
import type { ResolvedBase } from "../../shared/render/base.ts";

/**
 * The canonical cache key of a rendered result: model, version, the base code as the hash of its w
 * plus its noise, then the edit's parameters in a fixed order (regions sorted, the mask by content
 * id) and the output's. Every spelling of the same request (a seed or its latent written out,
 * regions in any order, the same mask uploaded twice, GET or POST) builds the same key; anything
 * that changes a pixel changes it.
 *
 * @example
 * renderKey("faces64", "v0123456789abcdef", base, req, "resample")
 * // "/faces64/v0123456789abcdef/w=…/n=7/resample/r=left-eye,mouth/m=-/replace/rs=3/t=0.7/c=1/x1"
 */
export function renderKey(model: string, version: string, base: ResolvedBase, req: RenderRequest, kind: "generate" | "resample" | "interpolate"): string {
  const parts = [``, model, version, base.key, kind];
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
 * The cache key of a semantic region's mask in one image: the base code's key part (w hash and
 * noise), the segmenter class and the scale. Every spelling of the same image shares it.
 *
 * @example
 * semanticMaskKey("faces64-hair", "v0123456789abcdef", base, "hair", 4)
 * // "/faces64-hair/v0123456789abcdef/w=…/n=7/mask/class=hair/x4"
 */
export function semanticMaskKey(model: string, version: string, base: ResolvedBase, className: string, scale: number): string {
  return ["", model, version, base.key, "mask", `class=${className}`, `x${scale}`].join("/");
}
