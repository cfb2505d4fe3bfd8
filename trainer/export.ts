/**
 * Export a run's EMA generator to the shared weight format (int8 by default) in weights/<name>/,
 * with the model card inside the manifest and as MODEL_CARD.md beside it, and the card's pictures
 * (seeds.png, edits.png: trainer/pictures.ts).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Generator } from "../shared/generator/generator.ts";
import type { GeneratorConfig } from "../shared/generator/config.ts";
import type { ParamValues } from "../shared/generator/params.ts";
import type { SegmenterConfig } from "../shared/segmenter/config.ts";
import { SEGMENTER_PREFIX } from "../shared/segmenter/params.ts";
import { loadModel, memorySource } from "../shared/weights/loader.ts";
import type { ModelCard } from "../shared/weights/manifest.ts";
import { writeModelDir } from "../shared/weights/file-source.ts";
import { type PackedModel, packModel } from "../shared/weights/pack.ts";
import type { WeightDtype } from "../shared/weights/quantize.ts";
import { datasetLines, proseSections } from "./cards/card.ts";
import { PICTURES, PICTURE_TEXT, writeModelPictures } from "./pictures.ts";
import type { TrainConfig } from "./training/config.ts";

export interface ExportInput {
  name: string;
  dir: string;
  config: TrainConfig;
  values: ParamValues;
  dtype?: WeightDtype;
  card: ModelCard;
  provenance: { backend: string; run: string; steps: number; kimg: number; parent?: string };
  /** The segmenter of the config's semantic regions (`config.segmenter`, loaded): bundled into the model. */
  segmenter?: { config: SegmenterConfig; values: ParamValues };
}

export async function exportModel(input: ExportInput): Promise<PackedModel> {
  const packed = await packModel({
    name: input.name,
    generator: input.config.generator,
    ...(input.segmenter ? { segmenter: input.segmenter.config } : {}),
    regions: input.config.regions,
    card: input.card,
    provenance: {
      trainer: "linkgan-web trainer",
      backend: input.provenance.backend,
      run: input.provenance.run,
      createdAt: new Date().toISOString(),
      ...(input.provenance.parent ? { parent: input.provenance.parent } : {}),
      config: { ...input.config, steps: input.provenance.steps, kimg: input.provenance.kimg } as Record<string, unknown>,
    },
    values: input.segmenter ? new Map([...input.values, ...[...input.segmenter.values].filter(([k]) => k.startsWith(SEGMENTER_PREFIX))]) : input.values,
    dtype: input.dtype ?? "int8",
  });
  await writeModelDir(input.dir, packed);
  await writeFile(join(input.dir, "MODEL_CARD.md"), modelCardMarkdown(packed));
  await writeModelPictures(input.dir);
  return packed;
}

/**
 * PSNR (dB) of the model stored as `dtype` against float32, over `seeds` images (seeds 0…n−1,
 * truncation 1, images in [−1, 1], peak-to-peak 2): what quantization costs this trained model.
 * Needs a tfjs backend.
 */
export async function quantizationPsnr(cfg: GeneratorConfig, values: ParamValues, dtype: WeightDtype, seeds = 16): Promise<number> {
  const card = { title: "psnr probe", description: "", datasets: [], metrics: {} };
  const packed = await packModel({ name: "probe", generator: cfg, regions: [], card, provenance: { trainer: "probe" }, values, dtype });
  const loaded = await loadModel(memorySource(packed.manifest, Object.fromEntries(packed.shards.map((s) => [s.path, s.bytes]))));
  const ids = Array.from({ length: seeds }, (_, i) => i);
  const render = async (v: ParamValues) => {
    const g = Generator.fromValues(cfg, v);
    const imgs = await g.render(await g.mapSeeds(ids, 1), ids);
    g.dispose();
    return imgs;
  };
  const [ref, q] = [await render(values), await render(loaded.values)];
  let se = 0;
  let n = 0;
  for (const [i, img] of ref.entries()) {
    for (let k = 0; k < img.data.length; k++) se += (img.data[k]! - q[i]!.data[k]!) ** 2;
    n += img.data.length;
  }
  return 10 * Math.log10(4 / (se / n));
}

interface LocalityFigures {
  ratio: number;
  mseIn: number;
  mseOut: number;
}
interface LocalityRow extends LocalityFigures {
  region: string;
  /** Semantic regions: on the union of the base image's and the edited image's masks. */
  union?: LocalityFigures;
}
interface DiversityJson {
  stdRatio: number;
  pairwiseRatio: number;
  /** In the segmenter's bottleneck (sensitive to blur). */
  precisionRecall?: { precision: number; recall: number };
  /** In the part layout: what the recall targets read (cards from before it read the bottleneck's). */
  layoutPrecisionRecall?: { precision: number; recall: number };
}

