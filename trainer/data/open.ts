import type { TrainingData } from "../training/trainer.ts";
import { openFolderDataset } from "./folder.ts";
import type { DatasetSpec } from "./spec.ts";

/** Open the dataset a run's config names, at the generator's resolution. */
export async function openDataset(spec: DatasetSpec, resolution: number): Promise<TrainingData> {
  switch (spec.kind) {
    case "folder":
      return openFolderDataset({ images: spec.images, ...(spec.masks ? { masks: spec.masks } : {}), resolution });
    case "dicebear":
      throw new Error("the dicebear dataset is not wired in yet");
  }
}
