/**
 * The weight format: a JSON manifest plus binary shards.
 *
 * `weightsManifest` keeps the shape of a TensorFlow.js weights manifest (groups of `paths` and
 * sequential `weights` entries, bytes concatenated across a group's shards, little-endian), so
 * float32 and float16 models can be read by tfjs's own `io.loadWeights`. One departure: tfjs has no
 * per-channel int8, so int8 entries carry `quantization: { dtype: "int8", axis, scales }`, which
 * tfjs would reject; everything else about them is tfjs-shaped. Everything tfjs does not know
 * (shard hashes, the generator config, regions, card, provenance) lives beside it.
 */
import { z } from "zod";
import { EncoderConfig } from "../encoder/config.ts";
import { GeneratorConfig } from "../generator/config.ts";
import { regionsSchema } from "../regions/schema.ts";
import { SegmenterConfig } from "../segmenter/config.ts";

export const FORMAT = "linkgan-weights";
export const FORMAT_VERSION = 1;

const finitePositive = z
  .number({ error: "must be a number (NaN and Infinity are not allowed)" })
  .refine((v) => Number.isFinite(v) && v > 0, { message: "must be finite and > 0" });

export const Quantization = z.discriminatedUnion("dtype", [
  z.object({ dtype: z.literal("float16") }).strict(),
  z
    .object({
      dtype: z.literal("int8"),
      /** The axis holding output channels (one scale each); always the last axis here. */
      axis: z.number().int().min(0),
      scales: z.array(finitePositive).min(1),
    })
    .strict(),
]);
export type Quantization = z.infer<typeof Quantization>;

export const WeightEntry = z
  .object({
    name: z.string().min(1),
    shape: z.array(z.number().int().min(1)),
    /** The dtype after dequantization (as in tfjs): always float32 for this generator. */
    dtype: z.literal("float32"),
    quantization: Quantization.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const q = e.quantization;
    if (q?.dtype !== "int8") return;
    if (q.axis !== e.shape.length - 1) ctx.addIssue({ code: "custom", path: ["quantization", "axis"], message: `must be the last axis (${e.shape.length - 1})` });
    const channels = e.shape[e.shape.length - 1];
    if (q.scales.length !== channels) {
      ctx.addIssue({ code: "custom", path: ["quantization", "scales"], message: `needs one scale per channel (${channels}), got ${q.scales.length}` });
    }
  });
export type WeightEntry = z.infer<typeof WeightEntry>;

export const WeightGroup = z.object({ paths: z.array(z.string().min(1)).min(1), weights: z.array(WeightEntry).min(1) }).strict();

/** A shard's file name, as the manifest lists it and URLs address it. */
export const ShardPath = z.string().regex(/^[A-Za-z0-9._-]{1,128}\.bin$/, "must be a plain file name (at most 128 chars of A-Z, a-z, 0-9, . _ -) ending in .bin");

export const ShardInfo = z
  .object({
    path: ShardPath,
    bytes: z.number().int().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"),
  })
  .strict();

export const DatasetInfo = z
  .object({
    name: z.string(),
    license: z.string(),
    attribution: z.string(),
    url: z.string().optional(),
  })
  .strict();
export type DatasetInfo = z.infer<typeof DatasetInfo>;

