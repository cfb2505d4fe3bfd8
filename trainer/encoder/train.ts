/**
 * Training the GAN-inversion encoder against a frozen generator: Adam, seeded (generated pairs'
 * seeds and the data order come from the run's PRNG), and a run folder like the segmenter's
 * (config.json, checkpoints/step-N/, metrics.jsonl, reconstructions.png), so a run stops on Ctrl-C
 * with a checkpoint and the same command resumes it exactly.
 *
 * One step: `batch` generated pairs x = G(w, noise of the seed) with w = mapping(z(seed)) at ψ = 1,
 * and `datasetBatch` dataset images. The encoder maps every image to ŵ; the loss is
 *   loss.w · MSE(ŵ, w) over the generated pairs
 *   + the mean over all images of the reconstruction loss (shared/inversion/loss.ts) of G(ŵ, noise)
 *   + loss.prior · the mean over the dataset images of the latent prior's penalty on ŵ
 *     (shared/inversion/prior.ts; the generated pairs' ŵ are held on W's distribution by the w term)
 * where `noise` is the config's reconstruction noise (default zeros, what the invert command uses).
 * Gradients reach only the encoder: the generator and the segmenter are plain tensors.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encoderForward } from "../../shared/encoder/network.ts";
import { encoderParamSpecs } from "../../shared/encoder/params.ts";
import { Encoder } from "../../shared/encoder/encoder.ts";
import { type FloatImage, type Generator, noiseTensors, toRgba8 } from "../../shared/generator/generator.ts";
import { mapping, synthesis } from "../../shared/generator/network.ts";
import { type ParamValues, initParams } from "../../shared/generator/params.ts";
import { type FeatureNet, perceptualFeatures, reconstructionLoss } from "../../shared/inversion/loss.ts";
import { latentPrior, priorPenalty } from "../../shared/inversion/prior.ts";
import { Prng, latentFromSeed } from "../../shared/random/prng.ts";
import { tf } from "../tf-node.ts";
import { FusedAdam } from "../training/adam.ts";
import { SingleNetTrainer, readSingleNetCheckpoint } from "../training/single-net.ts";
import { runSteps } from "../training/step-run.ts";
import { gridPng } from "../training/samples.ts";
import type { TrainingData } from "../training/trainer.ts";
import type { EncoderTrainConfig } from "./config.ts";

export interface EncoderStepMetrics {
  loss: number;
  /** MSE between the encoder's codes and the true w of the generated pairs. */
  wMse: number;
  /** Reconstruction loss of the generated pairs and of the dataset images. */
  reconGenerated: number;
  reconDataset: number;
  /** PSNR of the dataset images' reconstructions (from their mean pixel MSE). */
  psnrDataset: number;
  /** Mean squared z-score of the dataset images' codes under the latent prior (1 for mapped codes). */
  priorDataset: number;
}


export class EncoderTrainer extends SingleNetTrainer<EncoderTrainConfig> {
  /** The latent prior's statistics as tensors, made on the first step. */
  private prior: { mean: tf.Tensor1D; std: tf.Tensor1D } | undefined;

  /**
   * @param g the frozen generator (its tensors are never trained)
   * @param data the training split (every index it has may be drawn)
   * @param net the perceptual term's segmenter (needed when loss.perceptual > 0)
   * @param values the encoder's starting parameters (default: `initialValues`)
   */
  constructor(
    config: EncoderTrainConfig,
    private readonly g: Generator,
    private readonly data: TrainingData,
    private readonly net: FeatureNet | undefined,
    rng: Prng,
    values: ParamValues,
  ) {
    const e = config.encoder;
    const gc = g.config;
    if (e.resolution !== gc.resolution || e.wDim !== gc.wDim) throw new Error(`encoder.resolution and encoder.wDim must equal the generator's (${gc.resolution}, ${gc.wDim}), got (${e.resolution}, ${e.wDim})`);
    if (config.loss.perceptual > 0 && !net) throw new Error("loss.perceptual > 0 needs a segmenter: the model bundles none, so pin one in the config's segmenter ({ path, version })");
    super(config, encoderParamSpecs(e), values, new FusedAdam(config.lr, 0.9, 0.99), rng, "E/", "enc");
  }

