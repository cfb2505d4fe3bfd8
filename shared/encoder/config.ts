import { z } from "zod";
import { ImageResolution } from "../generator/config.ts";

/**
 * An encoder's architecture: a residual CNN from an RGB image in [−1, 1] to a code w in a
 * generator's W. Level l works at resolution/2^l with `channels[l]` channels, from full resolution
 * down to 4×4 (so `channels` has log2(resolution) − 1 entries); a dense layer of `hidden` units then
 * gives the wDim values. Everything that changes tensor shapes is here, so a manifest carrying this
 * object says which parameters it must contain.
 *
 * @example
 * const cfg = EncoderConfig.parse({ resolution: 64, wDim: 256, channels: [32, 64, 128, 128, 256] });
 * encoderLevels(cfg); // [64, 32, 16, 8, 4]
 */
export const EncoderConfig = z
  .object({
    resolution: ImageResolution,
    /** Length of the code (the generator's wDim). */
    wDim: z.number().int().min(1).max(4096),
    /** Channels per level, from full resolution down to 4×4 (log2(resolution) − 1 entries). */
    channels: z.array(z.number().int().min(1).max(1024)).min(2).max(9),
    /** Width of the dense layer between the 4×4 features and w (default: wDim). */
    hidden: z.number().int().min(1).max(8192).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const levels = Math.log2(c.resolution) - 1;
    if (c.channels.length !== levels) {
      ctx.addIssue({ code: "custom", path: ["channels"], message: `needs one entry per level from ${c.resolution} px down to 4 px (${levels}), got ${c.channels.length}` });
    }
  });
export type EncoderConfig = z.infer<typeof EncoderConfig>;
export type EncoderConfigInput = z.input<typeof EncoderConfig>;

/** The side of each level's feature maps: resolution, resolution/2, …, 4. */
export function encoderLevels(cfg: EncoderConfig): number[] {
  return cfg.channels.map((_, l) => cfg.resolution >> l);
}

/** The dense layer's width. */
export const hiddenOf = (cfg: EncoderConfig): number => cfg.hidden ?? cfg.wDim;
