import { toRgba8 } from "../../shared/generator/generator.ts";
import { encodePng } from "../../shared/png/png.ts";
import { type BinaryMask, maskArea, rasterizeMask } from "../../shared/regions/mask.ts";
import type { Region } from "../../shared/regions/schema.ts";
import { resampleRegions } from "../../shared/editing/resample.ts";
import { interpolate } from "../../shared/editing/edit.ts";
import { sha256Hex } from "../../shared/weights/content-id.ts";
import type { Rendered } from "../cache/tiers.ts";
import { ApiError } from "../http/errors.ts";
import type { LiveModel } from "../models/registry.ts";
import { baseRgba, semanticMask } from "./base.ts";
import { COVER_FRACTION, editFrames, featherFor, featherWeights, regionsCoveredBy, unionMasks } from "./composite.ts";
import type { RenderRequest } from "./params.ts";

/**
 * Rendering for the HTTP API, on the shared generator: the base code becomes w, an edit resamples
 * the axes of the chosen regions, and the edit is shown over the base render (which is reused
 * from memory when this isolate rendered it before).
 */

/** A base code resolved: its w, its noise, and the canonical key part naming them. */
export interface ResolvedBase {
  w: Float32Array;
  noise: number | "zeros";
  /** `w=<hash of w's float32 bytes>/n=<noise>`: a seed and the same latent written out agree here. */
  key: string;
}

export async function resolveBase(m: LiveModel, req: RenderRequest): Promise<ResolvedBase> {
  const { zDim, wDim } = m.manifest.generator;
  const g = m.generator;
  let w: Float32Array;
  switch (req.code.kind) {
    case "seed":
      [w] = (await g.mapSeeds([req.code.seed], req.truncation)) as [Float32Array];
      break;
    case "z":
      if (req.code.z.length !== zDim) throw new ApiError(400, "invalid_request", `z: expected ${zDim} values for model "${m.name}", got ${req.code.z.length}`, "z");
      [w] = (await g.mapLatents([req.code.z], req.truncation)) as [Float32Array];
      break;
    case "w":
      if (req.code.w.length !== wDim) throw new ApiError(400, "invalid_request", `w: expected ${wDim} values for model "${m.name}", got ${req.code.w.length}`, "w");
      w = req.code.w;
      break;
  }
  const hash = (await sha256Hex(new Uint8Array(w.buffer, w.byteOffset, w.byteLength))).slice(0, 32);
  return { w, noise: req.noise, key: `w=${hash}/n=${req.noise}` };
}

/** What an edit touches: the regions whose axes are resampled and the pixels shown from the edit. */
export interface EditTarget {
  regions: Region[];
  mask: BinaryMask;
}

/** A region is covered by an uploaded mask when a quarter of it, or a quarter of the mask, overlaps. */
export { COVER_FRACTION };

/** The model's regions of these names, or a 404 naming the first unknown one and the regions there are. */
export function checkRegionNames(m: LiveModel, names: readonly string[]): Region[] {
  const byName = new Map(m.manifest.regions.map((r) => [r.name, r]));
  return names.map((n) => {
    const r = byName.get(n);
    if (!r) throw new ApiError(404, "unknown_region", `model "${m.name}" has no region "${n}" (it has: ${[...byName.keys()].join(", ")})`, "regions");
    return r;
  });
}

/**
 * The regions an edit resamples and the pixels it shows: the named regions and those an uploaded
 * mask covers, with the union of their masks (and the uploaded one). A semantic region's mask is
 * that of the base image (the segmenter's, `semanticMask`), both for showing the edit and for
 * deciding whether an uploaded mask covers it.
 *
 * @example
 * const { regions, mask } = await editTarget(m, base, ["hair", "mouth"], undefined);
 */
