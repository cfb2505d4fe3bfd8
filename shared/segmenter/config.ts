import { z } from "zod";
import { ImageResolution } from "../generator/config.ts";

/**
 * A segmenter's architecture: a small U-Net over RGB images in [−1, 1] that gives every pixel one
 * of `classes`. Level l works at resolution/2^l with `channels[l]` channels; everything that changes
 * tensor shapes is here, so a manifest carrying this object says which parameters it must contain.
 *
 * @example
 * const cfg = SegmenterConfig.parse({ resolution: 64, classes: ["other", "background", "hair"],
 *                                     channels: [16, 32, 64] });
 */
export const SegmenterConfig = z
  .object({
    resolution: ImageResolution,
    /** Class names, one per output channel; a pixel's class is the argmax. */
    classes: z
      .array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/, "must be 1–32 chars of letters, digits, _ or -, starting with a letter"))
      .min(2)
      .max(64)
      .refine((c) => new Set(c).size === c.length, { message: "class names must be unique" }),
    /** Channels per U-Net level, from full resolution down to the bottleneck. */
    channels: z.array(z.number().int().min(1).max(512)).min(2).max(6),
  })
  .strict()
  .refine((c) => c.resolution >> (c.channels.length - 1) >= 4, { message: "too many levels for the resolution (the bottleneck must be ≥ 4 px)", path: ["channels"] });
export type SegmenterConfig = z.infer<typeof SegmenterConfig>;
