/**
 * The LinkGAN regularizer (Zhu et al., "LinkGAN: Linking GAN Latents to Pixels for Controllable
 * Image Synthesis", ICCV 2023, arXiv 2301.04604), per linked region i:
 *   x  = G(w)
 *   x1 = G(w + α·p ⊙ m_i)          perturb the region's own axes
 *   x2 = G(w + α·p′ ⊙ (1 − m_i))   perturb every other axis
 *   L_out = ‖(1 − M_i) ⊙ (x1 − x)‖²   the linked axes must not change pixels outside the region
 *   L_in  = ‖M_i ⊙ (x2 − x)‖²         the other axes must not change pixels inside it
 *   L_reg = Σ_i (λ1·L_in + λ2·L_out)     (λ1, λ2 global, or per region: `regions`)
 * All images share the noise maps, so only w differs. Squared norms are averaged over pixels and
 * channels (‖·‖²/(H·W·3)) and over the batch, so λ does not depend on resolution (the paper gives no
 * normalisation). The perturbed images are returned for the discriminator to see as fakes.
 *
 * The "ratio" form (this project's, not the paper's) replaces each squared norm by the share of the
 * change that lands on the wrong side of the mask, per image, with each side's change a mean over
 * that side's pixels:
 *   L_out = o1 / (o1 + i1),  L_in = i2 / (i2 + o2),  o·, i· = mean of (x· − x)² outside / inside M_i
 * so L_out/(1 − L_out) is exactly the locality metric MSE_o/MSE_i. Both terms are invariant to the
 * size of the change, so, unlike the paper's form, they cannot be lowered by making the axes (or the
 * whole generator) inert: on the small 64 px generator here the paper's form at λ = 30 collapsed
 * every seed to one face within 4 kimg. Images whose mask is empty or full are left out of a term.
 * The gradient runs through both sides: a term also falls when the allowed side's change grows,
 * which at λ = 1 showed as speckles by 8 kimg; holding that side constant instead collapsed every
 * seed to one face within 4 kimg, as the paper's form did (weights/in-progress/README.md).
 *
 * Semantic regions: M_i is the segmenter's mask, per sample, computed without gradient through the
 * segmenter (`semanticMask`), so the region follows each image's hair (say) while the generator alone
 * is trained. With `semanticMasks: "union"` (the default) each term takes the union of the masks of
 * the two images it compares (x and x1 for L_out, x and x2 for L_in): the hair's own axes may then
 * grow or cut the hair, whose new pixels lie in x1's mask, and the other axes may not do either.
 * With "unperturbed" both terms take x's mask, so any change of the hair's outline is punished as a
 * change outside it; on faces64 that made every face bald within 4 kimg (weights/in-progress/README.md).
 */
import { z } from "zod";
import { axisMask } from "../../shared/editing/edit.ts";
import type { AxisRange } from "../../shared/regions/schema.ts";
import { segmenterLabels } from "../../shared/segmenter/network.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../../shared/tf.ts";

export const LinkGanConfig = z
  .object({
    /** Perturbation strength α (p ~ N(0, I) in W). */
    alpha: z.number().positive().default(1),
    /** λ1: weight of L_in (other axes must not change the region). */
    lambdaIn: z.number().min(0).default(10),
    /** λ2: weight of L_out (the region's axes must not change the rest). */
    lambdaOut: z.number().min(0).default(10),
    /** Apply every `interval` generator steps (lazy; the paper uses 8). The loss is multiplied by it. */
    interval: z.number().int().min(1).default(8),
    /**
     * How the axes are resampled: "perturb" adds α·p, p ~ N(0, I) (the paper's x1, x2); "replace"
     * takes them from mapping(z′) of a fresh z′, as the API's edits and the locality metric do, so
     * the perturbation follows W's own spread per axis (α is then unused).
     */
    mode: z.enum(["perturb", "replace"]).default("perturb"),
    /**
     * "energy": the paper's masked squared norms; "ratio": the wrong-side share of each change (see
     * the file comment), which does not reward inert axes.
     */
    form: z.enum(["energy", "ratio"]).default("energy"),
    /** A semantic region's mask per term: "union" of the compared images' masks, or the "unperturbed" image's (see the file comment). */
    semanticMasks: z.enum(["union", "unperturbed"]).default("union"),
    /**
     * λ1 and λ2 of single regions, by region name, in place of the global ones: e.g.
     * `{ "hair": { "lambdaIn": 0 } }` keeps the hair's edits local without asking every other axis
     * to leave the hair alone.
     */
    regions: z
      .record(z.string(), z.object({ lambdaIn: z.number().min(0).optional(), lambdaOut: z.number().min(0).optional() }).strict())
      .optional(),
    /**
     * Images of the batch the regularizer uses (the first ones); default all. Each one renders
     * 1 + 2K images on a link step, so fewer cut the step's cost and memory.
     */
    samples: z.number().int().min(1).optional(),
  })
  .strict();
