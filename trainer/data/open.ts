import type { DatasetInfo } from "../../shared/weights/manifest.ts";
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

/** Licence and attribution of a dataset, for model cards. */
export function datasetLicenses(spec: DatasetSpec): (typeof DatasetInfo)["_output"][] {
  switch (spec.kind) {
    case "folder":
      return [{ name: `images from ${spec.images}`, license: "provided by the user who trained this model", attribution: "see the dataset's own terms" }];
    case "dicebear":
      throw new Error("the dicebear dataset is not wired in yet");
  }
}
