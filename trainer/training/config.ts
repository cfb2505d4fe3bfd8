import { z } from "zod";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { Region } from "../../shared/regions/schema.ts";
import { ModelVersion } from "../../shared/weights/manifest.ts";
import { AugmentConfig } from "../augment/diffaugment.ts";
import { DatasetSpec } from "../../shared/dataset/spec.ts";
import { LinkGanConfig } from "../loss/linkgan.ts";
import { DiscriminatorConfig } from "../networks/discriminator.ts";

/**
 * Everything that defines a training run. Stored as config.json in the run folder; a resumed run
 * must present the same config (hashed), so a checkpoint always continues the run that wrote it.
 */
export const TrainConfig = z
  .object({
    dataset: DatasetSpec.optional(),
    generator: GeneratorConfig,
    discriminator: DiscriminatorConfig.omit({ resolution: true }),
    /** Linked regions; with links off (pretraining, baseline) they are still recorded. */
    regions: z.array(Region).default([]),
    /**
     * The segmenter that draws semantic regions' masks (an exported folder, see `npm run segmenter`),
     * pinned by version; export bundles it with the generator.
     */
    segmenter: z.object({ path: z.string().min(1), version: ModelVersion }).strict().optional(),
    /** "off": plain StyleGAN2 (pretraining or the baseline); "on": add the LinkGAN regularizer. */
    links: z.enum(["off", "on"]),
    linkgan: LinkGanConfig.default(LinkGanConfig.parse({})),
    /**
     * Differentiable augmentation of every image D sees (reals and fakes, in the G, D and R1
     * phases). On by default (DiffAugment's color, translation, cutout); `{ "policy": [] }` turns it off.
     */
    augment: AugmentConfig.default(AugmentConfig.parse({})),
    batch: z.number().int().min(2).max(256),
    /** Adam learning rate for G and D (StyleGAN2: 0.0025; 0.002 at ≥ 1024 px). */
    lr: z.number().positive().default(0.0025),
    /** R1 γ; default StyleGAN2 "auto": 0.0002·res²/batch. */
    r1Gamma: z.number().min(0).optional(),
    r1Interval: z.number().int().min(1).default(16),
    plWeight: z.number().min(0).default(0),
    plInterval: z.number().int().min(1).default(4),
    styleMixing: z.number().min(0).max(1).default(0.9),
    /** EMA half-life in thousands of images (StyleGAN2 auto: batch·10/32) and its ramp-up. */
    emaKimg: z.number().positive().default(10),
    emaRampup: z.number().min(0).default(0.05),
    /** Training length in thousands of real images shown to D. */
    totalKimg: z.number().positive(),
    /** Checkpoint, sample grid and metrics intervals, in steps. */
    checkpointEvery: z.number().int().min(1).default(500),
    samplesEvery: z.number().int().min(1).default(500),
    logEvery: z.number().int().min(1).default(10),
    /** Seed of everything random in the run (init, data order, z, noise, p). */
    seed: z.number().int().min(0).max(0xffffffff).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.regions.forEach((r, i) => {
      if (r.mask.kind === "semantic" && !c.segmenter) ctx.addIssue({ code: "custom", path: ["regions", i, "mask"], message: `semantic region "${r.name}" needs "segmenter": { path, version }` });
    });
    for (const name of Object.keys(c.linkgan.regions ?? {})) {
      if (!c.regions.some((r) => r.name === name)) {
        ctx.addIssue({ code: "custom", path: ["linkgan", "regions", name], message: `no region is named "${name}"; the regions are ${c.regions.map((r) => `"${r.name}"`).join(", ") || "none"}` });
      }
    }
  });
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

export const r1GammaOf = (c: TrainConfig) => c.r1Gamma ?? (0.0002 * c.generator.resolution ** 2) / c.batch;
