import { type ParamValues, initParams } from "../../shared/generator/params.ts";
import { Prng } from "../../shared/random/prng.ts";
import { segmenterLogits } from "../../shared/segmenter/network.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { tf } from "../tf-node.ts";
import { Adam } from "../training/adam.ts";
import { SingleNetTrainer, readSingleNetCheckpoint } from "../training/single-net.ts";
import { runSteps } from "../training/step-run.ts";
import type { SegmenterTrainConfig } from "./config.ts";
import type { PartData } from "./labels.ts";

export class SegmenterTrainer extends SingleNetTrainer<SegmenterTrainConfig> {
  /**
   * @param data training images (indices 0…data.size−1 are the training set)
   * @param labels their label maps, [size·H·W]
   */
  constructor(
    config: SegmenterTrainConfig,
    private readonly data: PartData,
    private readonly labels: Uint8Array,
    rng: Prng,
    values?: ParamValues,
  ) {
    const specs = segmenterParamSpecs(config.segmenter);
    super(config, specs, values ?? initParams(specs, config.seed), new Adam(config.lr, 0.9, 0.999), rng, "S/", "seg");
  }

  static create(config: SegmenterTrainConfig, data: PartData, labels: Uint8Array): SegmenterTrainer {
    return new SegmenterTrainer(config, data, labels, new Prng(config.seed, 7));
  }

  static async resume(dir: string, config: SegmenterTrainConfig, data: PartData, labels: Uint8Array): Promise<SegmenterTrainer> {
    const saved = await readSingleNetCheckpoint(dir, config, "S/");
    return new SegmenterTrainer(config, data, labels, saved.rng, saved.values).restore(saved);
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
    const idx = this.nextIndices(this.data.size, c.batch);
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

}




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
