/** Per-class intersection over union, accumulated over every pixel of a set of images. */
export interface ClassIou {
  class: string;
  iou: number;
  /** Fraction of all pixels that are this class in the ground truth. */
  share: number;
}

/**
 * IoU of each class over all images together (Σ intersection / Σ union), so small parts of one image
 * do not swing the figure; a class absent from both prediction and truth gets NaN.
 *
 * @example
 * perClassIou(predicted, truth, ["other", "hair"]); // [{ class: "other", iou: 0.97, … }, …]
 */
export function perClassIou(predicted: Uint8Array, truth: Uint8Array, classes: readonly string[]): ClassIou[] {
  if (predicted.length !== truth.length) throw new Error(`perClassIou: ${predicted.length} predicted labels vs ${truth.length} true ones`);
  const inter = new Float64Array(classes.length);
  const union = new Float64Array(classes.length);
  const count = new Float64Array(classes.length);
  for (let i = 0; i < truth.length; i++) {
    const p = predicted[i]!;
    const t = truth[i]!;
    count[t]!++;
    if (p === t) {
      inter[p]!++;
      union[p]!++;
    } else {
      union[p]!++;
      union[t]!++;
    }
  }
  return classes.map((c, k) => ({ class: c, iou: union[k]! ? inter[k]! / union[k]! : Number.NaN, share: count[k]! / truth.length }));
}
