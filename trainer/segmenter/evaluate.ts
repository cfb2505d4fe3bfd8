/**
 * Held-out evaluation of a segmenter: per-class IoU, and a picture (image | truth | prediction per
 * row) to look at.
 */
import type { FloatImage } from "../../shared/generator/generator.ts";
import { toRgba8 } from "../../shared/generator/generator.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { gridPng } from "../training/samples.ts";
import { type ClassIou, perClassIou } from "./iou.ts";
import { type PartData, labelMaps } from "./labels.ts";

/** One colour per class index (class 0, "other", is grey); cycles after 12. */
export const CLASS_COLORS: readonly [number, number, number][] = [
  [128, 128, 128], [214, 220, 232], [240, 200, 160], [120, 60, 20], [60, 60, 200], [0, 200, 0],
  [0, 160, 255], [220, 0, 60], [255, 200, 0], [160, 0, 200], [0, 128, 128], [255, 128, 192],
];

export function labelsRgba(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(labels.length * 4);
  for (let p = 0; p < labels.length; p++) out.set([...CLASS_COLORS[labels[p]! % CLASS_COLORS.length]!, 255], p * 4);
  return out;
}

export interface SegmenterEvaluation {
  iou: ClassIou[];
  pixelAccuracy: number;
  images: number;
  /** PNG: each row is image, ground truth, prediction (for the first `pictureRows` images). */
  picture: Uint8Array;
}

export async function evaluateSegmenter(s: Segmenter, data: PartData, indices: number[], opts: { batch?: number; pictureRows?: number; onProgress?: (done: number) => void } = {}): Promise<SegmenterEvaluation> {
  const res = data.resolution;
  const n = res * res;
  const classes = s.config.classes;
  const truth = labelMaps(data, classes, indices);
  const predicted = new Uint8Array(truth.length);
  const batch = opts.batch ?? 32;
  const tiles: Uint8Array[] = [];
  for (let start = 0; start < indices.length; start += batch) {
    const idx = indices.slice(start, start + batch);
    const flat = await data.batch(idx);
    const images: FloatImage[] = idx.map((_, j) => ({ width: res, height: res, data: flat.slice(j * n * 3, (j + 1) * n * 3) }));
    const labels = await s.labels(images);
    for (const [j, l] of labels.entries()) {
      predicted.set(l, (start + j) * n);
      if (start + j < (opts.pictureRows ?? 8)) tiles.push(toRgba8(images[j]!), labelsRgba(truth.subarray((start + j) * n, (start + j + 1) * n)), labelsRgba(l));
    }
    opts.onProgress?.(start + idx.length);
  }
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) right++;
  return { iou: perClassIou(predicted, truth, classes), pixelAccuracy: right / truth.length, images: indices.length, picture: gridPng(tiles, res, 6, Math.max(1, Math.floor(128 / res))) };
}
