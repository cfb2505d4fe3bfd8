
import { type ParamSpec, type ParamValues, initParams } from "../../shared/generator/params.ts";
import { Prng, type PrngState } from "../../shared/random/prng.ts";
import { segmenterLogits } from "../../shared/segmenter/network.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { tf } from "../tf-node.ts";
import { Adam } from "../training/adam.ts";
import { type TensorData, configHash, loadCheckpoint, paramValues, saveCheckpoint } from "../training/checkpoint.ts";
import { compactEncoding } from "../training/compact.ts";
import { type DataOrder, nextIndices } from "../training/data-order.ts";
import { runSteps } from "../training/step-run.ts";
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
    const values: ParamValues = paramValues(tensors, "S/");
    const t = new SegmenterTrainer(config, data, labels, Prng.fromState(meta.rng as PrngState), values);
    t.step = meta.step as number;
    t.dataOrder = { order: meta.order as number[], orderPos: meta.orderPos as number };
    t.opt.load("opt/", tensors);
    return t;
  }

  /** A checkpoint; `compact`: float16 weights and moments, log8 second moments (trainer/training/compact.ts). */
  async save(dir: string, opts: { compact?: boolean } = {}): Promise<void> {
    const tensors = new Map<string, TensorData>();
    for (const [k, v] of Object.entries(this.params)) tensors.set(`S/${k}`, { shape: v.shape, data: (await v.data()) as Float32Array });
    for (const [k, v] of await this.opt.state("opt/")) tensors.set(k, v);
    await saveCheckpoint(dir, { step: this.step, rng: this.rng.state(), order: this.dataOrder.order, orderPos: this.dataOrder.orderPos, configHash: await configHash(this.config) }, tensors, opts.compact ? compactEncoding : undefined);
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


let instances = 0;


/** Train (or resume) in `runDir`; `maxSteps` trains a resumable piece. Ctrl-C checkpoints and stops. */
export function runSegmenterTraining(opts: {
  runDir: string;
  config: SegmenterTrainConfig;
  data: PartData;
  labels: Uint8Array;
  maxSteps?: number;
  quiet?: boolean;
}): Promise<{ trainer: SegmenterTrainer; finished: boolean }> {
  const { config } = opts;
  return runSteps({
    runDir: opts.runDir,
    config,
    open: async (ckpt) => (ckpt ? SegmenterTrainer.resume(ckpt, config, opts.data, opts.labels) : SegmenterTrainer.create(config, opts.data, opts.labels)),
    name: "segmenter",
    imagesPerStep: config.batch,
    describe: `batch ${config.batch}`,
    keys: ["loss", "accuracy"] as const,
    show: (m) => ({ loss: m.loss.toFixed(4), acc: m.accuracy.toFixed(4) }),
    maxSteps: opts.maxSteps,
    quiet: opts.quiet,
  });
}
