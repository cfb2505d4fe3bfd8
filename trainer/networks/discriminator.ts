/**
 * StyleGAN2's residual discriminator with minibatch standard deviation. R1 differentiates through it
 * twice, so it is built from tfjs ops whose second derivatives are correct: convs (stride 1 and 2),
 * matMul, reshape/concat, mean, sqrt, and, with `secondOrder` (the R1 phase), abs for leaky ReLU
 * (`lrelu`). Downsampling is a learned stride-2 conv, never pooling or resize, after StyleGAN2's
 * low-pass filter with `downsample: "blur"` (a product with banded matrices).
 */
import { z } from "zod";
import { type BuildOptions, LRELU_GAIN, lrelu } from "../../shared/generator/layers.ts";
import type { ParamSpec } from "../../shared/generator/params.ts";
import { tf } from "../../shared/tf.ts";

export const DiscriminatorConfig = z
  .object({
    resolution: z.number().int().min(8).max(1024),
    channelBase: z.number().int().min(4),
    channelMax: z.number().int().min(1).max(1024),
    /** Minibatch-stddev group size (StyleGAN2: 4); the batch must be divisible by it. */
    mbstdGroup: z.number().int().min(1).default(4),
    /**
     * How each block's 3×3 conv downsamples: "stride", a plain stride-2 conv (the networks trained
     * before "blur" existed); "blur", StyleGAN2's: the [1, 3, 3, 1] low-pass first, so that D
     * cannot see (and G cannot exploit) patterns above the new Nyquist frequency. Same parameters.
     */
    downsample: z.enum(["stride", "blur"]).default("stride"),
  })
  .strict();
export type DiscriminatorConfig = z.infer<typeof DiscriminatorConfig>;

const ch = (cfg: DiscriminatorConfig, res: number) => Math.max(1, Math.min(Math.floor(cfg.channelBase / res), cfg.channelMax));

/** Block resolutions from the top down to 8 (the 4×4 epilogue follows). */
const blockRes = (cfg: DiscriminatorConfig) => {
  const out: number[] = [];
  for (let r = cfg.resolution; r > 4; r /= 2) out.push(r);
  return out;
};

export function discriminatorParamSpecs(cfg: DiscriminatorConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, cin: number, cout: number, bias = true) => {
    specs.push({ name: `${name}.weight`, shape: [k, k, cin, cout], init: "normal", trainable: true });
    if (bias) specs.push({ name: `${name}.bias`, shape: [cout], init: "zeros", trainable: true });
  };
  conv(`d.b${cfg.resolution}.fromrgb`, 1, 3, ch(cfg, cfg.resolution));
  for (const r of blockRes(cfg)) {
    conv(`d.b${r}.conv0`, 3, ch(cfg, r), ch(cfg, r));
    conv(`d.b${r}.conv1`, 3, ch(cfg, r), ch(cfg, r / 2));
    conv(`d.b${r}.skip`, 2, ch(cfg, r), ch(cfg, r / 2), false);
  }
  const c4 = ch(cfg, 4);
  conv("d.b4.conv", 3, c4 + 1, c4);
  specs.push({ name: "d.b4.fc.weight", shape: [16 * c4, c4], init: "normal", trainable: true });
  specs.push({ name: "d.b4.fc.bias", shape: [c4], init: "zeros", trainable: true });
  specs.push({ name: "d.b4.out.weight", shape: [c4, 1], init: "normal", trainable: true });
  specs.push({ name: "d.b4.out.bias", shape: [1], init: "zeros", trainable: true });
  return specs;
}

type Params = Record<string, tf.Tensor>;

/** Equalized-lr conv; `gain` scales the output (folded into the weight scale and the bias). */
function convEq(x: tf.Tensor4D, p: Params, name: string, stride: 1 | 2 = 1, pad: "same" | "valid" = "same", gain = 1): tf.Tensor4D {
  const w = p[`${name}.weight`] as tf.Tensor4D;
  const [k, , cin] = w.shape;
  let y = tf.conv2d(x, tf.mul(w, gain / Math.sqrt(cin * k * k)) as tf.Tensor4D, stride, pad);
  const b = p[`${name}.bias`];
  if (b) y = tf.add(y, gain === 1 ? b : tf.mul(b, gain));
  return y;
}

/** StyleGAN2's [1, 3, 3, 1] filter, normalised. */
const BLUR_TAPS = [1 / 8, 3 / 8, 3 / 8, 1 / 8];

/**
 * [L + 1, L]: row i takes Σ_k f[k]·x[i + k − 2], the filter over x zero-padded by 2 on each side
 * (StyleGAN2's padding before a 3×3 stride-2 conv), so a valid 3×3 stride-2 conv of the result has
 * L/2 outputs.
 */
