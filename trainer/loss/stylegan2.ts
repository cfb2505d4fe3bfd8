/**
 * StyleGAN2's training phases, with LinkGAN folded into the generator phase. The loss drives the
 * networks; the networks (shared/generator, trainer/networks) know nothing of it.
 *
 *   Gmain  softplus(−D(G(z))) with style mixing; on link steps + interval·L_reg (LinkGAN) and the
 *          adversarial term on the perturbed images as well
 *   Greg   path-length regularization every `plInterval` steps (optional: plWeight 0 turns it off)
 *   Dmain  softplus(D(fake)) + softplus(−D(real)); on link steps the perturbed images are fakes too
 *   Dreg   R1: (γ/2)·‖∇ₓD(real)‖², every `r1Interval` steps, multiplied by the interval
 */
import { z } from "zod";
import { numWs } from "../../shared/generator/config.ts";
import type { GeneratorConfig } from "../../shared/generator/config.ts";
import { type NoiseInput, mapping, synthesis } from "../../shared/generator/network.ts";
import type { BuildOptions } from "../../shared/generator/layers.ts";
import { tf } from "../../shared/tf.ts";
import { type DiscriminatorConfig, discriminator } from "../networks/discriminator.ts";
import { type LinkGanConfig, type LinkedRegion, linkganTerms } from "./linkgan.ts";

export const LossConfig = z
  .object({
    /** R1 γ. StyleGAN2's "auto" config uses 0.0002·res²/batch. */
    r1Gamma: z.number().min(0),
    r1Interval: z.number().int().min(1).default(16),
    plWeight: z.number().min(0).default(0),
    plInterval: z.number().int().min(1).default(4),
    plDecay: z.number().min(0).max(1).default(0.01),
    styleMixing: z.number().min(0).max(1).default(0.9),
  })
  .strict();
export type LossConfig = z.infer<typeof LossConfig>;

export interface Nets {
  gCfg: GeneratorConfig;
  dCfg: DiscriminatorConfig;
  G: Record<string, tf.Variable>;
  D: Record<string, tf.Variable>;
  /**
   * What D is shown instead of an image batch (differentiable augmentation, trainer/augment); every
   * D call goes through it, so reals and fakes are augmented alike in every phase. Identity if absent.
   */
  augment?: (x: tf.Tensor4D) => tf.Tensor4D;
}

/** D's logits for images, through the run's augmentation (`secondOrder` for R1). */
export function runD(nets: Nets, images: tf.Tensor4D, opts: BuildOptions = {}): tf.Tensor2D {
  return discriminator(nets.D, nets.dCfg, nets.augment ? nets.augment(images) : images, opts);
}

/** Host-side randomness of one step, drawn by the caller from its seeded PRNG (exact resume). */
export interface StepRandom {
  z: tf.Tensor2D;
  zMix: tf.Tensor2D;
  /** W+ index where the mixed code takes over; numWs means no mixing. */
  mixCutoff: number;
  noise: tf.Tensor4D[];
  /**
   * LinkGAN's randomness on link steps, for the M images it uses: N(0, I) directions [K, M, wDim]
   * ("perturb"), or fresh latents [K, M, zDim] to map ("replace").
   */
  pIn?: tf.Tensor3D;
  pOut?: tf.Tensor3D;
  /** Path-length noise [N, H, W, 3], on pl steps. */
  plNoise?: tf.Tensor4D;
}

const softplus = (x: tf.Tensor) => tf.softplus(x);

/** W+ codes with style mixing: w(z) before the cutoff, w(zMix) from it on. */
export function mixedWs(nets: Nets, r: StepRandom): tf.Tensor3D {
  const nw = numWs(nets.gCfg);
  const w = mapping(nets.G, nets.gCfg, r.z);
  const tileTo = (x: tf.Tensor2D, k: number) => tf.tile(tf.expandDims(x, 1), [1, k, 1]) as tf.Tensor3D;
  if (r.mixCutoff >= nw) return tileTo(w, nw);
  const w2 = mapping(nets.G, nets.gCfg, r.zMix);
  return tf.concat([tileTo(w, r.mixCutoff), tileTo(w2, nw - r.mixCutoff)], 1) as tf.Tensor3D;
}

/** The same noise for every group of n images (x, x1…, x2…): tile each map along the batch. */
function tileNoise(noise: tf.Tensor4D[], times: number): NoiseInput {
  return noise.map((m) => tf.tile(m, [times, 1, 1, 1]) as tf.Tensor4D);
}

export interface GMainResult {
  loss: tf.Scalar;
  adv: tf.Scalar;
  link?: { total: tf.Scalar; perRegion: { name: string; lIn: tf.Scalar; lOut: tf.Scalar }[] };
  /** Perturbed images (LinkGAN) for Dmain, on link steps. */
  perturbed?: tf.Tensor4D;
}

/**
 * The generator's loss for one step; call inside `tf.variableGrads` over the G variables.
 * With `link`, also LinkGAN's regularizer (multiplied by its interval) and the adversarial loss of the
 * perturbed images.
 */
