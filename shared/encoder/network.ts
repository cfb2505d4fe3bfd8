/**
 * The encoder's forward pass: a pure function of a parameter record (variables in the trainer,
 * loaded tensors in the worker and the browser), like the generator's and the segmenter's.
 *
 * Ops: conv2d (stride 1 and 2, "same"), avgPool, leakyRelu, add, mul, reshape, matMul. Each has a
 * kernel on the cpu, wasm, webgl, webgpu and tensorflow backends.
 */
import { tf } from "../tf.ts";
import { type EncoderConfig, hiddenOf } from "./config.ts";
import { ENCODER_LRELU_SLOPE, ENCODER_PREFIX } from "./params.ts";

export type EncoderParams = Record<string, tf.Tensor>;

function param(params: EncoderParams, name: string): tf.Tensor {
  const t = params[`${ENCODER_PREFIX}${name}`];
  if (!t) throw new Error(`encoder parameter missing: ${ENCODER_PREFIX}${name}`);
  return t;
}

function conv(params: EncoderParams, name: string, x: tf.Tensor4D, stride: 1 | 2, act: boolean, bias = true): tf.Tensor4D {
  let y = tf.conv2d(x, param(params, `${name}.weight`) as tf.Tensor4D, stride, "same");
  if (bias) y = tf.add(y, param(params, `${name}.bias`));
  return act ? tf.leakyRelu(y, ENCODER_LRELU_SLOPE) : y;
}

/**
 * Images [N, res, res, 3] in [−1, 1] → codes [N, wDim].
 *
 * @example
 * const w = encoderForward(params, cfg, images); // then synthesis(gParams, gCfg, w, "zeros")
 */
export function encoderForward(params: EncoderParams, cfg: EncoderConfig, images: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = images.shape;
  if (h !== cfg.resolution || w !== cfg.resolution || c !== 3) {
    throw new Error(`encoder input: expected [N, ${cfg.resolution}, ${cfg.resolution}, 3], got [${images.shape}]`);
  }
  return tf.tidy(() => {
    let x = conv(params, "stem", images, 1, true);
    for (let l = 1; l < cfg.channels.length; l++) {
      const main = conv(params, `block${l}.conv1`, conv(params, `block${l}.conv0`, x, 2, true), 1, true);
      const skip = conv(params, `block${l}.skip`, tf.avgPool(x, 2, 2, "valid"), 1, false, false);
      x = tf.mul(tf.add(main, skip), Math.SQRT1_2) as tf.Tensor4D;
    }
    const flat = tf.reshape(x, [n, 16 * cfg.channels.at(-1)!]) as tf.Tensor2D;
    const hidden = tf.leakyRelu(tf.add(tf.matMul(flat, param(params, "fc.weight") as tf.Tensor2D), param(params, "fc.bias")), ENCODER_LRELU_SLOPE) as tf.Tensor2D;
    const out = tf.add(tf.matMul(hidden, param(params, "out.weight") as tf.Tensor2D), param(params, "out.bias")) as tf.Tensor2D;
    if (out.shape[1] !== cfg.wDim || hidden.shape[1] !== hiddenOf(cfg)) throw new Error(`encoder output: expected [${n}, ${cfg.wDim}], got [${out.shape}]`);
    return out;
  });
}
