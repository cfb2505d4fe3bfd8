import { z } from "zod";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { DatasetSpec } from "../../shared/dataset/spec.ts";

/**
 * Everything that defines a segmenter training run (stored as the run's config.json; a resumed run
 * must present the same one). Classes are `other` (pixels in no part) followed by dataset parts;
 * where parts overlap, the later class wins, so list small parts (eyes, mouth) last.
 */
export const SegmenterTrainConfig = z
  .object({
    dataset: DatasetSpec,
    /** Held-out images for IoU: dicebear renders indices count…count+heldOut−1 (never trained on); a folder holds out its last `heldOut` images. */
    heldOut: z.number().int().min(1).max(100_000),
    segmenter: SegmenterConfig,
    batch: z.number().int().min(1).max(256),
    /** Adam learning rate; it decays linearly to 10 % over the last `decayFraction` of the steps. */
    lr: z.number().positive().default(0.002),
    decayFraction: z.number().min(0).max(1).default(0.3),
    steps: z.number().int().min(1),
    /** Augmentation, so the segmenter also reads generated images: Gaussian pixel noise and a per-image colour shift (std, in [−1, 1] units). */
    noiseStd: z.number().min(0).default(0.03),
    colorShiftStd: z.number().min(0).default(0.05),
    checkpointEvery: z.number().int().min(1).default(250),
    logEvery: z.number().int().min(1).default(25),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.segmenter.classes[0] !== "other") ctx.addIssue({ code: "custom", path: ["segmenter", "classes", 0], message: 'must be "other" (pixels in no part)' });
  });
export type SegmenterTrainConfig = z.infer<typeof SegmenterTrainConfig>;
