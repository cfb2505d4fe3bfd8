/**
 * The StyleGAN2-style generator: mapping z → w and synthesis w → image. Pure functions of a
 * parameter record, so the trainer passes `tf.Variable`s, the worker and browser pass loaded tensors,
 * and nothing here knows about losses.
 */
import { tf } from "../tf.ts";
import { type GeneratorConfig, blockResolutions, channelsAt, convLayers, numWs, rgbLayers } from "./config.ts";
import { type BuildOptions, LRELU_GAIN, denseEq, lrelu, modulatedConv, upConvPhaseKernel, upsample2x, upsampleRgb } from "./layers.ts";

/** Parameter tensors by the names of `generatorParamSpecs`. */
export type Params = Record<string, tf.Tensor>;

function param(params: Params, name: string): tf.Tensor {
  const t = params[name];
  if (!t) throw new Error(`generator parameter missing: ${name}`);
  return t;
}

function assertShape(t: tf.Tensor, expected: number[], where: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${where}: expected shape [${expected}], got [${t.shape}]`);
  }
}

/**
 * Mapping network: z [N, zDim] → w [N, wDim]. z is normalised by its RMS, then passes through
 * `mappingLayers` equalized-lr dense layers with leaky ReLU. With `truncation` ψ ≠ 1 the result is
 * w_avg + ψ·(w − w_avg).
 *
 * @example
 * const w = mapping(params, cfg, tf.tensor2d(latentFromSeed(7, cfg.zDim), [1, cfg.zDim]), 0.7);
 */
export function mapping(params: Params, cfg: GeneratorConfig, z: tf.Tensor2D, truncation = 1, opts: BuildOptions = {}): tf.Tensor2D {
  assertShape(z, [z.shape[0], cfg.zDim], "mapping input z");
  return tf.tidy(() => {
    let x = tf.mul(z, tf.rsqrt(tf.add(tf.mean(tf.square(z), 1, true), 1e-8))) as tf.Tensor2D;
    for (let i = 0; i < cfg.mappingLayers; i++) {
      const fc = denseEq(x, param(params, `mapping.fc${i}.weight`), param(params, `mapping.fc${i}.bias`), cfg.mappingLrMul, LRELU_GAIN);
      x = lrelu(fc, opts) as tf.Tensor2D;
    }
    if (truncation !== 1) {
      const avg = param(params, "mapping.w_avg");
      x = tf.add(avg, tf.mul(tf.sub(x, avg), truncation)) as tf.Tensor2D;
    }
    assertShape(x, [z.shape[0], cfg.wDim], "mapping output w");
    return x;
  });
}

/** Per-layer noise: one [N, H, W, 1] tensor per conv layer, or "zeros" to switch noise off. */
export type NoiseInput = tf.Tensor4D[] | "zeros";

/**
 * Synthesis network: ws → image [N, res, res, 3], nominally in [−1, 1] (not clipped).
 * `ws` is [N, numWs, wDim] (W+, e.g. style mixing) or [N, wDim] (one w broadcast to every layer).
 * `opts.secondOrder` builds it for differentiating twice (path-length regularization);
 * `opts.reference` upsamples with slice/concat instead of transposed convs (what tests compare to).
 */
export function synthesis(params: Params, cfg: GeneratorConfig, ws: tf.Tensor, noise: NoiseInput, opts: BuildOptions & { reference?: boolean } = {}): tf.Tensor4D {
  const n = ws.shape[0]!;
  const nw = numWs(cfg);
  const layers = convLayers(cfg);
  if (noise !== "zeros") {
    if (noise.length !== layers.length) throw new Error(`synthesis: expected ${layers.length} noise maps, got ${noise.length}`);
    for (const [i, l] of layers.entries()) assertShape(noise[i]!, [n, l.res, l.res, 1], `noise for ${l.name}`);
  }
  const edges = cfg.upsampleEdges ?? "replicate";
  return tf.tidy(() => {
    let wPlus: tf.Tensor3D;
    if (ws.rank === 2) {
      assertShape(ws, [n, cfg.wDim], "synthesis input w");
      wPlus = tf.tile(tf.expandDims(ws, 1), [1, nw, 1]) as tf.Tensor3D;
    } else {
      assertShape(ws, [n, nw, cfg.wDim], "synthesis input ws");
      wPlus = ws as tf.Tensor3D;
    }
    const wAt = (i: number) => tf.reshape(tf.slice(wPlus, [0, i, 0], [n, 1, cfg.wDim]), [n, cfg.wDim]) as tf.Tensor2D;

    const conv = (x: tf.Tensor4D, i: number): tf.Tensor4D => {
      const l = layers[i]!;
      // lrelu(z)·√2 = lrelu(√2·z): the gain goes into the demodulation, noise strength and bias.
      let y = modulatedConv(x, wAt(l.wIndex), convParams(params, l.name), { demodulate: true, up: l.up, upEdges: edges, gain: LRELU_GAIN, reference: opts.reference });
      if (noise !== "zeros") y = tf.add(y, tf.mul(noise[l.noiseIndex]!, tf.mul(param(params, `${l.name}.noise_strength`), LRELU_GAIN)));
      y = lrelu(tf.add(y, tf.mul(param(params, `${l.name}.bias`), LRELU_GAIN)), opts) as tf.Tensor4D;
      assertShape(y, [n, l.res, l.res, l.outChannels], l.name);
      return y;
    };
    const rgbs = rgbLayers(cfg);
    const toRgb = (x: tf.Tensor4D, res: number): tf.Tensor4D => {
      const r = rgbs.find((v) => v.res === res)!;
      const y = modulatedConv(x, wAt(r.wIndex), convParams(params, r.name), { demodulate: false, up: false });
      return tf.add(y, param(params, `${r.name}.bias`)) as tf.Tensor4D;
    };

    const c4 = channelsAt(cfg, 4);
    const constant = param(params, "synthesis.b4.const");
    assertShape(constant, [4, 4, c4], "synthesis.b4.const");
    let x = tf.tile(tf.expandDims(constant, 0), [n, 1, 1, 1]) as tf.Tensor4D;
    let img: tf.Tensor4D | null = null;
    let li = 0;
    for (const res of blockResolutions(cfg)) {
      if (res > 4) x = conv(x, li++);
      x = conv(x, li++);
      const y = toRgb(x, res);
      const up = (x: tf.Tensor4D) => (edges === "zero" && !opts.reference ? upsampleRgb(x) : upsample2x(x, edges));
      img = img === null ? y : (tf.add(up(img), y) as tf.Tensor4D);
      assertShape(img, [n, res, res, 3], `synthesis.b${res} image`);
    }
    return img!;
  });
}

function convParams(params: Params, name: string) {
  return {
    affineWeight: param(params, `${name}.affine.weight`),
    affineBias: param(params, `${name}.affine.bias`),
    weight: param(params, `${name}.weight`) as tf.Tensor4D,
    bias: param(params, `${name}.bias`),
    upKernel: params[upKernelName(name)] as tf.Tensor4D | undefined,
  };
}

/** Where `inferenceKernels` keeps a layer's precomputed upsampling kernel (not a parameter: derived from one). */
const upKernelName = (layer: string) => `${layer}.up_kernel`;

/**
 * What a generator held for inference can compute once instead of per render: each upsampling
 * conv's phase kernel (`upConvPhaseKernel`, with zero-edge upsampling), added to `params` under
 * derived names that `synthesis` uses when present. Training never adds them (its weights change
 * every step); a test pins the two renders equal.
 *
 * @example
 * const params = inferenceKernels(loaded, cfg); // Generator.fromValues does this
 */
export function inferenceKernels(params: Params, cfg: GeneratorConfig): Params {
  if ((cfg.upsampleEdges ?? "replicate") !== "zero") return params;
  const out = { ...params };
  for (const l of convLayers(cfg)) if (l.up) out[upKernelName(l.name)] = upConvPhaseKernel(param(params, `${l.name}.weight`) as tf.Tensor4D);
  return out;
}
