/**
 * A training run in its folder:
 *   runs/<name>/config.json         the run's TrainConfig (a resumed run must match it)
 *   runs/<name>/checkpoints/step-N/ the last few checkpoints (atomic; resume picks the newest)
 *   runs/<name>/samples/            seed grids and region-resample grids (PNG) at intervals
 *   runs/<name>/metrics.jsonl       one JSON object per log interval (means over the interval), and
 *                                   with every sample grid a row of diversity figures (diversity/…)
 *   runs/<name>/curves.svg|png      training curves, redrawn with every sample grid
 * Stop it at any moment (Ctrl-C saves a checkpoint first); run the same command again to continue.
 *
 * runs/ is not kept by a fresh checkout. With `compactDir` (e.g. weights/in-progress/<name>), every
 * checkpoint is also written there in compact form (checkpoint/, float16 weights, about a quarter
 * of the bytes) with the run's summary (config.json, metrics.jsonl, curves.png, latest.png); commit
 * that folder, and the same command on a fresh checkout resumes from it.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import sharp from "sharp";
import cliProgress from "cli-progress";
import { formatTime } from "../cli/format-time.ts";
import { canonicalJson } from "../../shared/weights/content-id.ts";
import type { ParamValues } from "../../shared/generator/params.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { mirrorToCompact, resumeFromCompact } from "./compact.ts";
import { type TrainConfig, TrainConfig as TrainConfigSchema } from "./config.ts";
import { curvesSvg } from "./curves.ts";
import { catchInterrupt } from "./interrupt.ts";
import { openPinnedSegmenter } from "../segmenter/open.ts";
import { regionGrid, seedGrid } from "./samples.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatedImages, realImages } from "../metrics/image-sets.ts";
import { measureDiversity } from "../metrics/diversity.ts";
import { Trainer, type TrainingData } from "./trainer.ts";

export interface RunOptions {
  runDir: string;
  config: TrainConfig;
  data: TrainingData;
  /** Start from this checkpoint's EMA generator and D (e.g. links on after pretraining). */
  fineTuneFrom?: string;
  /** Start from these generator weights (a published model) with a fresh D; ignored when resuming. */
  fineTuneFromWeights?: ParamValues;
  /** Stop after this many steps in this invocation (a resumable piece of a long run). */
  maxSteps?: number;
  keepCheckpoints?: number;
  /** Mirror every checkpoint here in compact form with the run's summary, and resume from it when the run folder has none. */
  compactDir?: string;
  /** Called after every step; throw to stop the run before a bad step is checkpointed (webgpu's Dawn errors). */
  afterStep?: () => void;
  quiet?: boolean;
}

const pad = (n: number) => String(n).padStart(9, "0");

/** Images per set for the periodic diversity figures (npm run metrics measures 1000 and more). */
export const DIVERSITY_IMAGES = 256;

