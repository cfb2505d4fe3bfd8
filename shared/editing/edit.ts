/**
 * LinkGAN's editing maths in W: partially resampling a code on a region's axes. Pure functions on
 * Float32Arrays (inputs are never modified), shared by the worker, the browser and the trainer's
 * sample grids.
 */
import type { AxisRange } from "../regions/schema.ts";

function checkRanges(dim: number, ranges: readonly AxisRange[]): void {
  for (const r of ranges) {
    if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && 0 <= r.start && r.start < r.end && r.end <= dim)) {
      throw new RangeError(`axis range [${r.start}, ${r.end}) is not inside [0, ${dim})`);
    }
  }
}

function sameLength(a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: lengths differ (${a.length} vs ${b.length})`);
}

/**
 * Replace the axes of `ranges` in `w` with the same axes of `wNew` (e.g. mapping(z′) for a new seed).
 *
 * @example
 * const edited = resampleReplace(w, wFromSeed3, [{ start: 0, end: 64 }]); // new eyes, same face
 */
export function resampleReplace(w: Float32Array, wNew: Float32Array, ranges: readonly AxisRange[]): Float32Array {
  sameLength(w, wNew, "resampleReplace");
  return resampleReplaceLayers(w, wNew, ranges);
}

/**
 * `resampleReplace` on a code of one or more layers: `code` is a W code (as long as `wNew`) or a
 * W+ code (k layers of wNew.length values each, layer-major), and the axes of `ranges` in every
 * layer are replaced with the same axes of `wNew`. That is resampling a region of a W+ code: each
 * layer gets the new sample's values there; on a W code it is `resampleReplace`.
 *
 * @example
 * const edited = resampleReplaceLayers(wPlus, wFromSeed3, [eyes.axes]); // every layer's eye axes from seed 3
 */
export function resampleReplaceLayers(code: Float32Array, wNew: Float32Array, ranges: readonly AxisRange[]): Float32Array {
  const dim = wNew.length;
  if (dim === 0 || code.length === 0 || code.length % dim !== 0) throw new RangeError(`resampleReplaceLayers: a code of ${code.length} values is not a whole number of layers of ${dim}`);
  checkRanges(dim, ranges);
  const out = code.slice();
  for (let at = 0; at < code.length; at += dim) for (const r of ranges) out.set(wNew.subarray(r.start, r.end), at + r.start);
  return out;
}

/**
 * Add α·p on the axes of `ranges` (p is a full-length direction, e.g. N(0, I) from a seed).
 *
 * @example
 * const edited = resamplePerturb(w, latentFromSeed(3, w.length), 1.5, region.axes ? [region.axes] : []);
 */
export function resamplePerturb(w: Float32Array, p: Float32Array, alpha: number, ranges: readonly AxisRange[]): Float32Array {
  sameLength(w, p, "resamplePerturb");
  checkRanges(w.length, ranges);
  if (!Number.isFinite(alpha)) throw new RangeError(`alpha must be finite, got ${alpha}`);
  const out = w.slice();
  for (const r of ranges) for (let i = r.start; i < r.end; i++) out[i] = w[i]! + alpha * p[i]!;
  return out;
}

/** (1 − t)·a + t·b. */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  sameLength(a, b, "lerp");
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + t * (b[i]! - a[i]!);
  return out;
}

/** `frames` codes from a to b inclusive, evenly spaced (frames ≥ 2): the edit animation. */
export function interpolate(a: Float32Array, b: Float32Array, frames: number): Float32Array[] {
  if (!Number.isInteger(frames) || frames < 2) throw new RangeError(`frames must be an integer ≥ 2, got ${frames}`);
  return Array.from({ length: frames }, (_, i) => lerp(a, b, i / (frames - 1)));
}

/** A 0/1 vector over W marking the axes in `ranges` (the trainer multiplies perturbations by it). */
export function axisMask(dim: number, ranges: readonly AxisRange[]): Float32Array {
  checkRanges(dim, ranges);
  const m = new Float32Array(dim);
  for (const r of ranges) m.fill(1, r.start, r.end);
  return m;
}
