/**
 * An edit, from request to pixels: which regions it resamples and which pixels it shows
 * (`editTarget`), and its frames composited over the base render (`renderEdit`). The worker and the
 * browser client (local mode) call these; the client's remote mode calls `editTarget` with the
 * masks the API serves, so both modes select the same regions.
 */
import { interpolate } from "../editing/edit.ts";
import { resampleRegions } from "../editing/resample.ts";
import { toRgba8 } from "../generator/generator.ts";
import { type BinaryMask, maskArea } from "../regions/mask.ts";
import type { Region } from "../regions/schema.ts";
import { type BaseRenders, type RenderModel, type ResolvedBase, baseKey } from "./base.ts";
import { COVER_FRACTION, editFrames, featherFor, featherWeights, regionsCoveredBy, unionMasks } from "./composite.ts";
import { RenderError } from "./error.ts";
import type { RenderRequest } from "./request.ts";

/**
 * The regions of these names, in the order named, or a RenderError `unknown_region` naming the
 * first unknown one and the regions there are.
 *
 * @example
 * regionsNamed("faces64", manifest.regions, ["mouth"]); // [{ name: "mouth", axes: …, mask: … }]
 */
export function regionsNamed<R extends { name: string }>(model: string, regions: readonly R[], names: readonly string[]): R[] {
  const byName = new Map(regions.map((r) => [r.name, r]));
  return names.map((n) => {
    const r = byName.get(n);
    if (!r) throw new RenderError("unknown_region", `model "${model}" has no region "${n}" (it has: ${[...byName.keys()].join(", ")})`, "regions");
    return r;
  });
}

/** What an edit touches: the regions whose axes are resampled and the pixels shown from the edit. */
export interface EditTarget<R> {
  regions: R[];
  mask: BinaryMask;
}

/**
 * The regions an edit resamples and the pixels it shows: the named regions and those an uploaded
 * mask covers (`regionsCoveredBy`), with the union of their masks and the uploaded one. `maskOf`
 * gives a region's mask in the image being edited (`localMasks` where the model is loaded; the
 * API's mask PNGs in the client's remote mode); a semantic region's mask is that image's.
 *
 * @example
 * const { regions, mask } = await editTarget({ name: "faces64", resolution: 64, regions: manifest.regions },
 *   ["mouth"], undefined, localMasks(model, renders, base));
 */
export async function editTarget<R extends { name: string }>(
  model: { name: string; resolution: number; regions: readonly R[] },
  names: readonly string[],
  uploaded: BinaryMask | undefined,
  maskOf: (r: R) => Promise<BinaryMask>,
): Promise<EditTarget<R>> {
  const res = model.resolution;
  const chosen = regionsNamed(model.name, model.regions, names);
  const masks = await Promise.all(chosen.map(maskOf));
  if (uploaded) {
    if (uploaded.size !== res) throw new RenderError("invalid_request", `mask: must be ${res}×${res} (the model's resolution), got ${uploaded.size}×${uploaded.size}`, "mask");
    if (maskArea(uploaded) === 0) throw new RenderError("empty_mask", "mask: no pixel is inside", "mask");
    const candidates = await Promise.all(model.regions.map(async (region) => ({ region, mask: await maskOf(region) })));
    const covered = regionsCoveredBy(candidates, uploaded).map((c) => c.region);
    if (covered.length === 0) {
      throw new RenderError("mask_covers_no_region", `mask: covers no linked region (each needs ${COVER_FRACTION * 100}% overlap); regions: ${model.regions.map((r) => r.name).join(", ")}`, "mask");
    }
    for (const r of covered) if (!chosen.includes(r)) chosen.push(r);
    masks.push(uploaded);
  }
  return { regions: chosen, mask: unionMasks(res, masks) };
}

/** An edit's frames: the codes rendered and their RGBA8 images at the model's resolution. */
export interface EditFrames {
  codes: Float32Array[];
  images: Uint8Array[];
}

/**
 * The edited image (frames = 1), or `frames` images from the base to the edit: the regions' axes
 * resampled (`resampleRegions`), each frame rendered with the base's noise and composited over the
 * base render with the feathered mask (raw with composite=false). The edited code's render is kept
 * in `renders` as a base render, so an edit chained on it starts from memory.
 *
 * @example
 * const base = await resolveBase(model, req);
 * const target = await editTarget(spec, req.edit.regions, undefined, localMasks(model, renders, base));
 * const { images } = await renderEdit(model, renders, base, req, target, 1);
 */
export async function renderEdit(m: RenderModel, renders: BaseRenders, base: ResolvedBase, req: RenderRequest<unknown>, target: EditTarget<Region>, frames: number): Promise<EditFrames> {
  const e = req.edit;
  if (!e) throw new Error("renderEdit needs a request with an edit");
  const res = m.manifest.generator.resolution;
  const edited = await resampleRegions(m.generator, base.w, target.regions, { seed: e.resampleSeed, mode: e.mode, alpha: e.alpha, truncation: req.truncation });
  const baseImg = (await renders.get(m, base)).rgba;
  const alpha = e.composite ? featherWeights(target.mask, featherFor(res)) : undefined;
  const codes = frames === 1 ? [edited] : interpolate(base.w, edited, frames);
  // lerp(w, edited, 0) is w exactly: the first frame is the base render, not rendered again.
  if (frames > 1) codes[0] = base.w;
  const last = codes[codes.length - 1];
  const render = async (code: Float32Array) => {
    if (code === last) return (await renders.get(m, { w: code, noise: base.noise, key: await baseKey(code, base.noise) })).rgba;
    const [img] = await m.generator.render([code], base.noise === "zeros" ? "zeros" : [base.noise]);
    return toRgba8(img!);
  };
  return { codes, images: await editFrames(codes, base.w, baseImg, render, alpha) };
}