export async function editTarget(m: LiveModel, base: ResolvedBase, names: string[], uploaded: BinaryMask | undefined): Promise<EditTarget> {
  const res = m.manifest.generator.resolution;
  const chosen = checkRegionNames(m, names);
  const maskOf = (r: Region) => (r.mask.kind === "semantic" ? semanticMask(m, base, r) : Promise.resolve(rasterizeMask(r.mask, res)));
  const masks = await Promise.all(chosen.map(maskOf));
  if (uploaded) {
    if (maskArea(uploaded) === 0) throw new ApiError(422, "empty_mask", "mask: no pixel is inside", "mask");
    const candidates = await Promise.all(m.manifest.regions.map(async (region) => ({ region, mask: await maskOf(region) })));
    const covered = regionsCoveredBy(candidates, uploaded).map((c) => c.region);
    if (covered.length === 0) throw new ApiError(422, "mask_covers_no_region", `mask: covers no linked region (each needs ${COVER_FRACTION * 100}% overlap); regions: ${m.manifest.regions.map((r) => r.name).join(", ")}`, "mask");
    for (const r of covered) if (!chosen.includes(r)) chosen.push(r);
    masks.push(uploaded);
  }
  return { regions: chosen, mask: unionMasks(res, masks) };
}

async function renderRgba(m: LiveModel, w: Float32Array, noise: number | "zeros"): Promise<Uint8Array> {
  const [img] = await m.generator.render([w], noise === "zeros" ? "zeros" : [noise]);
  return toRgba8(img!);
}

export async function generatePng(m: LiveModel, base: ResolvedBase, scale: number): Promise<Rendered> {
  const res = m.manifest.generator.resolution;
  return png(upscale(await baseRgba(m, base), res, scale), res * scale);
}

/** The edited image (frames = 1) or the frames from base to edit side by side (a horizontal strip). */
export async function editPng(m: LiveModel, base: ResolvedBase, req: RenderRequest, target: EditTarget, frames = 1): Promise<Rendered> {
  const e = req.edit!;
  const res = m.manifest.generator.resolution;
  const edited = await resampleRegions(m.generator, base.w, target.regions, {
    seed: e.resampleSeed,
    mode: e.mode,
    alpha: e.alpha,
    truncation: req.truncation,
  });
  const baseImg = await baseRgba(m, base);
  const alpha = e.composite ? featherWeights(target.mask, featherFor(res)) : undefined;
  const codes = frames === 1 ? [edited] : interpolate(base.w, edited, frames);
  const images = await editFrames(codes, base.w, baseImg, (code) => renderRgba(m, code, base.noise), alpha);
  const strip = sideBySide(images, res);
  return png(upscale(strip, res * images.length, req.scale), res * images.length * req.scale);
}

function png(rgba: Uint8Array, width: number): Rendered {
  return { body: encodePng(rgba, width, rgba.length / 4 / width, 4), type: "image/png" };
}

/** Images of `res`×`res` placed left to right. */
function sideBySide(images: Uint8Array[], res: number): Uint8Array {
  if (images.length === 1) return images[0]!;
  const width = res * images.length;
  const out = new Uint8Array(width * res * 4);
  images.forEach((img, k) => {
    for (let y = 0; y < res; y++) out.set(img.subarray(y * res * 4, (y + 1) * res * 4), (y * width + k * res) * 4);
  });
  return out;
}

/** Nearest-neighbour upscaling of an RGBA8 image `width` wide by an integer factor. */
export function upscale(rgba: Uint8Array, width: number, factor: number): Uint8Array {
  if (factor === 1) return rgba;
  const height = rgba.length / 4 / width;
  const W = width * factor;
  const out = new Uint8Array(W * height * factor * 4);
  for (let y = 0; y < height * factor; y++) {
    for (let x = 0; x < W; x++) {
      const s = ((((y / factor) | 0) * width + ((x / factor) | 0)) * 4) | 0;
      out.set(rgba.subarray(s, s + 4), (y * W + x) * 4);
    }
  }
  return out;
}