export function gMainLoss(nets: Nets, r: StepRandom, link?: { cfg: LinkGanConfig; regions: LinkedRegion[] }): GMainResult {
  const { gCfg, G } = nets;
  const fake = synthesis(G, gCfg, mixedWs(nets, r), r.noise);
  let adv = tf.mean(softplus(tf.neg(runD(nets, fake)))) as tf.Scalar;
  if (!link || !r.pIn || !r.pOut) return { loss: adv, adv };
  const n = r.z.shape[0];
  const k = link.regions.length;
  // The regularizer uses the first m images of the batch (their codes, noise and randomness).
  const m = r.pIn.shape[1];
  if (m > n || r.pOut.shape[1] !== m) throw new Error(`gMainLoss: LinkGAN randomness for ${m} images, batch of ${n}`);
  const first = <T extends tf.Tensor>(t: T) => (m === n ? t : (tf.slice(t, 0, m) as T));
  const w = mapping(G, gCfg, first(r.z));
  const noise = tileNoise(r.noise.map(first), 1 + 2 * k);
  const directions = (p: tf.Tensor3D): tf.Tensor3D => {
    if (link.cfg.mode === "perturb") return tf.mul(p, link.cfg.alpha) as tf.Tensor3D;
    const mapped = mapping(G, gCfg, tf.reshape(p, [k * m, gCfg.zDim]) as tf.Tensor2D);
    return tf.sub(tf.reshape(mapped, [k, m, gCfg.wDim]), tf.expandDims(w, 0)) as tf.Tensor3D;
  };
  const terms = linkganTerms((ws) => synthesis(G, gCfg, ws, noise), w, link.regions, directions(r.pIn), directions(r.pOut), link.cfg);
  const advPerturbed = tf.mean(softplus(tf.neg(runD(nets, terms.perturbed))));
  // Weight the two adversarial terms by their image counts: every generated image counts once.
  adv = tf.div(tf.add(tf.mul(adv, n), tf.mul(advPerturbed, 2 * k * m)), n + 2 * k * m) as tf.Scalar;
  const total = tf.mul(terms.loss, link.cfg.interval) as tf.Scalar;
  return { loss: tf.add(adv, total) as tf.Scalar, adv, link: { total: terms.loss, perRegion: terms.perRegion }, perturbed: terms.perturbed };
}

/** Path-length penalty (Karras et al. 2020); returns the penalty and the new running mean. */
export function gPlLoss(nets: Nets, r: StepRandom, plMean: number, cfg: LossConfig): { loss: tf.Scalar; plMean: tf.Scalar } {
  if (!r.plNoise) throw new Error("gPlLoss: plNoise missing");
  const { gCfg, G } = nets;
  const ws = mixedWs(nets, r);
  const [, h, w] = r.plNoise.shape;
  const gradWs = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(synthesis(G, gCfg, x, r.noise, { secondOrder: true }), tf.div(r.plNoise!, Math.sqrt(h * w)))))(ws);
  const lengths = tf.sqrt(tf.mean(tf.sum(tf.square(gradWs), 2), 1)); // [N]
  const newMean = tf.add(plMean, tf.mul(tf.sub(tf.mean(lengths), plMean), cfg.plDecay)) as tf.Scalar;
  const penalty = tf.mean(tf.square(tf.sub(lengths, newMean)));
  return { loss: tf.mul(penalty, cfg.plWeight * cfg.plInterval) as tf.Scalar, plMean: newMean };
}

/**
 * The discriminator's loss; `fakes` are constants (generated outside the tape). `realSign` is
 * E[sign(D(real))], ADA's overfitting statistic.
 */
export function dMainLoss(nets: Nets, reals: tf.Tensor4D, fakes: tf.Tensor4D): { loss: tf.Scalar; real: tf.Scalar; fake: tf.Scalar; realSign: tf.Scalar } {
  const fake = tf.mean(softplus(runD(nets, fakes))) as tf.Scalar;
  const realLogits = runD(nets, reals);
  const real = tf.mean(softplus(tf.neg(realLogits))) as tf.Scalar;
  return { loss: tf.add(fake, real) as tf.Scalar, real, fake, realSign: tf.mean(tf.sign(realLogits)) as tf.Scalar };
}

/**
 * R1 penalty E‖∇ₓD(aug(x))‖² on reals (before γ/2 and the interval). The gradient is taken w.r.t.
 * the images before augmentation, as in ADA.
 */
export function r1Penalty(nets: Nets, reals: tf.Tensor4D): tf.Scalar {
  const g = tf.grad((x: tf.Tensor) => tf.sum(runD(nets, x as tf.Tensor4D, { secondOrder: true })))(reals);
  return tf.mean(tf.sum(tf.square(g), [1, 2, 3])) as tf.Scalar;
}

export function dRegLoss(nets: Nets, reals: tf.Tensor4D, cfg: LossConfig): { loss: tf.Scalar; r1: tf.Scalar } {
  const r1 = r1Penalty(nets, reals);
  return { loss: tf.mul(r1, (cfg.r1Gamma / 2) * cfg.r1Interval) as tf.Scalar, r1 };
}
