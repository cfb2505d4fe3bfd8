import type { DatasetInfo } from "../../shared/weights/manifest.ts";
import type { TrainingData } from "../training/trainer.ts";
import { type DicebearStyle, openDicebearDataset, styleLicense } from "./dicebear.ts";
import { openFolderDataset } from "./folder.ts";
import type { DatasetSpec } from "./spec.ts";

/** Open the dataset a run's config names, at the generator's resolution. */
export async function openDataset(spec: DatasetSpec, resolution: number): Promise<TrainingData> {
  switch (spec.kind) {
    case "folder":
      return openFolderDataset({ images: spec.images, ...(spec.masks ? { masks: spec.masks } : {}), resolution });
    case "dicebear":
      return openDicebearDataset({ style: spec.style, count: spec.count, seed: spec.seed, resolution });
  }
}

/** Licence and attribution of a dataset, for model cards. */
export function datasetLicenses(spec: DatasetSpec): (typeof DatasetInfo)["_output"][] {
  switch (spec.kind) {
    case "folder":
      return [{ name: `images from ${spec.images}`, license: "provided by the user who trained this model", attribution: "see the dataset's own terms" }];
    case "dicebear": {
      const l = styleLicense(spec.style as DicebearStyle);
      return [{ name: `${l.name}, ${spec.count} faces rendered from seed ${spec.seed}`, license: l.license, attribution: l.attribution, url: l.url }];
    }
  }
}
