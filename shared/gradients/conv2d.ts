import { tf } from "../tf.ts";

/**
 * Conv2D's input gradient as an ordinary convolution: for a stride-1, undilated NHWC conv with
 * "same" padding and an odd kernel (or "valid" padding), dL/dx is dL/dy convolved with the kernel
 * rotated by 180° and its channel axes swapped. tfjs computes it with Conv2DBackpropInput, which
 * the wasm backend (the worker's) runs as a plain loop, about 8 times slower per call than its
 * XNNPACK Conv2D: on faces64 that kernel took most of a projector step (#14). On tfjs-node the
 * two forms took the same time and gave identical values. Any other conv (strided, dilated, NCHW)
 * keeps tfjs's own gradient, as does every filter gradient. The replacement is built from conv2d,
 * matMul, reshape, transpose and pad, so it differentiates again (R1 through a discriminator's convs).
 *
 * Call once, after tfjs's gradients are registered (they would replace this one). Idempotent.
 *
 * @example
 * import "@tensorflow/tfjs-core/dist/register_all_gradients"; // or, in Node, "@tensorflow/tfjs"
 * useConvInputGradientAsConv();
 */
export function useConvInputGradientAsConv(): void {
  const original = tf.getGradient("Conv2D");
  if (!original) throw new Error('useConvInputGradientAsConv: no Conv2D gradient is registered yet; import tfjs\'s gradients first ("@tensorflow/tfjs" in Node, "@tensorflow/tfjs-core/dist/register_all_gradients" in a bundle)');
  if (original === registered) return;
  registered = {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const grads = original.gradFunc(dy, saved, attrs);
      const [, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { strides, pad, dilations, dataFormat } = attrs as { strides: number | [number, number]; pad: unknown; dilations?: number | [number, number]; dataFormat?: string };
      const ones = (v: number | [number, number] | undefined) => v === undefined || (typeof v === "number" ? v === 1 : v[0] === 1 && v[1] === 1);
      const [kh, kw] = filter.shape;
      const sameOdd = pad === "same" && kh % 2 === 1 && kw % 2 === 1;
      if (!ones(strides) || !ones(dilations) || (dataFormat ?? "NHWC") !== "NHWC" || !(sameOdd || pad === "valid")) return grads;
      return {
        ...grads,
        x: () => {
          const [, , cin, cout] = filter.shape;
          // The 180° rotation as a product with the tap-reversing permutation: a matMul runs on
          // XNNPACK on wasm, where tf.reverse of a 3×3×128×128 kernel cost as much as the conv.
          const reversed = tf.matMul(tapReversal(kh * kw), tf.reshape(filter, [kh * kw, cin * cout]));
          const rotated = tf.transpose(tf.reshape(reversed, [kh, kw, cin, cout]), [0, 1, 3, 2]) as tf.Tensor4D;
          if (pad === "same") return tf.conv2d(dy as tf.Tensor4D, rotated, 1, "same");
          return tf.conv2d(tf.pad(dy as tf.Tensor4D, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]), rotated, 1, "valid");
        },
      };
    },
  };
  tf.registerGradient(registered);
}

let registered: tf.GradConfig | undefined;

/** The n×n permutation that reverses n taps (row i takes tap n − 1 − i): over a kernel's flattened kh·kw taps, a 180° rotation. */
function tapReversal(n: number): tf.Tensor2D {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + (n - 1 - i)] = 1;
  return tf.tensor2d(m, [n, n]);
}
