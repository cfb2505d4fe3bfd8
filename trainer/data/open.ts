import type { DatasetInfo } from "../../shared/weights/manifest.ts";
import type { TrainingData } from "../training/trainer.ts";
import { BACKGROUND, type DicebearStyle, openDicebearDataset, styleLicense } from "./dicebear.ts";
import { openFolderDataset } from "./folder.ts";
import type { DatasetSpec } from "../../shared/dataset/spec.ts";

/** Open the dataset a run's config names, at the generator's resolution. */
export async function openDataset(spec: DatasetSpec, resolution: number): Promise<TrainingData> {
  switch (spec.kind) {
    case "folder":
      return openFolderDataset({ images: spec.images, ...(spec.masks ? { masks: spec.masks } : {}), resolution });
    case "dicebear":
      return openDicebearDataset({ style: spec.style, count: spec.count, seed: spec.seed, resolution });
  }
}

/**
 * The solid colour behind a dataset's faces, when it has one (the built-in faces are composited
 * onto `BACKGROUND`; a folder's images keep whatever they have): what an encoder's manifest records
 * for uploads with transparency.
 */
export function datasetBackground(spec: DatasetSpec): [number, number, number] | undefined {
  return spec.kind === "dicebear" ? [...BACKGROUND] : undefined;
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
