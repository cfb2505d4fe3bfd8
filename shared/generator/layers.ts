/**
 * The generator's building blocks, on tfjs-core ops whose first and second derivatives are correct
 * in tfjs (see FACTS.md): no tf.leakyRelu, no resize ops, no depthwise convs, so the trainer can
 * differentiate twice through the generator (path-length regularization).
 */
import { tf } from "../tf.ts";

const SQRT2 = Math.SQRT2;

/** Leaky ReLU (slope 0.2) times StyleGAN2's gain √2, as 0.6·x + 0.4·|x| (twice differentiable in tfjs). */
export function lreluGain(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(x, 0.6 * SQRT2), tf.mul(tf.abs(x), 0.4 * SQRT2));
}

/**
 * Equalized-learning-rate dense layer: weights stored N(0, 1), scaled at run time by lrMul/√fanIn.
 * x: [N, in], weight: [in, out], bias: [out].
 */
export function denseEq(x: tf.Tensor2D, weight: tf.Tensor, bias: tf.Tensor, lrMul = 1): tf.Tensor2D {
  const fanIn = weight.shape[0]!;
  const y = tf.matMul(x, tf.mul(weight, lrMul / Math.sqrt(fanIn)) as tf.Tensor2D);
  return tf.add(y, tf.mul(bias, lrMul)) as tf.Tensor2D;
}

/**
 * 2× upsampling with the [1, 3, 3, 1] filter (StyleGAN2's upfirdn2d filter; edges replicated),
 * built from slice/concat/reshape so it differentiates twice. x: [N, H, W, C] → [N, 2H, 2W, C].
 */
export function upsample2x(x: tf.Tensor4D): tf.Tensor4D {
  return upsampleAxis(upsampleAxis(x, 1), 2);
}

function upsampleAxis(x: tf.Tensor4D, axis: 1 | 2): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const len = axis === 1 ? h : w;
  const size = (l: number): [number, number, number, number] => (axis === 1 ? [n, l, w, c] : [n, h, l, c]);
  const at = (i: number): [number, number, number, number] => (axis === 1 ? [0, i, 0, 0] : [0, 0, i, 0]);
  const first = tf.slice(x, at(0), size(1));
  const last = tf.slice(x, at(len - 1), size(1));
  const prev = len > 1 ? tf.concat([first, tf.slice(x, at(0), size(len - 1))], axis) : first;
  const next = len > 1 ? tf.concat([tf.slice(x, at(1), size(len - 1)), last], axis) : last;
  const even = tf.add(tf.mul(x, 0.75), tf.mul(prev, 0.25));
  const odd = tf.add(tf.mul(x, 0.75), tf.mul(next, 0.25));
  // Interleave: stack on a new axis right after `axis`, then merge the two.
  const stacked = tf.concat([tf.expandDims(even, axis + 1), tf.expandDims(odd, axis + 1)], axis + 1);
  return tf.reshape(stacked, axis === 1 ? [n, 2 * h, w, c] : [n, h, 2 * w, c]);
}

export interface ModConvParams {
  affineWeight: tf.Tensor;
  affineBias: tf.Tensor;
  weight: tf.Tensor4D;
  bias: tf.Tensor;
}

/**
 * Modulated convolution in the non-fused form: x·s → (upsample) → conv(W) → ·d.
 * s = affine(w) per input channel; d = rsqrt(Σ (W·s)² + 1e-8) per output channel (when demodulating).
 * x: [N, H, W, Cin], w: [N, wDim], weight: [k, k, Cin, Cout]. Returns [N, H', W', Cout] before bias.
 */
export function modulatedConv(
  x: tf.Tensor4D,
  w: tf.Tensor2D,
  p: ModConvParams,
  opts: { demodulate: boolean; up: boolean },
): tf.Tensor4D {
  const [k, , cin, cout] = p.weight.shape;
  const n = x.shape[0];
  const styles = denseEq(w, p.affineWeight, p.affineBias); // [N, Cin]
  // Equalized lr for the conv weight (ToRGB in StyleGAN2 folds this gain into the styles: same product).
  const weight = tf.mul(p.weight, 1 / Math.sqrt(cin * k * k)) as tf.Tensor4D;
  let y = tf.mul(x, tf.reshape(styles, [n, 1, 1, cin])) as tf.Tensor4D;
  if (opts.up) y = upsample2x(y);
  y = tf.conv2d(y, weight, 1, "same");
  if (opts.demodulate) {
    const wsq = tf.sum(tf.square(weight), [0, 1]) as tf.Tensor2D; // [Cin, Cout]
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(styles), wsq), 1e-8)); // [N, Cout]
    y = tf.mul(y, tf.reshape(d, [n, 1, 1, cout])) as tf.Tensor4D;
  }
  return y;
}