/** The recall the targets read: the part layout's, or the bottleneck's on metrics from before it. */
const targetRecall = (d: DiversityJson | null | undefined) => (d?.layoutPrecisionRecall ?? d?.precisionRecall)?.recall;
interface MetricsJson {
  locality?: LocalityRow[];
  swd?: { mean: number } | null;
  diversity?: DiversityJson | null;
}

/** The targets a shipped model is judged against (the card says met or missed for each). */
export const TARGETS = {
  /** MSE_o / MSE_i of every region, at most. */
  locality: 0.2,
  /** The baseline's MSE_o / MSE_i at least this many times the linked model's. */
  baselineFactor: 4,
  /** The linked model's MSE_i at least this share of the baseline's (an edit must not go inert). */
  editStrength: 0.5,
  /** Generated/real per-pixel std and mean pairwise distance ratios, and recall, at least. */
  stdRatio: 0.8,
  pairwiseRatio: 0.7,
  recall: 0.5,
  /** The linked model's SWD at most, and its recall at least, this factor of the baseline's. */
  quality: 1.1,
} as const;

const verdict = (ok: boolean) => (ok ? "met" : "missed");

/** The card's diversity section: generated/real ratios and precision/recall, with targets. */
function diversitySection(linked: MetricsJson, baseline?: MetricsJson): string[] {
  const d = linked.diversity;
  if (!d) return [];
  const row = (name: string, m: MetricsJson) => {
    const x = m.diversity;
    if (!x) return `| ${name} | – | – | – | – | – | – |`;
    const f = (pr: { precision: number; recall: number } | undefined) => (pr ? `${pr.precision.toFixed(3)} | ${pr.recall.toFixed(3)}` : "– | –");
    return `| ${name} | ${x.stdRatio.toFixed(3)} | ${x.pairwiseRatio.toFixed(3)} | ${f(x.layoutPrecisionRecall)} | ${f(x.precisionRecall)} |`;
  };
  const recall = targetRecall(d);
  return [
    "## Diversity",
    "",
    "Generated against real images: the ratio of the per-pixel standard deviation and of the mean pairwise squared distance (1 = as varied as the data, 0 = one image), and precision/recall (k = 3) in two feature spaces of the part segmenter: the part layout (class probabilities pooled to 8×8: which hairstyles, face shapes and expressions are covered; what the recall target reads) and its bottleneck (which also falls with blur: a 3×3 blur of real faces halves it).",
    "",
    "| model | std ratio | pairwise ratio | layout precision | layout recall | bottleneck precision | bottleneck recall |",
    "|---|---|---|---|---|---|---|",
    row(baseline ? "linked" : "this model", linked),
    ...(baseline ? [row("baseline (no links)", baseline)] : []),
    "",
    `Targets: std ratio ≥ ${TARGETS.stdRatio} (${verdict(d.stdRatio >= TARGETS.stdRatio)}), pairwise ratio ≥ ${TARGETS.pairwiseRatio} (${verdict(d.pairwiseRatio >= TARGETS.pairwiseRatio)}), recall ≥ ${TARGETS.recall} (${recall === undefined ? "not measured" : verdict(recall >= TARGETS.recall)}).`,
    "",
  ];
}

