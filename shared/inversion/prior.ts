/**
 * Where the good codes are: W's distribution, as a prior that keeps inverted codes on it.
 *
 * An encoder or projector fitted to a picture freely moves w wherever the reconstruction is best,
 * and for dataset faces that is far off the distribution the mapping network produces (the
 * faces64 encoder's codes of held-out faces score 15 per axis below, where mapped codes score 1;
 * `npm run encoder -- evaluate` prints it). LinkGAN's links hold where the generator was trained, on
 * mapped codes: off that distribution, resampling a region's axes also changes what lies outside it
 * (an eye's resample recolours the hair). The prior measures the distance from the distribution in
 * the mapping's last pre-activation space ("P space", Zhu et al. 2020, "Improved StyleGAN
 * embedding: where are the good latents?"): w is a leaky ReLU (slope 0.2) of it, so
 * p = w for w ≥ 0 and w / 0.2 below, which undoes the fold that crowds W's negative values together
 * and leaves each axis close to Gaussian. Its mean and standard deviation per axis come from
 * `PRIOR_SAMPLES` mapped seeds, the same in every runtime; the penalty is each code's mean squared
 * z-score (1 on average for sampled codes).
 */
import type { Generator } from "../generator/generator.ts";
import { tf } from "../tf.ts";

/** Mapped seeds behind a prior's statistics (from `PRIOR_SEED_BASE` on, ψ = 1): a per-axis std within about 2 %, for one mapping pass of about 0.5 GFLOP at faces64's size. */
export const PRIOR_SAMPLES = 1024;
export const PRIOR_SEED_BASE = 5_000_000;
/** The mapping's leaky ReLU slope: P space is W with its negative values divided by it. */
const SLOPE = 0.2;

/** Per-axis mean and standard deviation of mapped codes in P space (wDim values each). */
export interface LatentPrior {
  mean: Float32Array;
  std: Float32Array;
}

/** A code in P space (the reference of `priorPenalty`'s tensor form). */
export function toPSpace(w: Float32Array): Float32Array {
  return w.map((v) => (v >= 0 ? v : v / SLOPE));
}

const priors = new WeakMap<Generator, Promise<LatentPrior>>();

/**
 * The prior of `g`'s W, computed once per generator (a mapping pass of `PRIOR_SAMPLES` seeds).
 *
 * @example
 * const prior = await latentPrior(g);
 * const score = meanSquaredZ(toPSpace(w), prior); // about 1 for a mapped w
 */
export function latentPrior(g: Generator): Promise<LatentPrior> {
  let p = priors.get(g);
  if (!p) {
    p = (async () => {
      const d = g.config.wDim;
      const sum = new Float64Array(d);
      const sq = new Float64Array(d);
      for (let s = 0; s < PRIOR_SAMPLES; s += 256) {
        const ws = await g.mapSeeds(Array.from({ length: Math.min(256, PRIOR_SAMPLES - s) }, (_, i) => PRIOR_SEED_BASE + s + i), 1);
        for (const w of ws) {
          const p = toPSpace(w);
          for (let i = 0; i < d; i++) {
            sum[i]! += p[i]!;
            sq[i]! += p[i]! * p[i]!;
          }
        }
      }
      const mean = Float32Array.from(sum, (v) => v / PRIOR_SAMPLES);
      const std = Float32Array.from(sq, (v, i) => Math.sqrt(Math.max(v / PRIOR_SAMPLES - mean[i]! ** 2, 1e-12)));
      return { mean, std };
    })();
    priors.set(g, p);
    p.catch(() => priors.delete(g));
  }
  return p;
}

/** A P-space code's mean squared z-score under `prior` (1 on average for mapped codes). */
export function meanSquaredZ(p: Float32Array, prior: LatentPrior): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += ((p[i]! - prior.mean[i]!) / prior.std[i]!) ** 2;
  return s / p.length;
}

/**
 * The prior's penalty per code, [N]: the mean over axes (and, for W+ codes [N, layers, wDim], over
 * layers) of the squared z-score in P space. Built from ops every backend differentiates
 * (p = w − (1/slope − 1)·relu(−w)). No tidy: call it inside the caller's.
 */
export function priorPenalty(w: tf.Tensor, prior: { mean: tf.Tensor1D; std: tf.Tensor1D }): tf.Tensor1D {
  const p = tf.sub(w, tf.mul(tf.relu(tf.neg(w)), 1 / SLOPE - 1));
  const z = tf.div(tf.sub(p, prior.mean), prior.std);
  return tf.mean(tf.square(z), w.rank === 3 ? [1, 2] : 1) as tf.Tensor1D;
}
