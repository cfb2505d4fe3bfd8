/**
 * The encoder's dataset images: the model's training dataset (its manifest's provenance) or the
 * config's, split so that the last `heldOut` images (indices count − heldOut … count − 1) are never
 * trained on; the evaluation measures reconstruction on them.
 */
import type { Manifest } from "../../shared/weights/manifest.ts";
import { openDataset } from "../data/open.ts";
import { DatasetSpec } from "../../shared/dataset/spec.ts";
import type { TrainingData } from "../training/trainer.ts";
import type { EncoderTrainConfig } from "./config.ts";

export interface EncoderData {
  spec: DatasetSpec;
  /** Indices 0 … size − heldOut − 1; asking for any other index throws. */
  train: TrainingData;
  /** Indices into `all` of the held-out images. */
  heldOut: number[];
  all: TrainingData;
}

/** The dataset a run uses: the config's, or the one the model's manifest records. */
export function encoderDatasetSpec(config: Pick<EncoderTrainConfig, "dataset">, manifest: Manifest, where: string): DatasetSpec {
  if (config.dataset) return config.dataset;
  const r = DatasetSpec.safeParse(manifest.provenance.config?.dataset);
  if (!r.success) throw new Error(`${where}: the model's manifest records no dataset (provenance.config.dataset); set "dataset" in the config`);
  return r.data;
}

export async function openEncoderData(config: Pick<EncoderTrainConfig, "dataset" | "heldOut" | "datasetBatch">, manifest: Manifest, where = "encoder"): Promise<EncoderData> {
  const spec = encoderDatasetSpec(config, manifest, where);
  const all = await openDataset(spec, manifest.generator.resolution);
  const trainSize = all.size - config.heldOut;
  if (trainSize < Math.max(1, config.datasetBatch)) {
    throw new Error(`${where}: the dataset's ${all.size} images leave ${trainSize} for training after holding out the last ${config.heldOut}, fewer than one batch (${config.datasetBatch})`);
  }
  const train: TrainingData = {
    size: trainSize,
    resolution: all.resolution,
    async batch(indices) {
      for (const i of indices) if (!Number.isInteger(i) || i < 0 || i >= trainSize) throw new RangeError(`encoder training data: index ${i} is held out or outside [0, ${trainSize})`);
      return all.batch(indices);
    },
  };
  return { spec, train, all, heldOut: Array.from({ length: config.heldOut }, (_, i) => trainSize + i) };
}
