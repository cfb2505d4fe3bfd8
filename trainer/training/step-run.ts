import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { canonicalJson } from "../../shared/weights/content-id.ts";
import { formatTime } from "../cli/format-time.ts";
import { listCheckpoints } from "./checkpoint.ts";
import { mirrorToCompact, resumeFromCompact } from "./compact.ts";
import { catchInterrupt } from "./interrupt.ts";

/**
 * The run folder of a network trained by plain steps (the part segmenter, the inversion encoder;
 * the GAN has its own, with phases: run.ts): config.json pinned on the first run and checked on
 * every resume, the newest checkpoint resumed, a progress bar with rate and ETA, a metrics.jsonl
 * row of means every `logEvery` steps, a checkpoint every `checkpointEvery` (the newest two kept)
 * and on Ctrl-C, and a last one at the end; with `compactDir`, a committed copy (compact.ts).
 */

/** What a network trainer gives the loop. */
export interface StepTrainer<K extends string> {
  step: number;
  lrAt(step: number): number;
  trainStep(): Promise<Record<K, number>>;
  /** `compact`: the committed form (compact.ts); otherwise exact float32. */
  save(dir: string, opts?: { compact?: boolean }): Promise<void>;
}

export interface StepRun<T extends StepTrainer<K>, K extends string> {
  runDir: string;
  /** The run's whole config: written to config.json on the first run, which every resume must equal. */
  config: { steps: number; logEvery: number; checkpointEvery: number };
  /** The trainer: resumed from `checkpoint` (the newest one) or, without one, new. */
  open: (checkpoint: string | undefined) => Promise<T>;
  /** The progress bar's label, e.g. "segmenter". */
  name: string;
  /** Images per step, for the rate. */
  imagesPerStep: number;
  /** What a step is, after "N steps, " in the first line (e.g. "batch 32"). */
  describe: string;
  /** The metrics averaged into each log row, in order. */
  keys: readonly K[];
  /** The bar's fields from a row's means, e.g. { loss: "0.1234" }, each shown as `name {name}`. */
  show: (mean: Record<K, number>) => Record<string, string>;
  /** After every checkpoint (e.g. a picture of the network's progress). */
  afterSave?: (trainer: T) => Promise<void>;
  /**
   * Mirror every checkpoint here in compact form (checkpoint/) with config.json, metrics.jsonl and
   * `summaryFiles`, and resume from it when the run folder has no checkpoint (a fresh checkout).
   */
  compactDir?: string;
  /** Files of the run folder also copied into `compactDir` (e.g. a picture written by `afterSave`). */
  summaryFiles?: readonly string[];
  /** Train at most this many steps now (a resumable piece). */
  maxSteps?: number;
  quiet?: boolean;
}

const pad = (n: number) => String(n).padStart(9, "0");

/**
 * Train (or resume) in `runDir`. Ctrl-C checkpoints and stops; the same call continues.
 *
 * @example
 * const { trainer, finished } = await runSteps({ runDir, config, open: (ckpt) => ckpt ? T.resume(ckpt, …) : T.create(…),
 *   name: "segmenter", imagesPerStep: config.batch, describe: `batch ${config.batch}`, keys: ["loss", "accuracy"],
 *   show: (m) => ({ loss: m.loss.toFixed(4), acc: m.accuracy.toFixed(4) }) });
 */
export async function runSteps<T extends StepTrainer<K>, K extends string>(o: StepRun<T, K>): Promise<{ trainer: T; finished: boolean }> {
  const { runDir, config } = o;
  await mkdir(runDir, { recursive: true });
  const cfgPath = join(runDir, "config.json");
  const existing = await readFile(cfgPath, "utf8").catch(() => null);
  if (existing !== null && canonicalJson(JSON.parse(existing)) !== canonicalJson(config)) {
    throw new Error(`${cfgPath} holds a different config; use a new run folder, or pass the run's own config.json`);
  }
  if (existing === null) await writeFile(cfgPath, `${JSON.stringify(config, null, 2)}\n`);
  const own = (await listCheckpoints(runDir)).at(-1);
  const fromCompact = !own && o.compactDir ? await resumeFromCompact(runDir, o.compactDir) : undefined;
  const latest = own ?? fromCompact;
  const trainer = await o.open(latest);
  const log = (s: string) => o.quiet || process.stderr.write(`${s}\n`);
  log(`${runDir}: ${latest ? `resuming at step ${trainer.step}${fromCompact ? ` from the compact checkpoint in ${o.compactDir}` : ""}` : "new run"}, ${config.steps} steps, ${o.describe}`);

  const interrupt = catchInterrupt(log);
  // cli-progress fills only word-character tokens: a field "w-mse" is shown as `w-mse {w_mse}`.
  const token = (f: string) => f.replace(/\W+/g, "_");
  const tokens = (shown: Record<string, string>) => Object.fromEntries(Object.entries(shown).map(([f, v]) => [token(f), v]));
  const names = Object.keys(o.show(Object.fromEntries(o.keys.map((k) => [k, 0])) as Record<K, number>));
  const blank = Object.fromEntries(names.map((f) => [token(f), "…"]));
  const fields = names.map((f) => `${f} {${token(f)}}`).join(" ");
  const bar = o.quiet
    ? null
    : new cliProgress.SingleBar(
        { format: `${o.name} |{bar}| {value}/{total} steps | {rate} img/s | ETA {eta_formatted} | ${fields}`, etaBuffer: 50, hideCursor: true, noTTYOutput: true, notTTYSchedule: 30_000, formatTime },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(config.steps, trainer.step, { rate: "…", ...blank });
  const save = async () => {
    await trainer.save(join(runDir, "checkpoints", `step-${pad(trainer.step)}`));
    const all = await listCheckpoints(runDir);
    for (const old of all.slice(0, Math.max(0, all.length - 2))) await rm(old, { recursive: true, force: true });
    await o.afterSave?.(trainer);
    if (o.compactDir) await mirrorToCompact(runDir, o.compactDir, (dir) => trainer.save(dir, { compact: true }), ["config.json", "metrics.jsonl", ...(o.summaryFiles ?? [])]);
  };
  const zeros = () => Object.fromEntries(o.keys.map((k) => [k, 0])) as Record<K, number>;
  let sums = zeros();
  let count = 0;
  let t0 = performance.now();
  let done = 0;
  while (trainer.step < config.steps && !interrupt.requested() && (o.maxSteps === undefined || done < o.maxSteps)) {
    const m = await trainer.trainStep();
    done++;
    for (const k of o.keys) sums[k] += m[k];
    count++;
    const s = trainer.step;
    if (s % config.logEvery === 0 || s === config.steps) {
      const rate = (count * o.imagesPerStep) / ((performance.now() - t0) / 1000);
      const mean = Object.fromEntries(o.keys.map((k) => [k, sums[k] / count])) as Record<K, number>;
      await appendFile(join(runDir, "metrics.jsonl"), `${JSON.stringify({ step: s, lr: trainer.lrAt(s - 1), ...mean, imgPerSec: rate, time: new Date().toISOString() })}\n`);
      bar?.update(s, { rate: rate.toFixed(1), ...tokens(o.show(mean)) });
      sums = zeros();
      count = 0;
      t0 = performance.now();
    } else bar?.update(s);
    if (s % config.checkpointEvery === 0) await save();
  }
  bar?.stop();
  interrupt.release();
  await save();
  const finished = trainer.step >= config.steps;
  log(finished ? `${runDir}: finished at step ${trainer.step}` : `${runDir}: paused at step ${trainer.step}; run the same command to continue`);
  return { trainer, finished };
}
