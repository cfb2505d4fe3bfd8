/**
 * The generator's building blocks, on tfjs-core ops whose first derivatives are correct in tfjs,
 * and, with `secondOrder`, whose second derivatives are too: no tf.leakyRelu, no resize ops, no
 * depthwise convs, so the trainer can differentiate twice through a network (R1, path length).
 */
import { tf } from "../tf.ts";
import { conv2dPhases, conv2dTranspose2x, phaseKernel, phaseKernelValues } from "./transposed-conv.ts";

const SQRT2 = Math.SQRT2;

/**
 * How a network is built. With `secondOrder`, only from ops whose second derivatives are correct in
 * tfjs (what R1 and path-length regularization need). Otherwise from faster kernels whose first
 * derivatives are correct (inference, and every training phase that differentiates once). Both
 * compute the same function; tests pin them equal.
 */
export interface BuildOptions {
  secondOrder?: boolean;
}

/**
 * Leaky ReLU with slope 0.2. StyleGAN2's gain √2 that follows every leaky ReLU is folded by the
 * callers into the small tensors before it (weight scales, demodulation, bias, noise strength),
 * since lrelu(√2·z) = √2·lrelu(z): one large elementwise multiply less per layer, forward and back.
 * The second-order form is 0.6·x + 0.4·|x|, because tf.leakyRelu has no second derivative in tfjs;
 * the fast form is tf.leakyRelu (|x|'s gradient alone is five kernels on tfjs-node).
 */
export function lrelu(x: tf.Tensor, opts: BuildOptions = {}): tf.Tensor {
  if (!opts.secondOrder) return tf.leakyRelu(x, 0.2);
  return tf.add(tf.mul(x, 0.6), tf.mul(tf.abs(x), 0.4));
}

/** StyleGAN2's gain after a leaky ReLU (for callers folding it in). */
export const LRELU_GAIN = SQRT2;

/**
 * Equalized-learning-rate dense layer: weights stored N(0, 1), scaled at run time by lrMul/√fanIn,
 * and the whole output by `gain` (folded into the weight scale and the bias).
 * x: [N, in], weight: [in, out], bias: [out].
 */
export function denseEq(x: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor, lrMul = 1, gain = 1): tf.Tensor2D {
  const fanIn = weight.shape[0]!;
  const y = tf.matMul(x, tf.mul(weight, (gain * lrMul) / Math.sqrt(fanIn)) as tf.Tensor2D);
  return tf.add(y, tf.mul(bias, gain * lrMul)) as tf.Tensor2D;
}

/**
 * How the 2× upsampling treats the image edge. "zero" is StyleGAN2's upfirdn2d (zero padding) and
 * runs as one transposed convolution; "replicate" repeats the edge pixel and is built from
 * slice/concat (the generators trained before "zero" existed, and the segmenter).
 */
export type UpsampleEdges = "replicate" | "zero";

/**
 * 2× upsampling with the [1, 3, 3, 1] filter (StyleGAN2's upfirdn2d filter), built from
 * slice/concat/reshape so it differentiates twice. x: [N, H, W, C] → [N, 2H, 2W, C].
 * This is the reference for `upsampleRgb` and `modulatedConv`'s transposed-conv path.
 */
export function upsample2x(x: tf.Tensor4D, edges: UpsampleEdges = "replicate"): tf.Tensor4D {
  return upsampleAxis(upsampleAxis(x, 1, edges), 2, edges);
}

function upsampleAxis(x: tf.Tensor4D, axis: 1 | 2, edges: UpsampleEdges): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const len = axis === 1 ? h : w;
  const size = (l: number): [number, number, number, number] => (axis === 1 ? [n, l, w, c] : [n, h, l, c]);
  const at = (i: number): [number, number, number, number] => (axis === 1 ? [0, i, 0, 0] : [0, 0, i, 0]);
  const first = edges === "zero" ? tf.zeros(size(1)) : tf.slice(x, at(0), size(1));
  const last = edges === "zero" ? tf.zeros(size(1)) : tf.slice(x, at(len - 1), size(1));
  const prev = len > 1 ? tf.concat([first, tf.slice(x, at(0), size(len - 1))], axis) : first;
  const next = len > 1 ? tf.concat([tf.slice(x, at(1), size(len - 1)), last], axis) : last;
  const even = tf.add(tf.mul(x, 0.75), tf.mul(prev, 0.25));
  const odd = tf.add(tf.mul(x, 0.75), tf.mul(next, 0.25));
  // Interleave: stack on a new axis right after `axis`, then merge the two.
  const stacked = tf.concat([tf.expandDims(even, axis + 1), tf.expandDims(odd, axis + 1)], axis + 1);
  return tf.reshape(stacked, axis === 1 ? [n, 2 * h, w, c] : [n, h, 2 * w, c]);
}

/** The upsampling filter's taps at offsets −1…2: out[m] = Σ_i x[i]·g[m − 2i]. */
const UP_TAPS = [0.25, 0.75, 0.75, 0.25];

/**
 * 2× upsampling of an image (ToRGB's skip path) with zero edges, as one transposed convolution:
 * equal to `upsample2x(x, "zero")`. x: [N, H, W, C] → [N, 2H, 2W, C].
 */
export function upsampleRgb(x: tf.Tensor4D): tf.Tensor4D {
  const c = x.shape[3];
  const k = new Float32Array(16 * c * c);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let ch = 0; ch < c; ch++) k[((i * 4 + j) * c + ch) * c + ch] = UP_TAPS[i]! * UP_TAPS[j]!;
  // Output o takes kernel tap o + 1 − 2i: tap j is the filter's offset j − 1 (a stride-2 4-tap
  // transpose padded by 1 on each side, conv2dTranspose's "same"), run as conv2dTranspose2x does.
  return conv2dPhases(x, tf.tensor4d(phaseKernelValues(k, 4, c, c), [3, 3, c, 4 * c]));
}

