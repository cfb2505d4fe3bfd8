/**
 * Training the segmenter: softmax cross-entropy on part label maps, Adam, seeded augmentation, and
 * a run folder like the generator's (config.json, checkpoints/step-N/, metrics.jsonl), so a run
 * stops on Ctrl-C with a checkpoint and the same command resumes it exactly.
 */
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { type ParamSpec, type ParamValues, initParams } from "../../shared/generator/params.ts";
import { Prng, type PrngState } from "../../shared/random/prng.ts";
import { segmenterLogits } from "../../shared/segmenter/network.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { canonicalJson, sha256Hex } from "../../shared/weights/content-id.ts";
import { formatTime } from "../cli/format-time.ts";
import { tf } from "../tf-node.ts";
import { Adam } from "../training/adam.ts";
import { type TensorData, listCheckpoints, loadCheckpoint, saveCheckpoint } from "../training/checkpoint.ts";
import { type DataOrder, nextIndices } from "../training/data-order.ts";
import { catchInterrupt } from "../training/interrupt.ts";
import type { SegmenterTrainConfig } from "./config.ts";
import type { PartData } from "./labels.ts";

export class SegmenterTrainer {
  step = 0;
  private readonly params: Record<string, tf.Variable>;
  private readonly specs: ParamSpec[];
  private readonly opt: Adam;
  private dataOrder: DataOrder = { order: [], orderPos: 0 };

  /**
   * @param data training images (indices 0…data.size−1 are the training set)
   * @param labels their label maps, [size·H·W]
   */
  constructor(
    readonly config: SegmenterTrainConfig,
    private readonly data: PartData,
    private readonly labels: Uint8Array,
    private rng: Prng,
    values?: ParamValues,
  ) {
    this.specs = segmenterParamSpecs(config.segmenter);
    const init = values ?? initParams(this.specs, config.seed);
    const id = instances++;
    this.params = Object.fromEntries(this.specs.map((s) => [s.name, tf.variable(tf.tensor(init.get(s.name)!, s.shape), true, `seg${id}/${s.name}`)]));
    this.opt = new Adam(config.lr, 0.9, 0.999);
  }

  static create(config: SegmenterTrainConfig, data: PartData, labels: Uint8Array): SegmenterTrainer {
    return new SegmenterTrainer(config, data, labels, new Prng(config.seed, 7));
  }

  static async resume(dir: string, config: SegmenterTrainConfig, data: PartData, labels: Uint8Array): Promise<SegmenterTrainer> {
    const { meta, tensors } = await loadCheckpoint(dir);
    if (meta.configHash !== (await configHash(config))) throw new Error(`checkpoint ${dir} was written by a different config; resume with the run's own config.json`);
    const values: ParamValues = new Map([...tensors].filter(([k]) => k.startsWith("S/")).map(([k, v]) => [k.slice(2), v.data]));
    const t = new SegmenterTrainer(config, data, labels, Prng.fromState(meta.rng as PrngState), values);
    t.step = meta.step as number;
    t.dataOrder = { order: meta.order as number[], orderPos: meta.orderPos as number };
    t.opt.load("opt/", tensors);
    return t;
  }

  async save(dir: string): Promise<void> {
    const tensors = new Map<string, TensorData>();
    for (const [k, v] of Object.entries(this.params)) tensors.set(`S/${k}`, { shape: v.shape, data: (await v.data()) as Float32Array });
    for (const [k, v] of await this.opt.state("opt/")) tensors.set(k, v);
    await saveCheckpoint(dir, { step: this.step, rng: this.rng.state(), order: this.dataOrder.order, orderPos: this.dataOrder.orderPos, configHash: await configHash(this.config) }, tensors);
  }

  async values(): Promise<ParamValues> {
    const out: ParamValues = new Map();
    for (const s of this.specs) out.set(s.name, (await this.params[s.name]!.data()) as Float32Array);
    return out;
  }

  private nextIndices(n: number): number[] {
    return nextIndices(this.dataOrder, this.data.size, n, this.rng);
  }

  /** The learning rate of step `s`: constant, then linear decay to 10 % over the last `decayFraction`. */
  lrAt(s: number): number {
    const c = this.config;
    const start = c.steps * (1 - c.decayFraction);
    if (s < start) return c.lr;
    return c.lr * (1 - (0.9 * (s - start)) / Math.max(1, c.steps - start));
  }

