/**
 * Does the generator cover the data, or render one face? Measured without a downloaded network:
 *
 * - **Pixel spread**: the per-pixel standard deviation over a set, averaged over pixels and channels,
 *   and the mean squared distance between two images of a set (over all pairs). Each is reported as
 *   the generated/real ratio; a collapsed generator has ratios near 0, a faithful one near 1.
 * - **Precision and recall** (Kynkäänniemi et al. 2019, "Improved precision and recall metric for
 *   assessing generative models"): each set's manifold is the union of balls around its feature
 *   vectors with radius the distance to the k-th nearest neighbour in the same set (k = 3).
 *   Precision = share of generated samples inside the real manifold (quality); recall = share of
 *   real samples inside the generated manifold (coverage), in two feature spaces of the part
 *   segmenter this project trains itself: its bottleneck (`segmenterEmbedding`: parts and their
 *   look, so sharpness too: a 3×3 blur of real faces already halves both figures) and the part
 *   layout (`segmenterLayout`: class probabilities pooled to 8×8, which blur barely moves; where the
 *   parts are, so which hairstyles, face shapes and expressions the generator covers). The issue's
 *   targets read the layout figures; the bottleneck ones say how far from the data's sharpness.
 *
 * Images are H×W×3 Float32Arrays in [−1, 1].
 */
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../tf-node.ts";

export interface PixelSpread {
  /** Mean over pixels of the per-pixel standard deviation across the set. */
  std: number;
  /** Mean over pairs of the mean squared difference between two images. */
  pairwiseMse: number;
}

/** Pixel spread of one image set (needs at least 2 images). */
export function pixelSpread(images: Float32Array[]): PixelSpread {
  const n = images.length;
  if (n < 2) throw new Error(`pixelSpread: need at least 2 images, got ${n}`);
  const d = images[0]!.length;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (const img of images) {
    if (img.length !== d) throw new Error("pixelSpread: images differ in size");
    for (let i = 0; i < d; i++) {
      mean[i]! += img[i]!;
      sq[i]! += img[i]! * img[i]!;
    }
  }
  let std = 0;
  let variance = 0;
  for (let i = 0; i < d; i++) {
    const m = mean[i]! / n;
    // Unbiased per-pixel variance.
    const v = Math.max(0, (sq[i]! - n * m * m) / (n - 1));
    std += Math.sqrt(v);
    variance += v;
  }
  // Over all ordered pairs, E‖a − b‖² = 2·Σ var (unbiased), so the pairwise MSE needs no n² loop.
  return { std: std / d, pairwiseMse: (2 * variance) / d };
}

export interface Diversity {
  real: PixelSpread;
  fake: PixelSpread;
  /** fake.std / real.std */
  stdRatio: number;
  /** fake.pairwiseMse / real.pairwiseMse */
  pairwiseRatio: number;
}

/** Generated/real ratios of pixel spread. */
export function diversity(real: Float32Array[], fake: Float32Array[]): Diversity {
  const r = pixelSpread(real);
  const f = pixelSpread(fake);
  return { real: r, fake: f, stdRatio: f.std / r.std, pairwiseRatio: f.pairwiseMse / r.pairwiseMse };
}

/** Squared Euclidean distances between rows of a [n, d] and b [m, d]: [n, m]. */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const aa = tf.sum(tf.square(a), 1, true);
    const bb = tf.transpose(tf.sum(tf.square(b), 1, true));
    return tf.relu(tf.add(tf.sub(aa, tf.mul(tf.matMul(a, b, false, true), 2)), bb)) as tf.Tensor2D;
  });
}

/** Squared radius of each row's ball: the distance to its k-th nearest other row of the same set. */
function kthNeighbourRadii(x: tf.Tensor2D, k: number): Float32Array {
  return tf.tidy(() => {
    const d = squaredDistances(x, x);
    // The row itself is its own nearest neighbour (distance 0): take the (k+1)-th smallest.
    const { values } = tf.topk(tf.neg(d), k + 1);
    return tf.neg(tf.slice(values, [0, k], [-1, 1])).dataSync() as Float32Array;
  });
}

/** Share of `query` rows inside at least one ball of `manifold` (centres, squared radii). */
function coverage(query: tf.Tensor2D, manifold: tf.Tensor2D, radii: Float32Array): number {
  return tf.tidy(() => {
    const d = squaredDistances(query, manifold);
    const inside = tf.any(tf.lessEqual(d, tf.tensor2d(radii, [1, radii.length])), 1);
    return tf.mean(tf.cast(inside, "float32")).dataSync()[0]!;
  });
}

export interface PrecisionRecall {
  precision: number;
  recall: number;
  k: number;
}

/**
 * Improved precision and recall of generated features against real ones ([n, d] rows each).
 *
 * @example
 * const { precision, recall } = precisionRecall(realFeatures, fakeFeatures);
 */
export function precisionRecall(real: Float32Array[], fake: Float32Array[], k = 3): PrecisionRecall {
  if (real.length <= k || fake.length <= k) throw new Error(`precisionRecall: need more than k = ${k} samples per set`);
  const r = tf.tensor2d(concat(real), [real.length, real[0]!.length]);
  const f = tf.tensor2d(concat(fake), [fake.length, fake[0]!.length]);
  try {
    return { precision: coverage(f, r, kthNeighbourRadii(r, k)), recall: coverage(r, f, kthNeighbourRadii(f, k)), k };
  } finally {
    tf.dispose([r, f]);
  }
}

function concat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.length * rows[0]!.length);
  for (const [i, row] of rows.entries()) out.set(row, i * row.length);
  return out;
}

export interface DiversityReport extends Diversity {
  images: number;
  /** With a segmenter: precision and recall in its bottleneck embedding (sensitive to blur). */
  precisionRecall?: PrecisionRecall;
  /** With a segmenter: precision and recall in its part-layout embedding (coverage of layouts; blur-tolerant). */
  layoutPrecisionRecall?: PrecisionRecall;
}

/**
 * Diversity of a set of generated images against real ones: pixel-spread ratios, and precision and
 * recall in the segmenter's embedding when one is given.
 *
 * @example
 * const fake = await generatedImages(g, 1000);
 * const real = await realImages(data, 1000);
 * const report = await measureDiversity(real, fake, resolution, segmenter);
 */
export async function measureDiversity(real: Float32Array[], fake: Float32Array[], resolution: number, segmenter?: Segmenter): Promise<DiversityReport> {
  const report: DiversityReport = { images: Math.min(real.length, fake.length), ...diversity(real, fake) };
  // Precision/recall need more samples than neighbours (k = 3).
  if (segmenter && report.images > 3) {
    const embed = async (set: Float32Array[], of: "embeddings" | "layouts") => {
      const out: Float32Array[] = [];
      for (let i = 0; i < set.length; i += 64) {
        out.push(...(await segmenter[of](set.slice(i, i + 64).map((data) => ({ width: resolution, height: resolution, data })))));
      }
      return out;
    };
    report.precisionRecall = precisionRecall(await embed(real, "embeddings"), await embed(fake, "embeddings"));
    report.layoutPrecisionRecall = precisionRecall(await embed(real, "layouts"), await embed(fake, "layouts"));
  }
  return report;
}