/** The model card's comparison with the baseline: locality and edit strength per region, then SWD and recall, with targets. */
function comparison(linked: MetricsJson, baseline: MetricsJson): string[] {
  const row = (name: string, l: LocalityFigures, b: LocalityFigures | undefined) => {
    const local = l.ratio <= TARGETS.locality && b !== undefined && b.ratio >= TARGETS.baselineFactor * l.ratio;
    const strength = b ? l.mseIn / b.mseIn : undefined;
    return `| ${name} | ${l.ratio.toFixed(3)} | ${b ? b.ratio.toFixed(3) : "–"} | ${b ? (b.ratio / l.ratio).toFixed(1) : "–"}× | ${verdict(local)} | ${strength === undefined ? "–" : strength.toFixed(2)} | ${verdict(strength !== undefined && strength >= TARGETS.editStrength)} |`;
  };
  const rows = (linked.locality ?? []).flatMap((l) => {
    const b = baseline.locality?.find((x) => x.region === l.region);
    return [row(l.region, l, b), ...(l.union ? [row(`${l.region} (union of masks)`, l.union, b?.union)] : [])];
  });
  const semantic = (linked.locality ?? []).some((l) => l.union);
  const swd = linked.swd && baseline.swd ? linked.swd.mean / baseline.swd.mean : undefined;
  const [lr, br] = [targetRecall(linked.diversity), targetRecall(baseline.diversity)];
  return [
    "## Locality against the baseline",
    "",
    `MSE_o / MSE_i when a region's axes are resampled (lower is more local). Target: ≤ ${TARGETS.locality} for the linked model and a baseline at least ${TARGETS.baselineFactor}× worse. Edit strength: the linked model's MSE_i over the baseline's (target ≥ ${TARGETS.editStrength}: an edit must visibly change its region).`,
    "",
    "| region | linked | baseline (no links) | baseline / linked | locality target | edit strength | strength target |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    ...(semantic
      ? [
          "A semantic region's mask follows each image. Its first row takes the base image's mask, so hair that an edit grows counts as change outside the region; its \"union of masks\" row takes the pixels in the mask of either image compared (what the regularizer's terms use).",
          "",
        ]
      : []),
    swd === undefined
      ? "SWD: not measured for both."
      : `SWD ×10³ (mean over pyramid levels): linked ${linked.swd!.mean.toFixed(2)}, baseline ${baseline.swd!.mean.toFixed(2)}; ratio ${swd.toFixed(3)} (target ≤ ${TARGETS.quality.toFixed(2)}: ${verdict(swd <= TARGETS.quality)}).`,
    lr === undefined || br === undefined ? "Recall: not measured for both." : `Recall: linked ${lr.toFixed(3)}, baseline ${br.toFixed(3)} (target: at least the baseline's / ${TARGETS.quality.toFixed(2)}: ${verdict(lr * TARGETS.quality >= br)}).`,
    "",
  ];
}

export function modelCardMarkdown(p: PackedModel): string {
  const m = p.manifest;
  const c = m.card;
  const metrics = c.metrics as { linked?: MetricsJson; baseline?: MetricsJson };
  const lines = [
    `# ${c.title}`,
    "",
    c.description,
    "",
    `- Model: \`${m.name}\`, version \`${m.version}\`, ${m.generator.resolution}×${m.generator.resolution} px, W ${m.generator.wDim}-d`,
    `- Trained by: ${m.provenance.trainer} on backend ${m.provenance.backend ?? "?"}, run \`${m.provenance.run ?? "?"}\``,
    `- Weights: ${m.shards.reduce((a, s) => a + s.bytes, 0).toLocaleString("en")} bytes in ${m.shards.length} shard(s)`,
    "",
    "## Linked regions",
    "",
    "| region | W axes | mask |",
    "|---|---|---|",
    ...m.regions.map((r) => `| ${r.label ?? r.name} (\`${r.name}\`) | [${r.axes.start}, ${r.axes.end}) | ${r.mask.kind === "semantic" ? `semantic: the segmenter's \`${r.mask.class}\` in each image` : JSON.stringify(r.mask)} |`),
    "",
    ...(m.segmenter
      ? [
          `${m.regions.some((r) => r.mask.kind === "semantic") ? "Semantic masks come from the bundled segmenter" : "No region is semantic; the bundled segmenter is the feature network of inversion's projector steps (`POST /v1/models/{model}/invert`)"} (\`segmenter.*\` weights in the same shards): a U-Net at ${m.segmenter.resolution} px, channels [${m.segmenter.channels.join(", ")}], classes ${m.segmenter.classes.map((k) => `\`${k}\``).join(", ")}${(m.provenance.config as { segmenter?: { path: string; version: string } } | undefined)?.segmenter ? `, exported on its own as \`${(m.provenance.config as { segmenter: { path: string; version: string } }).segmenter.path}\` (\`${(m.provenance.config as { segmenter: { path: string; version: string } }).segmenter.version}\`; its held-out IoU is in its card)` : ""}.`,
          "",
        ]
      : []),
    "## Pictures",
    "",
    `![${PICTURE_TEXT.seedsAlt}](${PICTURES.seeds})`,
    "",
    PICTURE_TEXT.seeds,
    "",
    `![${PICTURE_TEXT.editsAlt}](${PICTURES.edits})`,
    "",
    `${PICTURE_TEXT.edits} \`npm run pictures -- --model DIR\` renders both again.`,
    "",
    ...proseSections(c),
    "## Data and licences",
    "",
    ...datasetLines(c),
    "",
    ...(metrics.linked && metrics.baseline ? comparison(metrics.linked, metrics.baseline) : []),
    ...diversitySection(metrics.linked ?? (c.metrics as MetricsJson), metrics.baseline),
    "## Metrics",
    "",
    "```json",
    JSON.stringify(c.metrics, null, 2),
    "```",
    "",
  ];
  return lines.join("\n");
}