export async function runTraining(opts: RunOptions): Promise<{ trainer: Trainer; finished: boolean }> {
  const { runDir, config } = opts;
  await mkdir(join(runDir, "samples"), { recursive: true });
  const cfgPath = join(runDir, "config.json");
  const existing = await readFile(cfgPath, "utf8").catch(() => null);
  if (existing !== null) {
    const prev = TrainConfigSchema.parse(JSON.parse(existing));
    if (canonicalJson(prev) !== canonicalJson(config)) {
      throw new Error(`${cfgPath} holds a different config; use a new run folder, or pass the run's own config.json`);
    }
  } else {
    await writeFile(cfgPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  let ckpts = await listCheckpoints(runDir);
  // A fresh checkout: the run continues from its committed compact checkpoint and summary.
  const fromCompact = !ckpts.length && opts.compactDir ? await resumeFromCompact(runDir, opts.compactDir) : undefined;
  if (fromCompact) ckpts = [fromCompact];
  const segmenter = config.segmenter ? (await openPinnedSegmenter(config.segmenter)).segmenter : undefined;
  const trainer = ckpts.length
    ? await Trainer.resume(ckpts.at(-1)!, config, opts.data, { ...(segmenter ? { segmenter } : {}) })
    : opts.fineTuneFrom
      ? await Trainer.resume(opts.fineTuneFrom, config, opts.data, { fineTune: true, ...(segmenter ? { segmenter } : {}) })
      : opts.fineTuneFromWeights
        ? Trainer.fromGenerator(config, opts.data, opts.fineTuneFromWeights, segmenter)
        : Trainer.create(config, opts.data, segmenter);
  const totalSteps = Math.ceil((config.totalKimg * 1000) / config.batch);
  const log = (s: string) => opts.quiet || process.stderr.write(`${s}\n`);
  log(`${runDir}: ${ckpts.length ? `resuming at step ${trainer.step}${fromCompact ? ` from the compact checkpoint in ${opts.compactDir}` : ""}` : opts.fineTuneFrom ? `fine-tuning from ${opts.fineTuneFrom}` : opts.fineTuneFromWeights ? "fine-tuning from a published generator" : "new run"}, ${totalSteps} steps (${config.totalKimg} kimg), batch ${config.batch}, links ${config.links}`);

  const interrupt = catchInterrupt(log);

  const bar = opts.quiet
    ? null
    : new cliProgress.SingleBar(
        { format: "train |{bar}| {value}/{total} steps | {kimg} kimg | {rate} img/s | ETA {eta_formatted} | {losses}", etaBuffer: 50, hideCursor: true, noTTYOutput: true, notTTYSchedule: 30_000, formatTime },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(totalSteps, trainer.step, { kimg: trainer.kimg.toFixed(1), rate: "…", losses: "" });

  const saveCheckpoint = async () => {
    await trainer.save(join(runDir, "checkpoints", `step-${pad(trainer.step)}`));
    const all = await listCheckpoints(runDir);
    for (const old of all.slice(0, Math.max(0, all.length - (opts.keepCheckpoints ?? 3)))) await rm(old, { recursive: true, force: true });
    if (opts.compactDir) await mirrorToCompact(runDir, opts.compactDir, (dir) => trainer.save(dir, { compact: true }), ["config.json", "metrics.jsonl", "curves.png", "sessions.jsonl"]);
  };
  let reals: Float32Array[] | undefined;
  /** Diversity of the EMA generator against the data (pixel spread; precision/recall with a segmenter). */
  const logDiversity = async (values: ParamValues) => {
    reals ??= await realImages(opts.data, DIVERSITY_IMAGES);
    const g = Generator.fromValues(config.generator, values);
    try {
      const d = await measureDiversity(reals, await generatedImages(g, reals.length), config.generator.resolution, segmenter);
      const pr = d.precisionRecall;
      const lpr = d.layoutPrecisionRecall;
      const row = {
        step: trainer.step,
        kimg: trainer.kimg,
        "diversity/stdRatio": d.stdRatio,
        "diversity/pairwiseRatio": d.pairwiseRatio,
        ...(pr ? { "diversity/precision": pr.precision, "diversity/recall": pr.recall } : {}),
        ...(lpr ? { "diversity/layoutPrecision": lpr.precision, "diversity/layoutRecall": lpr.recall } : {}),
      };
      await appendFile(join(runDir, "metrics.jsonl"), `${JSON.stringify(row)}\n`);
      log(`${runDir}: step ${trainer.step}, diversity (${reals.length} images): std ratio ${d.stdRatio.toFixed(3)}, pairwise ratio ${d.pairwiseRatio.toFixed(3)}${lpr ? `, layout precision ${lpr.precision.toFixed(3)}, layout recall ${lpr.recall.toFixed(3)}` : ""}${pr ? `, precision ${pr.precision.toFixed(3)}, recall ${pr.recall.toFixed(3)}` : ""}`);
    } finally {
      g.dispose();
    }
  };
  const writeSamples = async () => {
    const values = await trainer.emaValues();
    await logDiversity(values);
    const tag = `step-${pad(trainer.step)}`;
    const seeds = await seedGrid(config.generator, values, Array.from({ length: 32 }, (_, i) => i));
    await writeFile(join(runDir, "samples", `${tag}-seeds.png`), seeds);
    if (opts.compactDir) {
      // Committed to git with every checkpoint: a palette PNG is a fifth of the size.
      await mkdir(opts.compactDir, { recursive: true });
      await sharp(seeds).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(join(opts.compactDir, "latest.png"));
    }
    if (config.regions.length) await writeFile(join(runDir, "samples", `${tag}-regions.png`), await regionGrid(config.generator, values, config.regions, [0, 1], { segmenter }));
    const lines = (await readFile(join(runDir, "metrics.jsonl"), "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const svg = curvesSvg(lines, runDir);
    await writeFile(join(runDir, "curves.svg"), svg);
    await writeFile(join(runDir, "curves.png"), new Resvg(svg, { logLevel: "off" }).render().asPng());
  };

  let sums: Record<string, number> = {};
  let counts: Record<string, number> = {};
  let t0 = performance.now();
  let imgs = 0;
  let steps = 0;
  while (trainer.step < totalSteps && !interrupt.requested() && (opts.maxSteps === undefined || steps < opts.maxSteps)) {
    const m = await trainer.trainStep();
    opts.afterStep?.();
    steps++;
    imgs += config.batch;
    for (const [k, v] of Object.entries(m)) {
      sums[k] = (sums[k] ?? 0) + v;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const s = trainer.step;
    if (s % config.logEvery === 0 || s === totalSteps) {
      const secs = (performance.now() - t0) / 1000;
      const means = Object.fromEntries(Object.keys(sums).map((k) => [k, sums[k]! / counts[k]!]));
      const rate = imgs / secs;
      await appendFile(join(runDir, "metrics.jsonl"), `${JSON.stringify({ step: s, kimg: trainer.kimg, imgPerSec: rate, time: new Date().toISOString(), ...means })}\n`);
      bar?.update(s, { kimg: trainer.kimg.toFixed(1), rate: rate.toFixed(1), losses: `G ${means["G/loss"]?.toFixed(3)} D ${means["D/loss"]?.toFixed(3)}${means["G/link"] !== undefined ? ` link ${means["G/link"].toFixed(4)}` : ""}` });
      sums = {};
      counts = {};
      t0 = performance.now();
      imgs = 0;
    } else {
      bar?.update(s);
    }
    if (s % config.samplesEvery === 0) await writeSamples();
    if (s % config.checkpointEvery === 0) await saveCheckpoint();
  }
  bar?.stop();
  interrupt.release();
  const finished = trainer.step >= totalSteps;
  await writeSamples();
  await saveCheckpoint();
  log(finished ? `${runDir}: finished at step ${trainer.step}` : `${runDir}: paused at step ${trainer.step}; run the same command to continue`);
  return { trainer, finished };
}
