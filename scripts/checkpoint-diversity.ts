/**
 * npm run checkpoint-diversity -- --config runs/faces64-pretrain-ada/config.json --checkpoints CKPT,CKPT,… [--images 1000] [--out rows.jsonl]
 *
 * The diversity and quality figures of `npm run metrics` (pixel-spread ratios, part-layout and
 * bottleneck precision/recall, SWD) for the EMA generator of training checkpoints, against the run's dataset with
 * the run's segmenter, at more images than the run's periodic rows (256): how a figure moved over a
 * run. A checkpoint is a folder with state.json (a run's checkpoints/step-N, or a compact
 * checkpoint; an older committed one comes back with
 * `git archive COMMIT weights/in-progress/NAME/checkpoint | tar -x -C tmp/COMMIT`).
 */
import { Generator } from "../shared/generator/generator.ts";
import { selectBackend } from "../trainer/backends.ts";
import { appendFile } from "node:fs/promises";
import { command, fail, int, list, readJson, str } from "../trainer/cli/args.ts";
import { openDataset } from "../trainer/data/open.ts";
import { measureDiversity } from "../trainer/metrics/diversity.ts";
import { generatedImages, realImages } from "../trainer/metrics/image-sets.ts";
import { slicedWasserstein } from "../trainer/metrics/swd.ts";
import { openPinnedSegmenter } from "../trainer/segmenter/open.ts";
import { loadCheckpoint, paramValues } from "../trainer/training/checkpoint.ts";
import { TrainConfig } from "../trainer/training/config.ts";

const cli = command({
  run: "npm run checkpoint-diversity --",
  name: "checkpoint-diversity",
  summary: "Diversity and precision/recall of training checkpoints' EMA generators against the run's dataset, one table row each.",
  flags: {
    config: { value: "FILE", help: "the run's config.json (generator, dataset, segmenter)", type: str(), required: true },
    checkpoints: { value: "DIRS", help: "checkpoint folders (state.json + tensors.bin), comma-separated", type: list(), required: true },
    images: { value: "N", help: "generated and real images per checkpoint", type: int(4, 100_000), default: 1000 },
    out: { value: "FILE", help: "also append one JSON row per checkpoint", type: str() },
    "dataset-row": { switch: true, help: "first a row for as many other dataset faces in place of a generator's (what a perfect generator would score)" },
  },
  examples: ["npm run checkpoint-diversity -- --config runs/faces64-pretrain-ada/config.json --checkpoints runs/faces64-pretrain-ada/checkpoints/step-000005000"],
});
const f = cli.parseOrExit();
const cmd = "checkpoint-diversity";
const config = await readJson(cmd, f.config, TrainConfig);
if (!config.segmenter) fail(cmd, `${f.config}: names no segmenter, so there is no feature space for precision/recall`);
const backend = await selectBackend("auto").catch((e: Error) => fail(cmd, e.message));
console.error(`backend: ${backend.name}`);
const res = config.generator.resolution;
const data = await openDataset(config.dataset ?? fail(cmd, `${f.config}: names no dataset to compare against`), res);
const { segmenter } = await openPinnedSegmenter(config.segmenter).catch((e: Error) => fail(cmd, `segmenter: ${e.message}`));
const real = await realImages(data, f.images);
console.log(`| checkpoint | step | kimg | std ratio | pairwise ratio | layout precision | layout recall | bottleneck precision | bottleneck recall | SWD ×10³ |`);
console.log("|---|---|---|---|---|---|---|---|---|---|");
/** Prints (and with --out appends) one row of figures for `fake` against the real set. */
async function row(name: string, fake: Float32Array[], meta: { step?: number; kimg?: number }): Promise<void> {
  const d = await measureDiversity(real, fake, res, segmenter);
  const swd = slicedWasserstein(real, fake, res).mean;
  const lpr = d.layoutPrecisionRecall!;
  const pr = d.precisionRecall!;
  const r = { checkpoint: name, ...meta, images: d.images, stdRatio: d.stdRatio, pairwiseRatio: d.pairwiseRatio, layoutPrecision: lpr.precision, layoutRecall: lpr.recall, precision: pr.precision, recall: pr.recall, swd };
  console.log(`| ${name} | ${r.step ?? "–"} | ${r.kimg?.toFixed(1) ?? "–"} | ${r.stdRatio.toFixed(3)} | ${r.pairwiseRatio.toFixed(3)} | ${r.layoutPrecision.toFixed(3)} | ${r.layoutRecall.toFixed(3)} | ${r.precision.toFixed(3)} | ${r.recall.toFixed(3)} | ${swd.toFixed(2)} |`);
  if (f.out) await appendFile(f.out, `${JSON.stringify(r)}\n`);
}
// Other dataset faces, between the real set's (a disjoint set while --images ≤ half the dataset).
if (f["dataset-row"]) await row("dataset (other faces)", await realImages(data, f.images, 0.5), {});
for (const dir of f.checkpoints) {
  const { meta, tensors } = await loadCheckpoint(dir).catch((e: Error) => fail(cmd, e.message));
  const values = paramValues(tensors, "Gema/");
  if (!values.size) fail(cmd, `${dir}: holds no EMA generator (Gema/…): not a GAN training checkpoint`);
  const g = Generator.fromValues(config.generator, values);
  const fake = await generatedImages(g, f.images);
  g.dispose();
  await row(dir, fake, { step: meta.step as number, kimg: meta.kimg as number });
}
segmenter.dispose();