/** The model card (Mitchell et al. 2019), in the manifest so every runtime can show it. */
export const ModelCard = z
  .object({
    title: z.string().min(1),
    description: z.string(),
    intendedUse: z.string().optional(),
    limitations: z.string().optional(),
    license: z.string().optional(),
    datasets: z.array(DatasetInfo).default([]),
    /** Measured figures, each with the command that measured it. */
    metrics: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type ModelCard = z.infer<typeof ModelCard>;

/** Where the weights came from: the run that trained them. */
export const Provenance = z
  .object({
    trainer: z.string(),
    backend: z.string().optional(),
    run: z.string().optional(),
    createdAt: z.string().optional(),
    /** Version id of the model this one was fine-tuned from, if any. */
    parent: z.string().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** A model's stable name, as users address it (URLs, CLI flags, weights/<name>/). */
export const ModelName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be 1–64 chars of a-z, 0-9, _ or -");

/** A model version: content-derived (see `versionOf`), as manifests, URLs and the active pointer name it. */
export const ModelVersion = z.string().regex(/^v[0-9a-f]{16}$/, 'must be "v" + 16 hex digits');

/** The prose of a model card, which a person writes (a `--card` file); datasets and metrics come from the run. */
export const ModelCardText = ModelCard.pick({ title: true, description: true, intendedUse: true, limitations: true, license: true }).partial();
export type ModelCardText = z.infer<typeof ModelCardText>;

/** Fields every model file has, whatever network it holds. */
const common = {
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  /** Model name (the stable id users address, e.g. "faces64"). */
  name: ModelName,
  /** Content-derived version id: see `versionOf`. */
  version: ModelVersion,
  card: ModelCard,
  provenance: Provenance,
  weightsManifest: z.array(WeightGroup).min(1),
  shards: z.array(ShardInfo).min(1),
};

/**
 * A generator model. With semantic regions it carries the segmenter that draws their masks
 * (`segmenter`, weights named `segmenter.*` in the same shards), so one version pins both.
 */
export const Manifest = z
  .object({
    ...common,
    generator: GeneratorConfig,
    segmenter: SegmenterConfig.optional(),
    regions: z.array(z.unknown()),
  })
  .strict()
  .transform((m, ctx) => {
    const r = regionsSchema(m.generator.wDim).safeParse(m.regions);
    if (!r.success) {
      for (const i of r.error.issues) ctx.addIssue({ ...i, path: ["regions", ...i.path] } as never);
      return z.NEVER;
    }
    for (const [i, region] of r.data.entries()) {
      if (region.mask.kind !== "semantic") continue;
      if (!m.segmenter) {
        ctx.addIssue({ code: "custom", path: ["regions", i, "mask"], message: `semantic region "${region.name}" needs a segmenter in the manifest` });
      } else if (!m.segmenter.classes.includes(region.mask.class)) {
        ctx.addIssue({ code: "custom", path: ["regions", i, "mask", "class"], message: `"${region.mask.class}" is not a segmenter class (${m.segmenter.classes.join(", ")})` });
      } else if (m.segmenter.resolution !== m.generator.resolution) {
        ctx.addIssue({ code: "custom", path: ["segmenter", "resolution"], message: `must equal the generator's resolution (${m.generator.resolution})` });
      }
    }
    return { ...m, regions: r.data };
  });
export type Manifest = z.output<typeof Manifest>;
export type ManifestInput = z.input<typeof Manifest>;

/** A segmenter on its own (what `npm run segmenter -- export` writes), with its own card and IoU figures. */
export const SegmenterManifest = z.object({ ...common, segmenter: SegmenterConfig }).strict();
export type SegmenterManifest = z.output<typeof SegmenterManifest>;

const Byte = z.number().int().min(0).max(255);

/** The generator an encoder inverts: its name and the exact version whose W the encoder was trained on. */
export const InvertsPin = z.object({ name: common.name, version: common.version }).strict();

/**
 * An encoder on its own (what `npm run encoder -- export` writes): image → w in the W of the
 * generator version it pins (`inverts`), with its own card and reconstruction figures.
 */
export const EncoderManifest = z
  .object({
    ...common,
    encoder: EncoderConfig,
    inverts: InvertsPin,
    /**
     * The colour an uploaded picture's transparent pixels are composited onto before encoding (RGB,
     * 0–255): the background of the images the encoder and its generator were trained on, so a
     * cut-out avatar meets the encoder as the dataset's faces do. Absent: white.
     */
    background: z.tuple([Byte, Byte, Byte]).optional(),
  })
  .strict();
export type EncoderManifest = z.output<typeof EncoderManifest>;