  /** A fresh encoder: He-normal from the config's seed, with the output bias at the generator's w_avg (training starts from the average face). */
  static async initialValues(config: EncoderTrainConfig, g: Generator): Promise<ParamValues> {
    const values = initParams(encoderParamSpecs(config.encoder), config.seed);
    values.set("encoder.out.bias", Float32Array.from((await g.params["mapping.w_avg"]!.data()) as Float32Array));
    return values;
  }

  static async create(config: EncoderTrainConfig, g: Generator, data: TrainingData, net: FeatureNet | undefined): Promise<EncoderTrainer> {
    return new EncoderTrainer(config, g, data, net, new Prng(config.seed, 11), await EncoderTrainer.initialValues(config, g));
  }

  static async resume(dir: string, config: EncoderTrainConfig, g: Generator, data: TrainingData, net: FeatureNet | undefined): Promise<EncoderTrainer> {
    const saved = await readSingleNetCheckpoint(dir, config, "E/");
    return new EncoderTrainer(config, g, data, net, saved.rng, saved.values).restore(saved);
  }

  /** The learning rate of step `s`: constant, then linear decay to 10 % over the last `decayFraction`. */
  lrAt(s: number): number {
    const c = this.config;
    const start = c.steps * (1 - c.decayFraction);
    if (s < start) return c.lr;
    return c.lr * (1 - (0.9 * (s - start)) / Math.max(1, c.steps - start));
  }

  async trainStep(): Promise<EncoderStepMetrics> {
    const c = this.config;
    const gc = this.g.config;
    const gp = this.g.params;
    const res = gc.resolution;
    const nGen = c.batch;
    const nData = c.datasetBatch;
    const n = nGen + nData;
    // Host-side randomness first, in a fixed order (exact resume): the pairs' seeds, then the data order.
    const seeds = Array.from({ length: nGen }, () => this.rng.nextU32());
    const idx = nData ? this.nextIndices(this.data.size, nData) : [];
    const real = nData ? await this.data.batch(idx) : new Float32Array(0);

    const zs = new Float32Array(nGen * gc.zDim);
    for (const [i, s] of seeds.entries()) zs.set(latentFromSeed(s, gc.zDim), i * gc.zDim);
    const [wTrue, images] = tf.tidy(() => {
      const parts: tf.Tensor4D[] = [];
      let w: tf.Tensor2D | null = null;
      if (nGen) {
        w = mapping(gp, gc, tf.tensor2d(zs, [nGen, gc.zDim]), 1);
        parts.push(synthesis(gp, gc, w, noiseTensors(gc, seeds)));
      }
      if (nData) parts.push(tf.tensor4d(real, [nData, res, res, 3]));
      return [w ?? tf.zeros([0, gc.wDim]), parts.length === 1 ? parts[0]! : tf.concat(parts, 0)] as [tf.Tensor2D, tf.Tensor4D];
    });
    const noise = tf.tidy(() => (c.noise === "zeros" ? ("zeros" as const) : noiseTensors(gc, Array.from({ length: n }, () => c.noise as number))));
    const weights = { pixel: c.loss.pixel, perceptual: c.loss.perceptual };
    if (!this.prior) {
      const p = await latentPrior(this.g);
      this.prior = { mean: tf.tensor1d(p.mean), std: tf.tensor1d(p.std) };
    }
    const prior = this.prior;
    const targetFeatures = weights.perceptual > 0 ? tf.tidy(() => perceptualFeatures(this.net!, images)) : undefined;

    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const w = encoderForward(this.params, c.encoder, images);
      const recon = synthesis(gp, gc, w, noise);
      const rec = reconstructionLoss(recon, images, { weights, net: this.net, targetFeatures });
      const wMse = nGen ? tf.mean(tf.square(tf.sub(tf.slice(w, [0, 0], [nGen, gc.wDim]), wTrue))) : tf.scalar(0);
      const part = (from: number, len: number, t: tf.Tensor1D) => (len ? tf.mean(tf.slice(t, [from], [len])) : tf.scalar(0));
      const pixelMse = tf.mean(tf.square(tf.sub(recon, images)), [1, 2, 3]) as tf.Tensor1D;
      const priorData = nData ? tf.mean(priorPenalty(tf.slice(w, [nGen, 0], [nData, gc.wDim]), prior)) : tf.scalar(0);
      kept = [wMse, part(0, nGen, rec), part(nGen, nData, rec), part(nGen, nData, pixelMse), priorData].map((t) => tf.keep(t));
      return tf.addN([tf.mul(wMse, c.loss.w), tf.mean(rec), tf.mul(priorData, c.loss.prior)]) as tf.Scalar;
    }, Object.values(this.params));
    this.opt.lr = this.lrAt(this.step);
    this.opt.step(this.params, grads);
    const [loss, wMse, reconGenerated, reconDataset, dataMse, priorDataset] = await Promise.all([value, ...kept].map(async (t) => (await t.data())[0]!));
    tf.dispose([value, ...kept, ...Object.values(grads), wTrue, images, ...(noise === "zeros" ? [] : noise), ...(targetFeatures ?? [])]);
    this.step++;
    return { loss: loss!, wMse: wMse!, reconGenerated: reconGenerated!, reconDataset: reconDataset!, psnrDataset: nData ? 10 * Math.log10(4 / dataMse!) : Number.NaN, priorDataset: nData ? priorDataset! : Number.NaN };
  }

  override dispose(): void {
    if (this.prior) tf.dispose([this.prior.mean, this.prior.std]);
    this.prior = undefined;
    super.dispose();
  }

  /** The encoder as the shared inference class (for previews and evaluation during a run). */
  async encoder(): Promise<Encoder> {
    return Encoder.fromValues(this.config.encoder, await this.values());
  }

}