export type LinkGanConfig = z.infer<typeof LinkGanConfig>;

export interface LinkedRegion {
  name: string;
  axes: AxisRange;
  /** Binary mask on output pixels: fixed, [1, H, W, 1] (broadcast); or semantic, a function of images [N, H, W, 3] giving [N, H, W, 1]. */
  mask: tf.Tensor4D | ((x: tf.Tensor4D) => tf.Tensor4D);
}

/**
 * A semantic region's mask function: 1 where the segmenter labels `className`. Its gradient is zero
 * by definition (customGrad), so backprop never runs through the segmenter.
 *
 * @example
 * const hair: LinkedRegion = { name: "hair", axes: { start: 96, end: 128 }, mask: semanticMask(segmenter, "hair") };
 */
export function semanticMask(segmenter: Segmenter, className: string): (x: tf.Tensor4D) => tf.Tensor4D {
  const k = segmenter.classIndex(className);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D;
    return {
      value: tf.expandDims(tf.cast(tf.equal(segmenterLabels(segmenter.params, segmenter.config, x), k), "float32"), 3),
      gradFunc: () => tf.zerosLike(x),
    };
  });
  return (x) => f(x) as tf.Tensor4D;
}

export interface LinkGanTerms {
  /** Σ_i (λ1·L_in + λ2·L_out), a scalar (not yet multiplied by the interval). */
  loss: tf.Scalar;
  /** Per region, for the metrics log. */
  perRegion: { name: string; lIn: tf.Scalar; lOut: tf.Scalar }[];
  /** The 2·K·N perturbed images (x1 of every region, then x2 of every region). */
  perturbed: tf.Tensor4D;
}

/**
 * @param render renders a batch of w [B, wDim] with the *same* noise for every group of N (the
 *   caller tiles its noise maps K·2 + 1 times).
 * @param w [N, wDim] codes (after mapping, before truncation).
 * @param dIn / dOut [K, N, wDim] changes of w, one pair per region: α·p with p ~ N(0, I)
 *   ("perturb"), or w′ − w for a freshly mapped w′ ("replace"). Only the region's own axes of dIn
 *   and the other axes of dOut are used.
 */
export function linkganTerms(
  render: (ws: tf.Tensor2D) => tf.Tensor4D,
  w: tf.Tensor2D,
  regions: LinkedRegion[],
  dIn: tf.Tensor3D,
  dOut: tf.Tensor3D,
  cfg: LinkGanConfig,
): LinkGanTerms {
  const [n, wDim] = w.shape;
  const k = regions.length;
  if (k === 0) throw new Error("linkganTerms: no linked regions");
  const codes: tf.Tensor2D[] = [w];
  regions.forEach((r, i) => {
    const m = tf.tensor1d(axisMask(wDim, [r.axes]));
    const d = tf.reshape(tf.slice(dIn, [i, 0, 0], [1, n, wDim]), [n, wDim]);
    codes.push(tf.add(w, tf.mul(d, m)) as tf.Tensor2D);
  });
  regions.forEach((r, i) => {
    const notM = tf.tensor1d(axisMask(wDim, [r.axes]).map((v) => 1 - v));
    const d = tf.reshape(tf.slice(dOut, [i, 0, 0], [1, n, wDim]), [n, wDim]);
    codes.push(tf.add(w, tf.mul(d, notM)) as tf.Tensor2D);
  });
  const all = render(tf.concat(codes, 0) as tf.Tensor2D); // [(1 + 2K)·N, H, W, 3]
  const [, h, wd] = all.shape;
  const part = (j: number) => tf.slice(all, [j * n, 0, 0, 0], [n, h, wd, 3]) as tf.Tensor4D;
  const x = part(0);
  const perRegion: LinkGanTerms["perRegion"] = [];
  let loss = tf.scalar(0);
  regions.forEach((r, i) => {
    const x1 = part(1 + i);
    const x2 = part(1 + k + i);
    const { maskOut, maskIn } = termMasks(r.mask, x, x1, x2, cfg.semanticMasks);
    const { lIn, lOut } = cfg.form === "ratio" ? ratioTerms(maskOut, maskIn, x, x1, x2) : energyTerms(maskOut, maskIn, x, x1, x2);
    perRegion.push({ name: r.name, lIn, lOut });
    const own = cfg.regions?.[r.name];
    loss = tf.add(loss, tf.add(tf.mul(lIn, own?.lambdaIn ?? cfg.lambdaIn), tf.mul(lOut, own?.lambdaOut ?? cfg.lambdaOut))) as tf.Scalar;
  });
  return { loss, perRegion, perturbed: tf.slice(all, [n, 0, 0, 0], [2 * k * n, h, wd, 3]) as tf.Tensor4D };
}

