/**
 * The reconstruction loss of GAN inversion, one definition for the encoder's trainer and the
 * projector: pixel MSE plus a perceptual term in a feature space the project owns, the part
 * segmenter's encoder features (no LPIPS or VGG weights can be downloaded here). Like LPIPS, each
 * level's feature vectors are scaled to unit length per pixel before they are compared, so every
 * level counts alike whatever its activation scale.
 */
import { z } from "zod";
import type { SegmenterConfig } from "../segmenter/config.ts";
import { type SegmenterParams, segmenterFeatures } from "../segmenter/network.ts";
import { tf } from "../tf.ts";

/** The network whose features the perceptual term compares: a `Segmenter` is one. */
export interface FeatureNet {
  readonly config: SegmenterConfig;
  readonly params: SegmenterParams;
}

/** Weights of the loss's two terms. */
export const ReconstructionWeights = z
  .object({
    /** Mean squared pixel error (images in [−1, 1]). */
    pixel: z.number().min(0).default(1),
    /** Mean over levels of the per-pixel squared distance between unit-length feature vectors (each in [0, 4]). */
    perceptual: z.number().min(0).default(0.1),
  })
  .strict();
export type ReconstructionWeights = z.infer<typeof ReconstructionWeights>;

/**
 * Each level's features of `images` with every pixel's feature vector scaled to unit length.
 * No tidy: call it inside the caller's.
 */
export function perceptualFeatures(net: FeatureNet, images: tf.Tensor4D): tf.Tensor4D[] {
  return segmenterFeatures(net.params, net.config, images).map((f) => tf.mul(f, tf.rsqrt(tf.add(tf.sum(tf.square(f), 3, true), 1e-10))) as tf.Tensor4D);
}

/**
 * The loss of each image, [N]: pixel · MSE(recon, target) + perceptual · (mean over levels of the
 * mean over pixels of ‖f̂(recon) − f̂(target)‖²). `targetFeatures` (from `perceptualFeatures`)
 * saves recomputing a fixed target's features every step. No tidy: call it inside the caller's.
 *
 * @example
 * const loss = tf.mean(reconstructionLoss(synthesis(gp, gc, w, "zeros"), targets, { weights, net: segmenter }));
 */
export function reconstructionLoss(
  recon: tf.Tensor4D,
  target: tf.Tensor4D,
  opts: { weights: ReconstructionWeights; net?: FeatureNet | undefined; targetFeatures?: tf.Tensor4D[] | undefined },
): tf.Tensor1D {
  const { pixel, perceptual } = opts.weights;
  let loss = tf.mul(tf.mean(tf.square(tf.sub(recon, target)), [1, 2, 3]), pixel) as tf.Tensor1D;
  if (perceptual > 0) {
    if (!opts.net) throw new Error("reconstruction loss: the perceptual term (weight > 0) needs a feature network (a segmenter)");
    if (opts.net.config.resolution !== recon.shape[1]) throw new Error(`reconstruction loss: the segmenter takes ${opts.net.config.resolution} px images, the reconstructions are ${recon.shape[1]} px`);
    const fr = perceptualFeatures(opts.net, recon);
    const ft = opts.targetFeatures ?? perceptualFeatures(opts.net, target);
    const levels = fr.map((f, l) => tf.mean(tf.sum(tf.square(tf.sub(f, ft[l]!)), 3), [1, 2]));
    loss = tf.add(loss, tf.mul(tf.addN(levels), perceptual / levels.length)) as tf.Tensor1D;
  }
  return loss;
}
