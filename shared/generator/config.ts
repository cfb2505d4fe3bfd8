import { z } from "zod";

const powerOfTwo = (v: number) => Number.isInteger(Math.log2(v));

/** An image side in pixels: a power of two from 8 to 1024 (generators and segmenters alike). */
export const ImageResolution = z
  .number()
  .int()
  .min(8)
  .max(1024)
  .refine(powerOfTwo, { message: "must be a power of two" });

/**
 * The generator's architecture. Everything that changes tensor shapes is here, so a manifest that
 * carries this object fully describes which parameters the weights must contain.
 *
 * @example
 * const cfg = GeneratorConfig.parse({ resolution: 64, zDim: 256, wDim: 256, mappingLayers: 2,
 *                                     channelBase: 4096, channelMax: 128 });
 * channelsAt(cfg, 64); // 64
 */
export const GeneratorConfig = z
  .object({
    resolution: ImageResolution,
    zDim: z.number().int().min(1).max(4096),
    wDim: z.number().int().min(1).max(4096),
    mappingLayers: z.number().int().min(1).max(16),
    /** Learning-rate multiplier of the mapping layers (StyleGAN2: 0.01). */
    mappingLrMul: z.number().positive().max(1).default(0.01),
    /** Channels at resolution r are min(channelBase / r, channelMax) (StyleGAN2's schedule). */
    channelBase: z.number().int().min(4),
    channelMax: z.number().int().min(1).max(1024),
    /**
     * Edges of the 2× upsampling: "zero" (StyleGAN2's upfirdn2d; one transposed conv per upsampling
     * layer, the fast path) or "replicate". Absent means "replicate", which is what the models
     * trained before this option existed were trained with, so their manifests stay unchanged.
     */
    upsampleEdges: z.enum(["replicate", "zero"]).optional(),
  })
  .strict();
export type GeneratorConfig = z.infer<typeof GeneratorConfig>;
export type GeneratorConfigInput = z.input<typeof GeneratorConfig>;

/** Resolutions of the synthesis blocks: 4, 8, …, resolution. */
export function blockResolutions(cfg: GeneratorConfig): number[] {
  const out: number[] = [];
  for (let r = 4; r <= cfg.resolution; r *= 2) out.push(r);
  return out;
}

export function channelsAt(cfg: GeneratorConfig, res: number): number {
  return Math.max(1, Math.min(Math.floor(cfg.channelBase / res), cfg.channelMax));
}

/** Number of w vectors synthesis consumes (W+ length): one per conv layer plus the last ToRGB. */
export function numWs(cfg: GeneratorConfig): number {
  return 2 * Math.log2(cfg.resolution) - 2;
}

/** The modulated 3×3 conv layers in order: their names, w index, and noise map size. */
export interface ConvLayer {
  name: string;
  res: number;
  inChannels: number;
  outChannels: number;
  up: boolean;
  wIndex: number;
  /** Index into the per-layer noise list (and the PRNG noise stream). */
  noiseIndex: number;
}

export interface RgbLayer {
  name: string;
  res: number;
  inChannels: number;
  wIndex: number;
}

export function convLayers(cfg: GeneratorConfig): ConvLayer[] {
  const layers: ConvLayer[] = [];
  for (const res of blockResolutions(cfg)) {
    const c = channelsAt(cfg, res);
    if (res === 4) {
      layers.push({ name: "synthesis.b4.conv1", res, inChannels: c, outChannels: c, up: false, wIndex: 0, noiseIndex: 0 });
    } else {
      const wi = 2 * Math.log2(res) - 5; // b8: 1, b16: 3, …
      const prev = channelsAt(cfg, res / 2);
      const n = layers.length;
      layers.push({ name: `synthesis.b${res}.conv0`, res, inChannels: prev, outChannels: c, up: true, wIndex: wi, noiseIndex: n });
      layers.push({ name: `synthesis.b${res}.conv1`, res, inChannels: c, outChannels: c, up: false, wIndex: wi + 1, noiseIndex: n + 1 });
    }
  }
  return layers;
}

export function rgbLayers(cfg: GeneratorConfig): RgbLayer[] {
  return blockResolutions(cfg).map((res) => ({
    name: `synthesis.b${res}.torgb`,
    res,
    inChannels: channelsAt(cfg, res),
    wIndex: res === 4 ? 1 : 2 * Math.log2(res) - 3,
  }));
}
