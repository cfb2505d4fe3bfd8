/**
 * Differentiable augmentation of every image the discriminator sees (DiffAugment, Zhao et al. 2020),
 * with ADA's adaptive probability (Karras et al. 2020) as an option.
 *
 * Why: on flat-colour cartoon faces the discriminator overfits within about a hundred steps and the
 * generator collapses to one face. Augmenting reals and fakes alike, in the G, D and R1 phases, keeps
 * D from memorising while G still learns the un-augmented distribution (the transforms are applied
 * to both sides, so they do not leak into G's output).
 *
 * Every transform is affine in the image and built from mul/add/mean/matMul/transpose only, whose
 * second derivatives are correct in tfjs, because R1 differentiates D(aug(x)) twice. Translation is
 * a product with per-image shift matrices (zero fill), not a gather or a resize; cutout multiplies by
 * a host-built mask. The random parameters are drawn on the host from the trainer's seeded PRNG, so
 * a resumed run augments exactly as an uninterrupted one.
 */
import { z } from "zod";
import type { Prng } from "../../shared/random/prng.ts";
import { tf } from "../../shared/tf.ts";

export const AugmentConfig = z
  .object({
    /** Transforms, applied in this order: DiffAugment's "color,translation,cutout". Empty: off. */
    policy: z.array(z.enum(["color", "translation", "cutout"])).default(["color", "translation", "cutout"]),
    /** Largest shift, as a fraction of the image side (DiffAugment: 1/8). */
    translation: z.number().min(0).max(0.5).default(0.125),
    /** Side of the cut-out square, as a fraction of the image side (DiffAugment: 1/2). */
    cutout: z.number().min(0).max(1).default(0.5),
    /** Probability that each transform is applied to a given image (DiffAugment: 1). */
    probability: z.number().min(0).max(1).default(1),
    /**
     * ADA: when set, the probability starts at `probability` and is adjusted every 4 steps so that
     * E[sign(D(real))] stays near this target (ADA: 0.6).
     */
    target: z.number().min(0).max(1).optional(),
    /** ADA: thousands of images for the probability to move by 1 (ADA: 500). */
    speedKimg: z.number().positive().default(100),
  })
  .strict();
export type AugmentConfig = z.infer<typeof AugmentConfig>;

/** One batch's augmentation parameters: identity values where a transform is not applied. */
export interface AugmentParams {
  n: number;
  res: number;
  /** [N] brightness shift, saturation and contrast factors (identity: 0, 1, 1). */
  brightness: Float32Array;
  saturation: Float32Array;
  contrast: Float32Array;
  /** [N] integer shifts in pixels, down and right. */
  dy: Int32Array;
  dx: Int32Array;
  /** [N·H·W] 0 inside each image's cut-out square, 1 elsewhere; undefined when cutout is off. */
  cutoutMask?: Float32Array;
}

/** Draw the parameters for a batch of `n` images at `res` px. */
export function drawAugmentParams(cfg: AugmentConfig, p: number, n: number, res: number, rng: Prng): AugmentParams {
  const on = (t: AugmentConfig["policy"][number]) => cfg.policy.includes(t);
  const apply = () => rng.uniform() < p;
  const out: AugmentParams = {
    n,
    res,
    brightness: new Float32Array(n),
    saturation: new Float32Array(n).fill(1),
    contrast: new Float32Array(n).fill(1),
    dy: new Int32Array(n),
    dx: new Int32Array(n),
  };
  const maxShift = Math.floor(res * cfg.translation + 0.5);
  const side = Math.floor(res * cfg.cutout + 0.5);
  if (on("cutout")) out.cutoutMask = new Float32Array(n * res * res).fill(1);
  for (let i = 0; i < n; i++) {
    if (on("color")) {
      // DiffAugment's ranges on [−1, 1] images: brightness ±0.5, saturation ×[0, 2), contrast ×[0.5, 1.5).
      if (apply()) out.brightness[i] = rng.uniform() - 0.5;
      if (apply()) out.saturation[i] = rng.uniform() * 2;
      if (apply()) out.contrast[i] = rng.uniform() + 0.5;
    }
    if (on("translation") && apply()) {
      out.dy[i] = Math.floor(rng.uniform() * (2 * maxShift + 1)) - maxShift;
      out.dx[i] = Math.floor(rng.uniform() * (2 * maxShift + 1)) - maxShift;
    }
    if (out.cutoutMask && side > 0 && apply()) {
      // The square's centre is uniform over the image (it may hang over an edge), as in DiffAugment.
      const cy = Math.floor(rng.uniform() * (res + (1 - (side % 2))));
      const cx = Math.floor(rng.uniform() * (res + (1 - (side % 2))));
      const y0 = Math.max(0, cy - (side >> 1));
      const y1 = Math.min(res, cy - (side >> 1) + side);
      const x0 = Math.max(0, cx - (side >> 1));
      const x1 = Math.min(res, cx - (side >> 1) + side);
      for (let y = y0; y < y1; y++) out.cutoutMask.fill(0, i * res * res + y * res + x0, i * res * res + y * res + x1);
    }
  }
  return out;
}

