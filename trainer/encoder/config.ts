import { z } from "zod";
import { EncoderConfig } from "../../shared/encoder/config.ts";
import { ReconstructionWeights } from "../../shared/inversion/loss.ts";
import { LATENT_SPACES } from "../../shared/generator/space.ts";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { InvertsPin } from "../../shared/weights/manifest.ts";
import { type ValueFlag, int, oneOf } from "../cli/args.ts";
import { DatasetSpec } from "../../shared/dataset/spec.ts";

/** Noise of the generator when it renders a code for the reconstruction loss: "zeros" or one noise seed. */
export const ReconstructionNoise = z.union([z.literal("zeros"), z.number().int().min(0).max(MAX_SEED)]);

/** `--noise zeros|SEED` of `npm run invert` and `npm run encoder -- evaluate`. */
export const noiseFlag = {
  value: "zeros|SEED",
  help: "the generator noise the code is rendered with",
  type: z.union([z.literal("zeros"), int(0, MAX_SEED)], { error: (i) => `must be "zeros" or a noise seed (an integer from 0 to ${MAX_SEED}), got ${JSON.stringify(i.input)}` }),
  default: "zeros",
} as const satisfies ValueFlag;

/**
 * `--space w|w+` of `npm run invert` and `npm run encoder -- evaluate`: the space the projector
 * optimizes (shared/generator/space.ts). W+ codes do not go into the API's `w=`, which takes W codes.
 */
export const spaceFlag = {
  value: "w|w+",
  help: "the space the projector optimizes: w (one w per image, the API's w=) or w+ (one w per synthesis layer, the encoder's w tiled; to measure, not for w=)",
  type: oneOf(LATENT_SPACES),
  default: "w",
} as const satisfies ValueFlag;

/**
 * Everything that defines an encoder training run (stored as the run's config.json; a resumed run
 * must present the same one). `model` is the frozen generator it inverts: `npm run encoder -- train
 * --model DIR` fills it in with that folder's name and version, and a resumed run refuses any
 * other version of the model (the encoder learns one version's W).
 *
 * Each step trains on `batch` generated pairs (G(w) with its w, w = mapping(z) at ψ = 1 for z and
 * noise from a fresh seed, as the Generator class renders a seed) through the w loss and the
 * reconstruction loss, and on `datasetBatch` dataset images through the reconstruction loss only.
 * The last `heldOut` images of the dataset (indices count − heldOut … count − 1) are never trained on.
 */
export const EncoderTrainConfig = z
  .object({
    model: InvertsPin.extend({ path: z.string().min(1) }).optional(),
    encoder: EncoderConfig,
    /** The images of the reconstruction-only half (default: the dataset the model's manifest records). */
    dataset: DatasetSpec.optional(),
    heldOut: z.number().int().min(1).max(100_000).default(200),
    /** The perceptual term's network: a standalone segmenter pinned by version (default: the model's bundled one). */
    segmenter: z.object({ path: z.string().min(1), version: InvertsPin.shape.version }).strict().optional(),
    batch: z.number().int().min(0).max(256).default(8),
    datasetBatch: z.number().int().min(0).max(256).default(8),
    loss: z
      .object({
        /** Weight of the MSE between the encoder's code and the true w (generated pairs only). */
        w: z.number().min(0).default(1),
        ...ReconstructionWeights.shape,
        /**
         * Weight of the latent prior (shared/inversion/prior.ts: mean squared z-score in P space) on
         * the dataset images' codes, which nothing else keeps on W's distribution, where the
         * regions' links hold.
         */
        prior: z.number().min(0).default(0),
      })
      .strict()
      .prefault({}),
    noise: ReconstructionNoise.default("zeros"),
    /** Adam learning rate; it decays linearly to 10 % over the last `decayFraction` of the steps. */
    lr: z.number().positive().default(0.001),
    decayFraction: z.number().min(0).max(1).default(0.3),
    steps: z.number().int().min(1),
    checkpointEvery: z.number().int().min(1).default(250),
    logEvery: z.number().int().min(1).default(25),
    seed: z.number().int().min(0).max(MAX_SEED).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.batch + c.datasetBatch === 0) ctx.addIssue({ code: "custom", path: ["batch"], message: "batch and datasetBatch cannot both be 0" });
    if (c.batch === 0 && c.loss.w > 0) ctx.addIssue({ code: "custom", path: ["loss", "w"], message: "needs generated pairs (batch > 0)" });
  });
export type EncoderTrainConfig = z.infer<typeof EncoderTrainConfig>;
