import { encodePng } from "../../shared/png/png.ts";
import { BaseRenders, type ResolvedBase } from "../../shared/render/base.ts";
import { type EditTarget, renderEdit } from "../../shared/render/edit.ts";
import type { Region } from "../../shared/regions/schema.ts";
import type { Rendered } from "../cache/tiers.ts";
import type { LiveModel } from "../models/registry.ts";
import type { RenderRequest } from "./params.ts";

/**
 * The API's output on the shared pipeline (shared/render/): the pipeline gives RGBA8 frames, this
 * file upscales them, lays interpolation frames side by side and encodes the PNG.
 */

/** Bytes of base renders kept per isolate (at 64 px an entry is ~68 KB with its labels: 60 entries). */
export const BASE_RENDER_BYTES = 4 * 1024 * 1024;

/** This isolate's base renders: an edit reuses its base image's render, and a semantic mask its labels. */
export const baseRenders = new BaseRenders(BASE_RENDER_BYTES);

/**
 * The PNG of a base code, upscaled by `scale`.
 *
 * @example
 * const { body } = await generatePng(m, await resolveBase(m, req), 4); // a 256×256 PNG at 64 px
 */
export async function generatePng(m: LiveModel, base: ResolvedBase, scale: number): Promise<Rendered> {
  const res = m.manifest.generator.resolution;
  return png(upscale((await baseRenders.get(m, base)).rgba, res, scale), res * scale);
}

/**
 * The edited image (frames = 1) or the frames from base to edit side by side (a horizontal strip).
 *
 * @example
 * const strip = await editPng(m, base, req, await editTarget(spec, req.edit.regions, undefined, localMasks(m, baseRenders, base)), 5);
 */
export async function editPng(m: LiveModel, base: ResolvedBase, req: RenderRequest, target: EditTarget<Region>, frames = 1): Promise<Rendered> {
  const res = m.manifest.generator.resolution;
  const { images } = await renderEdit(m, baseRenders, base, req, target, frames);
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

/**
 * Nearest-neighbour upscaling of an RGBA8 image `width` wide by an integer factor.
 *
 * @example
 * upscale(rgba, 64, 4); // 256 × 256 × 4 bytes
 */
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