  /** One step; returns the batch's mean cross-entropy and pixel accuracy. */
  async trainStep(): Promise<{ loss: number; accuracy: number }> {
    const c = this.config;
    const res = c.segmenter.resolution;
    const n = res * res;
    const idx = this.nextIndices(c.batch);
    const x = await this.data.batch(idx);
    // Augment on the host from the run's PRNG (exact resume).
    for (let j = 0; j < idx.length; j++) {
      const shift = [0, 1, 2].map(() => this.rng.normal() * c.colorShiftStd);
      const noise = c.noiseStd > 0 ? this.rng.normals(n * 3) : undefined;
      for (let p = 0; p < n * 3; p++) x[j * n * 3 + p]! += shift[p % 3]! + (noise ? noise[p]! * c.noiseStd : 0);
    }
    const y = new Int32Array(idx.length * n);
    for (const [j, i] of idx.entries()) for (let p = 0; p < n; p++) y[j * n + p] = this.labels[i * n + p]!;
    const images = tf.tensor4d(x, [idx.length, res, res, 3]);
    const target = tf.oneHot(tf.tensor1d(y, "int32"), c.segmenter.classes.length);
    let accuracy: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = tf.reshape(segmenterLogits(this.params, c.segmenter, images), [-1, c.segmenter.classes.length]);
      accuracy = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(target, 1)), "float32")));
      return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
    }, Object.values(this.params));
    this.opt.lr = this.lrAt(this.step);
    this.opt.step(this.params, grads);
    const loss = (await value.data())[0]!;
    const acc = (await accuracy!.data())[0]!;
    tf.dispose([value, accuracy!, images, target, ...Object.values(grads)]);
    this.step++;
    return { loss, accuracy: acc };
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    this.opt.dispose();
  }
}

export async function configHash(c: SegmenterTrainConfig): Promise<string> {
  return (await sha256Hex(canonicalJson(c))).slice(0, 16);
}

let instances = 0;

const pad = (n: number) => String(n).padStart(9, "0");

/** Train (or resume) in `runDir`; `maxSteps` trains a resumable piece. Ctrl-C checkpoints and stops. */
export async function runSegmenterTraining(opts: {
  runDir: string;
  config: SegmenterTrainConfig;
  data: PartData;
  labels: Uint8Array;
  maxSteps?: number;
  quiet?: boolean;
}): Promise<{ trainer: SegmenterTrainer; finished: boolean }> {
  const { runDir, config } = opts;
  await mkdir(runDir, { recursive: true });
  const cfgPath = join(runDir, "config.json");
  const existing = await readFile(cfgPath, "utf8").catch(() => null);
  if (existing !== null && canonicalJson(JSON.parse(existing)) !== canonicalJson(config)) {
    throw new Error(`${cfgPath} holds a different config; use a new run folder, or pass the run's own config.json`);
  }
  if (existing === null) await writeFile(cfgPath, `${JSON.stringify(config, null, 2)}\n`);
  const ckpts = await listCheckpoints(runDir);
  const trainer = ckpts.length ? await SegmenterTrainer.resume(ckpts.at(-1)!, config, opts.data, opts.labels) : SegmenterTrainer.create(config, opts.data, opts.labels);
  const log = (s: string) => opts.quiet || process.stderr.write(`${s}\n`);
  log(`${runDir}: ${ckpts.length ? `resuming at step ${trainer.step}` : "new run"}, ${config.steps} steps, batch ${config.batch}`);

  const interrupt = catchInterrupt(log);
  const bar = opts.quiet
    ? null
    : new cliProgress.SingleBar(
        { format: "segmenter |{bar}| {value}/{total} steps | {rate} img/s | ETA {eta_formatted} | loss {loss} acc {acc}", etaBuffer: 50, hideCursor: true, noTTYOutput: true, notTTYSchedule: 30_000, formatTime },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(config.steps, trainer.step, { rate: "…", loss: "…", acc: "…" });
  const save = async () => {
    await trainer.save(join(runDir, "checkpoints", `step-${pad(trainer.step)}`));
    const all = await listCheckpoints(runDir);
    for (const old of all.slice(0, Math.max(0, all.length - 2))) await rm(old, { recursive: true, force: true });
  };
  let sums = { loss: 0, accuracy: 0, n: 0 };
  let t0 = performance.now();
  let done = 0;
  while (trainer.step < config.steps && !interrupt.requested() && (opts.maxSteps === undefined || done < opts.maxSteps)) {
    const m = await trainer.trainStep();
    done++;
    sums = { loss: sums.loss + m.loss, accuracy: sums.accuracy + m.accuracy, n: sums.n + 1 };
    const s = trainer.step;
    if (s % config.logEvery === 0 || s === config.steps) {
      const rate = (sums.n * config.batch) / ((performance.now() - t0) / 1000);
      const row = { step: s, lr: trainer.lrAt(s - 1), loss: sums.loss / sums.n, accuracy: sums.accuracy / sums.n, imgPerSec: rate, time: new Date().toISOString() };
      await appendFile(join(runDir, "metrics.jsonl"), `${JSON.stringify(row)}\n`);
      bar?.update(s, { rate: rate.toFixed(1), loss: row.loss.toFixed(4), acc: row.accuracy.toFixed(4) });
      sums = { loss: 0, accuracy: 0, n: 0 };
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
