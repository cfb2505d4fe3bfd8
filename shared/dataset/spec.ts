import { z } from "zod";

/** Which images a run trains on; recorded in the run's config so the run can be reproduced. */
export const DatasetSpec = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("folder"),
      /** Folder of PNG/JPEG/WebP images. */
      images: z.string().min(1),
      /** Optional folder with one sub-folder of masks per part. */
      masks: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("dicebear"),
      /** DiceBear style (see trainer/data/dicebear.ts). */
      style: z.string().min(1),
      /** Number of distinct faces rendered (indices 0…count−1). */
      count: z.number().int().min(1).max(1_000_000),
      seed: z.number().int().min(0).max(0xffffffff).default(0),
    })
    .strict(),
]);
export type DatasetSpec = z.infer<typeof DatasetSpec>;
