/**
 * Ground-truth label maps from a dataset's part masks: class 0 ("other") where no part is, else the
 * last listed class whose part covers the pixel.
 */
import cliProgress from "cli-progress";
import { formatTime } from "../cli/format-time.ts";

/** What the segmenter trains on: a dataset with part masks (dicebear or a user folder). */
export interface PartData {
  readonly size: number;
  readonly resolution: number;
  readonly parts: readonly string[];
  batch(indices: number[]): Promise<Float32Array>;
  masks(part: string, indices: number[]): Uint8Array;
}

/** Check that every class after "other" is a part of the dataset; the message lists what there is. */
export function checkClasses(classes: readonly string[], data: PartData, where: string): void {
  const missing = classes.slice(1).filter((c) => !data.parts.includes(c));
  if (missing.length) throw new Error(`${where}: class(es) ${missing.map((m) => `"${m}"`).join(", ")} are not parts of the dataset (parts: ${data.parts.join(", ") || "none"})`);
}

/** Label maps of `indices`, [N·H·W] class indices, rendered with a progress bar when `label` is given. */
export function labelMaps(data: PartData, classes: readonly string[], indices: number[], label?: string): Uint8Array {
  const n = data.resolution * data.resolution;
  const out = new Uint8Array(indices.length * n);
  const bar = label
    ? new cliProgress.SingleBar({ format: `${label} |{bar}| {value}/{total} | ETA {eta_formatted}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000, formatTime }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(indices.length, 0);
  for (const [j, idx] of indices.entries()) {
    for (let k = 1; k < classes.length; k++) {
      const m = data.masks(classes[k]!, [idx]);
      for (let p = 0; p < n; p++) if (m[p]) out[j * n + p] = k;
    }
    if (j % 50 === 49) bar?.update(j + 1);
  }
  bar?.update(indices.length);
  bar?.stop();
  return out;
}