/** [N, R, R] matrices S with (S·X)[r] = X[r − shift[n]] (zero outside the image). */
function shiftMatrices(shift: Int32Array, res: number): Float32Array {
  const m = new Float32Array(shift.length * res * res);
  for (let n = 0; n < shift.length; n++) {
    for (let r = 0; r < res; r++) {
      const src = r - shift[n]!;
      if (src >= 0 && src < res) m[n * res * res + r * res + src] = 1;
    }
  }
  return m;
}

/**
 * Apply drawn parameters to images [N, R, R, C] (in [−1, 1]). Differentiable twice in the images.
 *
 * @example
 * const params = drawAugmentParams(AugmentConfig.parse({}), 1, 16, 64, rng);
 * const seen = augment(images, params); // what D is shown instead of `images`
 */
export function augment(x: tf.Tensor4D, a: AugmentParams): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (n !== a.n || h !== a.res || w !== a.res) throw new Error(`augment: images [${x.shape}] do not match parameters for ${a.n}×${a.res}²`);
  const col = (v: Float32Array) => tf.tensor4d(v, [n, 1, 1, 1]);
  let y: tf.Tensor4D = x;
  if (a.brightness.some((v) => v !== 0)) y = tf.add(y, col(a.brightness));
  if (a.saturation.some((v) => v !== 1)) {
    const mean = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, mean), col(a.saturation)), mean);
  }
  if (a.contrast.some((v) => v !== 1)) {
    const mean = tf.mean(y, [1, 2, 3], true);
    y = tf.add(tf.mul(tf.sub(y, mean), col(a.contrast)), mean);
  }
  if (a.dy.some((v) => v !== 0) || a.dx.some((v) => v !== 0)) {
    const sy = tf.tensor3d(shiftMatrices(a.dy, h), [n, h, h]);
    const sx = tf.tensor3d(shiftMatrices(a.dx, w), [n, w, w]);
    const rows = tf.reshape(tf.matMul(sy, tf.reshape(y, [n, h, w * c])), [n, h, w, c]);
    const cols = tf.matMul(sx, tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, w, h * c]));
    y = tf.transpose(tf.reshape(cols, [n, w, h, c]), [0, 2, 1, 3]);
  }
  if (a.cutoutMask?.some((v) => v === 0)) y = tf.mul(y, tf.tensor4d(a.cutoutMask, [n, h, w, 1]));
  return y as tf.Tensor4D;
}

/**
 * The training run's augmentation: draws fresh parameters for every discriminator call from the
 * run's PRNG, and (with a target) adapts its probability from D's outputs on reals, as ADA does.
 */
export class Augmenter {
  /** Sum and count of sign(D(real)) since the last adjustment. */
  private signSum = 0;
  private signCount = 0;

  constructor(
    readonly cfg: AugmentConfig,
    private readonly rng: Prng,
    /** The current probability (checkpointed). */
    public p = cfg.probability,
  ) {}

  get enabled(): boolean {
    return this.cfg.policy.length > 0;
  }

  /** Augment a batch with freshly drawn parameters (identity when the policy is empty). */
  apply = (x: tf.Tensor4D): tf.Tensor4D => {
    if (!this.enabled) return x;
    return augment(x, drawAugmentParams(this.cfg, this.p, x.shape[0], x.shape[1], this.rng));
  };

  /** Record sign(D(real)) of one step: its mean over the batch and the batch size. */
  observe(meanSign: number, n: number): void {
    this.signSum += meanSign * n;
    this.signCount += n;
  }

  /** What a checkpoint keeps: the probability and the statistic gathered since the last update. */
  state(): { p: number; signSum: number; signCount: number } {
    return { p: this.p, signSum: this.signSum, signCount: this.signCount };
  }

  load(s: { p: number; signSum: number; signCount: number }): void {
    this.p = s.p;
    this.signSum = s.signSum;
    this.signCount = s.signCount;
  }

  /** ADA's update, every `interval` steps of `batch` images: p moves towards keeping r_t at the target. */
  adjust(imagesSinceLast: number): void {
    if (this.cfg.target === undefined || this.signCount === 0) return;
    const rt = this.signSum / this.signCount;
    const step = Math.sign(rt - this.cfg.target) * (imagesSinceLast / (this.cfg.speedKimg * 1000));
    this.p = Math.min(1, Math.max(0, this.p + step));
    this.signSum = 0;
    this.signCount = 0;
  }
}