/** The masks of L_out and L_in: a fixed mask for both; a semantic one per image, of x alone or of each term's two images. */
function termMasks(
  mask: LinkedRegion["mask"],
  x: tf.Tensor4D,
  x1: tf.Tensor4D,
  x2: tf.Tensor4D,
  semantic: LinkGanConfig["semanticMasks"],
): { maskOut: tf.Tensor4D; maskIn: tf.Tensor4D } {
  if (typeof mask !== "function") return { maskOut: mask, maskIn: mask };
  const base = mask(x);
  if (semantic === "unperturbed") return { maskOut: base, maskIn: base };
  return { maskOut: tf.maximum(base, mask(x1)), maskIn: tf.maximum(base, mask(x2)) };
}

/** The paper's terms: ‖(1 − M) ⊙ (x1 − x)‖² and ‖M ⊙ (x2 − x)‖², averaged over pixels, channels and images. */
function energyTerms(maskOut: tf.Tensor4D, maskIn: tf.Tensor4D, x: tf.Tensor4D, x1: tf.Tensor4D, x2: tf.Tensor4D): { lIn: tf.Scalar; lOut: tf.Scalar } {
  const lOut = tf.mean(tf.square(tf.mul(tf.sub(1, maskOut), tf.sub(x1, x)))) as tf.Scalar;
  const lIn = tf.mean(tf.square(tf.mul(maskIn, tf.sub(x2, x)))) as tf.Scalar;
  return { lIn, lOut };
}

/** Keeps a ratio finite where an image's change is zero on both sides (far below any real change: about 1e-3 here). */
const RATIO_EPS = 1e-8;

/**
 * Per image: the mask's inside and outside pixel counts, and 1 where both are non-zero. A semantic
 * mask depends on the generated image, so the tape would try to differentiate these comparisons;
 * they are constants of the step (customGrad with a zero gradient).
 */
function maskAreas(m: tf.Tensor4D): { areaIn: tf.Tensor1D; areaOut: tf.Tensor1D; used: tf.Tensor1D } {
  const [n, h, w] = m.shape;
  const stats = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const mk = args[0] as tf.Tensor4D;
    const areaIn = tf.sum(mk, [1, 2, 3]);
    const areaOut = tf.sub(h * w, areaIn);
    const used = tf.cast(tf.logicalAnd(tf.greater(areaIn, 0), tf.greater(areaOut, 0)), "float32");
    return { value: tf.stack([areaIn, areaOut, used], 1), gradFunc: () => tf.zerosLike(mk) };
  })(m) as tf.Tensor2D;
  const col = (j: number) => tf.reshape(tf.slice(stats, [0, j], [n, 1]), [n]) as tf.Tensor1D;
  return { areaIn: col(0), areaOut: col(1), used: col(2) };
}

/** The wrong-side shares o1/(o1 + i1) and i2/(i2 + o2), each averaged over the images whose mask is neither empty nor full. */
function ratioTerms(maskOut: tf.Tensor4D, maskIn: tf.Tensor4D, x: tf.Tensor4D, x1: tf.Tensor4D, x2: tf.Tensor4D): { lIn: tf.Scalar; lOut: tf.Scalar } {
  const [n, h, w] = x.shape;
  // Per image: the mean squared change (over pixels and channels) inside and outside the mask, and
  // whether the image counts (its mask neither empty nor full).
  const sides = (d: tf.Tensor4D, mask: tf.Tensor4D) => {
    const m = tf.broadcastTo(mask, [n, h, w, 1]) as tf.Tensor4D;
    const { areaIn, areaOut, used } = maskAreas(m);
    const sq = tf.sum(tf.square(d), 3, true);
    const inside = tf.div(tf.sum(tf.mul(sq, m), [1, 2, 3]), tf.mul(tf.maximum(areaIn, 1), 3));
    const outside = tf.div(tf.sum(tf.mul(sq, tf.sub(1, m)), [1, 2, 3]), tf.mul(tf.maximum(areaOut, 1), 3));
    return { inside, outside, used };
  };
  const share = (wrong: tf.Tensor, right: tf.Tensor, used: tf.Tensor) => tf.div(tf.sum(tf.mul(tf.div(wrong, tf.add(tf.add(wrong, right), RATIO_EPS)), used)), tf.maximum(tf.sum(used), 1)) as tf.Scalar;
  const c1 = sides(tf.sub(x1, x), maskOut);
  const c2 = sides(tf.sub(x2, x), maskIn);
  return { lOut: share(c1.outside, c1.inside, c1.used), lIn: share(c2.inside, c2.outside, c2.used) };
}
