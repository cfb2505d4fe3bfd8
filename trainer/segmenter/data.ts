/**
 * The segmenter's training and held-out images. A dicebear run trains on indices 0…count−1 and
 * holds out count…count+heldOut−1 (faces the segmenter never sees in training); a folder holds out
 * its last `heldOut` images.
 */
import type { DicebearDataset } from "../data/dicebear.ts";
import type { FolderDataset } from "../data/folder.ts";
import { openDataset } from "../data/open.ts";
import type { SegmenterTrainConfig } from "./config.ts";
import type { PartData } from "./labels.ts";

export interface SegmenterData {
  train: PartData;
  /** Indices into `all` of the held-out images. */
  heldOut: number[];
  all: PartData;
}

export async function openSegmenterData(config: SegmenterTrainConfig): Promise<SegmenterData> {
  const spec = config.dataset;
  const res = config.segmenter.resolution;
  const all = (await openDataset(spec.kind === "dicebear" ? { ...spec, count: spec.count + config.heldOut } : spec, res)) as DicebearDataset | FolderDataset;
  const trainSize = all.size - config.heldOut;
  if (trainSize < config.batch) throw new Error(`dataset: ${all.size} images leave ${trainSize} for training after holding out ${config.heldOut}, fewer than one batch (${config.batch})`);
  const check = (indices: number[]) => {
    for (const i of indices) if (i >= trainSize) throw new RangeError(`segmenter training data: index ${i} is held out`);
  };
  const train: PartData = {
    size: trainSize,
    resolution: res,
    parts: all.parts,
    batch(indices) {
      check(indices);
      return all.batch(indices);
    },
    masks(part, indices) {
      check(indices);
      return all.masks(part, indices);
    },
  };
  return { train, all, heldOut: Array.from({ length: config.heldOut }, (_, i) => trainSize + i) };
}
