import { z } from "zod";
import { DatasetSpec } from "../dataset/spec.ts";
import { ModelName } from "../weights/manifest.ts";

/**
 * The retraining job contract (#6), one definition for both ends: the worker validates webhook
 * bodies and answers job records with it, the trainer's agent reads the jobs it claims. The worker
 * gives the schemas their OpenAPI names (worker/jobs/routes.ts).
 */

/** Which training settings a webhook may override on top of the model's recorded config. */
export const ConfigOverrides = z
  .object({
    totalKimg: z.number().positive().max(100_000).optional(),
    batch: z.number().int().min(1).max(256).optional(),
    lr: z.number().positive().max(1).optional(),
    seed: z.number().int().min(0).optional(),
    links: z.enum(["on", "off"]).optional(),
    linkgan: z
      .object({ alpha: z.number().positive().optional(), lambdaIn: z.number().min(0).optional(), lambdaOut: z.number().min(0).optional(), interval: z.number().int().min(1).optional() })
      .strict()
      .optional(),
  })
  .strict();

/**
 * The quality gate a new version must pass before it is activated, against the active version's
 * card metrics: MSE_o/MSE_i per region and SWD may not grow by more than the tolerance, and no region
 * may exceed `maxRatio` when it is given.
 */
export const Gate = z
  .object({
    ratioTolerance: z.number().min(0).default(0.1),
    swdTolerance: z.number().min(0).default(0.1),
    maxRatio: z.number().positive().optional(),
  })
  .strict();
export type Gate = z.infer<typeof Gate>;

/** The webhook body. */
export const RetrainRequest = z
  .object({
    model: ModelName,
    /** fine-tune: start from the active version's weights; scratch: a fresh initialisation. */
    mode: z.enum(["fine-tune", "scratch"]),
    /** A config in trainer/configs/ on the agent (e.g. "faces64-linked"); default: the one the active version records. */
    preset: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a config name in trainer/configs/, without .json").optional(),
    /** Images to train on (a folder on the trainer machine, or a built-in DiceBear set). */
    dataset: DatasetSpec,
    config: ConfigOverrides.default({}),
    gate: Gate.default({ ratioTolerance: 0.1, swdTolerance: 0.1 }),
  })
  .strict();
export type RetrainRequest = z.infer<typeof RetrainRequest>;

export const JobState = z.enum(["queued", "claimed", "running", "succeeded", "failed", "cancelled"]);
export type JobState = z.infer<typeof JobState>;

export const Job = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    model: z.string(),
    request: RetrainRequest,
    state: JobState,
    attempts: z.number().int(),
    leaseOwner: z.string().nullable(),
    leaseExpiresAt: z.number().nullable(),
    version: z.string().nullable(),
    published: z.boolean(),
    error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
  });
export type Job = z.infer<typeof Job>;

/** What the queue carries: a verified delivery. */
export interface JobMessage {
  jobId: string;
  deliveryId: string;
  request: RetrainRequest;
}
