import { type BinaryMask, maskArea } from "../regions/mask.ts";

/*
 * How an edit is shown over its base image, and which regions a mask selects: pure functions of
 * pixels, used by the pipeline (./edit.ts) and by the widget's preview of a painted mask.
 */

/**
 * Per-pixel blend weights for showing an edit over its base image: 1 inside the mask, falling
 * linearly to 0 over `feather` pixels outside it (Euclidean distance), and exactly 0 beyond. Pixels
 * with weight 0 are copied from the base, so everything outside the feathered mask is identical to
 * the base image whatever the model does there.
 *
 * @example
 * const alpha = featherWeights(rasterizeMask(region.mask, 64), 2);
 */
export function featherWeights(mask: BinaryMask, feather: number): Float32Array {
  const { size, data } = mask;
  const out = new Float32Array(size * size);
  const r = Math.ceil(feather);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (data[y * size + x]) {
        out[y * size + x] = 1;
        continue;
      }
      let best = Number.POSITIVE_INFINITY;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < size && xx >= 0 && xx < size && data[yy * size + xx]) best = Math.min(best, Math.hypot(dx, dy));
        }
      }
      out[y * size + x] = best <= feather ? 1 - best / (feather + 1) : 0;
    }
  }
  return out;
}

/** Feather width for a resolution: 2 px at 64, scaled with the image. */
export const featherFor = (resolution: number): number => Math.max(1, Math.round(resolution / 32));

/** base·(1 − α) + edit·α per pixel on RGBA8 images of the same size; α = 0 copies the base byte. */
export function composite(base: Uint8Array, edit: Uint8Array, alpha: Float32Array): Uint8Array {
  const out = base.slice();
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]!;
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(base[i * 4 + c]! * (1 - a) + edit[i * 4 + c]! * a);
  }
  return out;
}

/** Union of masks of one size. */
export function unionMasks(size: number, masks: readonly BinaryMask[]): BinaryMask {
  const data = new Uint8Array(size * size);
  for (const m of masks) for (let i = 0; i < data.length; i++) data[i] = data[i]! | m.data[i]!;
  return { size, data };
}

/** A region is covered by an uploaded mask when a quarter of it, or a quarter of the mask, overlaps. */
export const COVER_FRACTION = 0.25;

/**
 * The regions an uploaded (or painted) mask selects: those it covers by at least
 * `COVER_FRACTION` of the region's area or of the mask's. Candidates carry their mask in the image
 * being edited: a fixed region's rasterized mask (`rasterizeMask`, or its mask PNG in the client's
 * remote mode), a semantic region's segmenter mask of that image.
 *
 * @example
 * regionsCoveredBy(regions.map((r) => ({ region: r, mask: rasterizeMask(r.mask, 64) })), painted); // [{ region: mouth, … }]
 */
export function regionsCoveredBy<T extends { mask: BinaryMask }>(candidates: readonly T[], mask: BinaryMask): T[] {
  const area = maskArea(mask);
  if (area === 0) return [];
  return candidates.filter((c) => {
    let overlap = 0;
    for (let i = 0; i < c.mask.data.length; i++) overlap += c.mask.data[i]! & mask.data[i]!;
    return overlap >= COVER_FRACTION * maskArea(c.mask) || overlap >= COVER_FRACTION * area;
  });
}

/**
 * How an edit's frames are shown: each raw render composited over the base with the feathered
 * mask's weights, or raw when `alpha` is undefined (`composite=false`). A frame whose code is the
 * base code itself is the base image (not rendered again).
 *
 * @example
 * const frames = await editFrames(interpolate(w, edited, 5), w, baseRgba, (code) => renderRgba(code), featherWeights(mask, 2));
 */
export async function editFrames(
  codes: readonly Float32Array[],
  baseW: Float32Array,
  baseImg: Uint8Array,
  renderRgba: (w: Float32Array) => Promise<Uint8Array>,
  alpha: Float32Array | undefined,
): Promise<Uint8Array[]> {
  const images: Uint8Array[] = [];
  for (const code of codes) {
    const raw = code === baseW ? baseImg : await renderRgba(code);
    images.push(alpha ? composite(baseImg, raw, alpha) : raw);
  }
  return images;
}