/**
 * A 3×3 kernel [3, 3, Cin, Cout] composed with the upsampling filter: the 6×6 kernel of one
 * transposed convolution (stride 2) equal to "upsample (zero outside the image), then the 3×3
 * conv over the upsampled image's whole support" (StyleGAN2's conv_transpose + blur):
 * E[t] = Σ_k K[k]·g[t + k − 1] per axis for t = −2…3, in conv2dTranspose's layout [6, 6, Cout, Cin].
 */
function upConvKernel(weight: tf.Tensor4D): tf.Tensor4D {
  const [k, , cin, cout] = weight.shape;
  if (k !== 3) throw new Error(`upsampling conv: expected a 3×3 kernel, got ${k}×${k}`);
  const a = new Float32Array(18);
  for (let t = 0; t < 6; t++) for (let kk = 0; kk < 3; kk++) a[t * 3 + kk] = UP_TAPS[t + kk - 3 + 1] ?? 0;
  const A = tf.tensor2d(a, [6, 3]);
  const rows = tf.reshape(tf.matMul(A, tf.reshape(weight, [3, 3 * cin * cout])), [6, 3, cin * cout]); // [ty, kx, ·]
  const cols = tf.matMul(A, tf.reshape(tf.transpose(rows, [1, 0, 2]), [3, 6 * cin * cout])); // [tx, ty·…]
  return tf.transpose(tf.reshape(cols, [6, 6, cin, cout]), [1, 0, 3, 2]) as tf.Tensor4D;
}

export interface ModConvParams {
  affineWeight: tf.Tensor;
  affineBias: tf.Tensor;
  weight: tf.Tensor4D;
  bias: tf.Tensor;
  /** `upConvPhaseKernel(weight)`, when computed once for inference; otherwise computed per call. */
  upKernel?: tf.Tensor4D;
}

/**
 * The upsampling conv's kernel as `conv2dPhases` takes it: the 3×3 weight [3, 3, Cin, Cout] with its
 * equalized-lr gain, composed with the upsampling filter, decomposed into the four output phases.
 * A function of the weight alone (the styles scale the input, not the kernel).
 *
 * @example
 * params[`${name}.up_kernel`] = upConvPhaseKernel(params[`${name}.weight`]); // once, for inference
 */
export function upConvPhaseKernel(weight: tf.Tensor4D): tf.Tensor4D {
  const [k, , cin] = weight.shape;
  return tf.tidy(() => phaseKernel(upConvKernel(tf.mul(weight, 1 / Math.sqrt(cin * k * k)) as tf.Tensor4D)));
}

/**
 * Modulated convolution in the non-fused form: x·s → (upsample) → conv(W) → ·d·gain.
 * s = affine(w) per input channel; d = rsqrt(Σ (W·s)² + 1e-8) per output channel (when demodulating).
 * x: [N, H, W, Cin], w: [N, wDim], weight: [k, k, Cin, Cout]. Returns [N, H', W', Cout] before bias.
 * With `up` and zero edges, upsampling and conv run as one transposed conv (`reference` forces the
 * upsample-then-conv form it is tested against).
 */
export function modulatedConv(
  x: tf.Tensor4D,
  w: tf.Tensor2D,
  p: ModConvParams,
  opts: { demodulate: boolean; up: boolean; upEdges?: UpsampleEdges; gain?: number; reference?: boolean },
): tf.Tensor4D {
  const [k, , cin, cout] = p.weight.shape;
  const [n, h, wd] = x.shape;
  const styles = denseEq(w, p.affineWeight, p.affineBias); // [N, Cin]
  // Equalized lr for the conv weight (ToRGB in StyleGAN2 folds this gain into the styles: same product).
  const weight = tf.mul(p.weight, 1 / Math.sqrt(cin * k * k)) as tf.Tensor4D;
  let y = tf.mul(x, tf.reshape(styles, [n, 1, 1, cin])) as tf.Tensor4D;
  if (opts.up && opts.upEdges === "zero" && !opts.reference) {
    // One transposed conv with the filter folded into the kernel: output o takes tap o + 2 − 2i, and
    // "same" pads the stride-2 6-tap transpose by exactly 2 on each side.
    y = p.upKernel ? conv2dPhases(y, p.upKernel) : conv2dTranspose2x(y, upConvKernel(weight));
  } else if (opts.up && opts.upEdges === "zero") {
    // The reference: zero outside the image, upsample onto the grid the 3×3 conv reads (one extra
    // row and column of the upsampled image on each side, as StyleGAN2's upfirdn2d), then convolve.
    const big = upsample2x(tf.pad(y, [[0, 0], [1, 1], [1, 1], [0, 0]]), "zero");
    y = tf.conv2d(tf.slice(big, [0, 1, 1, 0], [n, 2 * h + 2, 2 * wd + 2, cin]), weight, 1, "valid");
  } else {
    if (opts.up) y = upsample2x(y, "replicate");
    y = tf.conv2d(y, weight, 1, "same");
  }
  const gain = opts.gain ?? 1;
  if (opts.demodulate) {
    const wsq = tf.sum(tf.square(weight), [0, 1]) as tf.Tensor2D; // [Cin, Cout]
    let d = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), wsq), 1e-8)); // [N, Cout]
    if (gain !== 1) d = tf.mul(d, gain);
    y = tf.mul(y, tf.reshape(d, [n, 1, 1, cout])) as tf.Tensor4D;
  } else if (gain !== 1) {
    y = tf.mul(y, gain) as tf.Tensor4D;
  }
  return y;
}
