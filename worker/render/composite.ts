import type { BinaryMask } from "../../shared/regions/mask.ts";

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