function blurMatrix(len: number): tf.Tensor3D {
  const m = new Float32Array((len + 1) * len);
  for (let i = 0; i <= len; i++) for (let k = 0; k < 4; k++) if (i + k - 2 >= 0 && i + k - 2 < len) m[i * len + i + k - 2] = BLUR_TAPS[k]!;
  return tf.tensor3d(m, [1, len + 1, len]);
}

/**
 * The [1, 3, 3, 1] low-pass along H and W with 2 zero pixels on each side: [N, H, W, C] →
 * [N, H + 1, W + 1, C]. Two matMuls over contiguous reshapes (no depthwise conv, no transpose), so
 * it differentiates twice.
 */
export function blurForDownsample(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const rows = tf.matMul(blurMatrix(h), tf.reshape(x, [n, h, w * c])); // [n, h + 1, w·c]
    const cols = tf.matMul(blurMatrix(w), tf.reshape(rows, [n * (h + 1), w, c])); // [n·(h + 1), w + 1, c]
    return tf.reshape(cols, [n, h + 1, w + 1, c]) as tf.Tensor4D;
  });
}

function minibatchStd(x: tf.Tensor4D, group: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const g = Math.min(group, n);
  if (n % g !== 0) throw new Error(`minibatch stddev: batch ${n} is not divisible by group ${g}`);
  const y = tf.reshape(x, [g, n / g, h, w, c]);
  const centred = tf.sub(y, tf.mean(y, 0, true));
  const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), 1e-8)); // [n/g, h, w, c]
  const s = tf.mean(tf.reshape(std, [n / g, h * w * c]), 1); // [n/g]
  // Broadcast back: sample i belongs to group-column i mod (n/g) (same layout as StyleGAN2's reshape).
  const col = tf.reshape(s, [1, n / g, 1, 1, 1]);
  // (a broadcasting multiply, not tile: its gradient is a plain sum, safe to differentiate twice)
  const feat = tf.reshape(tf.mul(col, tf.ones([g, n / g, h, w, 1])), [n, h, w, 1]);
  return tf.concat([x, feat], 3) as tf.Tensor4D;
}

/**
 * Logits [N, 1] for images [N, res, res, 3] in [−1, 1].
 *
 * @example
 * const logits = discriminator(dParams, dCfg, images);
 */
export function discriminator(p: Params, cfg: DiscriminatorConfig, img: tf.Tensor4D, opts: BuildOptions = {}): tf.Tensor2D {
  const n = img.shape[0];
  // lrelu(z)·√2 = lrelu(√2·z): StyleGAN2's gain goes into each layer's weight scale and bias.
  const act = (x: tf.Tensor4D) => lrelu(x, opts) as tf.Tensor4D;
  let x = act(convEq(img, p, `d.b${cfg.resolution}.fromrgb`, 1, "same", LRELU_GAIN));
  for (const r of blockRes(cfg)) {
    // The residual sum is scaled by √½ (StyleGAN2), folded into both branches' last layers.
    const skip = convEq(x, p, `d.b${r}.skip`, 2, "valid", Math.SQRT1_2);
    let y = act(convEq(x, p, `d.b${r}.conv0`, 1, "same", LRELU_GAIN));
    y = cfg.downsample === "blur" ? blurForDownsample(y) : y;
    y = act(convEq(y, p, `d.b${r}.conv1`, 2, cfg.downsample === "blur" ? "valid" : "same", LRELU_GAIN * Math.SQRT1_2));
    x = tf.add(skip, y) as tf.Tensor4D;
    if (x.shape[1] !== r / 2 || x.shape[3] !== ch(cfg, r / 2)) throw new Error(`d.b${r}: unexpected shape [${x.shape}]`);
  }
  x = minibatchStd(x, cfg.mbstdGroup);
  x = act(convEq(x, p, "d.b4.conv", 1, "same", LRELU_GAIN));
  const c4 = ch(cfg, 4);
  const flat = tf.reshape(x, [n, 16 * c4]) as tf.Tensor2D;
  const fcW = p["d.b4.fc.weight"]!;
  const h = lrelu(tf.add(tf.matMul(flat, tf.mul(fcW, LRELU_GAIN / Math.sqrt(16 * c4)) as tf.Tensor2D), tf.mul(p["d.b4.fc.bias"]!, LRELU_GAIN)), opts) as tf.Tensor2D;
  const outW = p["d.b4.out.weight"]!;
  return tf.add(tf.matMul(h, tf.mul(outW, 1 / Math.sqrt(c4)) as tf.Tensor2D), p["d.b4.out.bias"]!) as tf.Tensor2D;
}