/** A picture of `images` (rows of originals and their reconstructions through the encoder), as PNG. */
export async function reconstructionPicture(e: Encoder, g: Generator, images: FloatImage[], noise: "zeros" | number): Promise<Uint8Array> {
  const ws = await e.encode(images);
  const recons = await g.render(ws, noise === "zeros" ? "zeros" : ws.map(() => noise));
  const tiles = images.flatMap((img, i) => [toRgba8(img), toRgba8(recons[i]!)]);
  const res = g.config.resolution;
  return gridPng(tiles, res, Math.min(8, tiles.length), Math.max(1, Math.floor(128 / res)));
}

const _pad = (n: number) => String(n).padStart(9, "0");

/** Train (or resume) in `runDir`; `maxSteps` trains a resumable piece. Ctrl-C checkpoints and stops. */
export function runEncoderTraining(opts: {
  runDir: string;
  config: EncoderTrainConfig;
  generator: Generator;
  data: TrainingData;
  featureNet: FeatureNet | undefined;
  /** Held-out images shown (with their reconstructions) in reconstructions.png at every checkpoint. */
  preview?: FloatImage[];
  maxSteps?: number;
  /** The committed copy of the run (compact checkpoint, config, metrics, reconstructions.png); see trainer/training/compact.ts. */
  compactDir?: string;
  quiet?: boolean;
}): Promise<{ trainer: EncoderTrainer; finished: boolean }> {
  const { runDir, config } = opts;
  return runSteps({
    runDir,
    config,
    open: (ckpt) => (ckpt ? EncoderTrainer.resume(ckpt, config, opts.generator, opts.data, opts.featureNet) : EncoderTrainer.create(config, opts.generator, opts.data, opts.featureNet)),
    name: "encoder",
    imagesPerStep: config.batch + config.datasetBatch,
    describe: `${config.batch} generated + ${config.datasetBatch} dataset images per step`,
    keys: ["loss", "wMse", "reconGenerated", "reconDataset", "psnrDataset", "priorDataset"] as const,
    show: (m) => ({ loss: m.loss.toFixed(4), "w-mse": m.wMse.toFixed(4), "training-face PSNR": `${m.psnrDataset.toFixed(2)} dB`, "training-face z²": m.priorDataset.toFixed(2) }),
    afterSave: async (trainer) => {
      if (!opts.preview?.length) return;
      const e = await trainer.encoder();
      await writeFile(join(runDir, "reconstructions.png"), await reconstructionPicture(e, opts.generator, opts.preview, config.noise));
      e.dispose();
    },
    maxSteps: opts.maxSteps,
    ...(opts.compactDir ? { compactDir: opts.compactDir, summaryFiles: ["reconstructions.png"] } : {}),
    quiet: opts.quiet,
  });
}
