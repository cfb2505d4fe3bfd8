/**
 * The projector: refines codes w by gradient steps on the reconstruction loss (loss.ts) through the
 * frozen generator, as StyleGAN2's projector does (Adam on w, learning rate ramped up over the
 * first 5 % of the steps and down by a half cosine over the last 25 %), starting from the
 * encoder's codes, with the noise fixed (zeros, or the maps of one noise seed). Several images are
 * projected as one batch: each image's loss depends only on its own w and Adam is elementwise, so
 * that is the same as projecting them one by one.
 *
 * By default the codes are in W (one w per image, what LinkGAN edits and the API's `w=` takes).
 * `space: "w+"` optimizes one w per synthesis layer instead (space.ts): each starting w is tiled to
 * every layer, and Adam moves each layer's w on its own; the same loop, on a [n, numWs, wDim] tensor.
 *
 * One definition for every runtime with gradients. Gradients must be registered before the first
 * call, which tfjs-core alone does not do: in Node, `import "@tensorflow/tfjs"` (the trainer's
 * tf-node.ts does); in a bundle (browser, worker), `import "@tensorflow/tfjs-core/dist/register_all_gradients"`.
 *
 * Kernels one step runs (forward and backward) are `PROJECTOR_KERNELS`, recorded with tf.profile on
 * the cpu backend with both upsampling edges and the segmenter's perceptual term. No filter
 * gradient (Conv2DBackpropFilter) is among them: only w is differentiated; a W+ step runs no kernel
 * beyond them (checked the same way). The webgpu backend has them all;
 * `missingProjectorKernels("wasm")` says whether the wasm backend does.
 */
import { numWs } from "../generator/config.ts";
import type { FloatImage, Generator } from "../generator/generator.ts";
import { noiseTensors } from "../generator/generator.ts";
import { type NoiseInput, synthesis } from "../generator/network.ts";
import { adamMoments, adamUpdate } from "../optim/adam.ts";
import { tf } from "../tf.ts";
import { type FeatureNet, ReconstructionWeights, perceptualFeatures, reconstructionLoss } from "./loss.ts";
import { latentPrior, priorPenalty } from "./prior.ts";
import { psnr } from "./quality.ts";
import { LATENT_SPACES, type LatentSpace, codeLength, tileW } from "../generator/space.ts";

/** Every tfjs kernel a projection step runs, forward and backward (see the file's comment). */
export const PROJECTOR_KERNELS = [
  "Add", "AddN", "BatchMatMul", "Cast", "Concat", "Conv2D", "Conv2DBackpropInput", "ExpandDims", "Greater", "Identity", "LeakyRelu",
  "MaxPool", "MaxPoolGrad", "Mean", "Multiply", "Neg", "PadV2", "Pow", "RealDiv", "Relu", "Reshape", "Rsqrt", "Select", "Slice",
  "SplitV", "Sqrt", "Square", "Step", "Sub", "Sum", "Tile", "Transpose", "ZerosLike",
] as const;

/**
 * The kernels of `PROJECTOR_KERNELS` that `backend` (a registered backend's name) lacks: empty
 * where the projector can run.
 *
 * @example
 * missingProjectorKernels(tf.getBackend()); // [] on cpu, webgpu and tensorflow
 */
export function missingProjectorKernels(backend: string): string[] {
  return PROJECTOR_KERNELS.filter((k) => !tf.getKernel(k, backend));
}

/**
 * StyleGAN2's projector learning rate, which also did best here: on faces64 (W's axes have std
 * ≈ 0.8) from the encoder's codes, 30 steps reached 18.0 / 19.1 / 19.9 / 20.2 dB at lr 0.01 /
 * 0.03 / 0.1 / 0.2 on 4 held-out faces, and 100 steps 20.9 / 21.3 dB at 0.1 / 0.2.
 */
export const DEFAULT_PROJECTOR_LR = 0.1;

/**
 * The projector's default latent prior weight (ProjectOptions.prior) in each space: the weakest
 * that kept every region's locality on the inverted codes within 1.5× of sampled codes, on
 * faces64 from faces64-encoder's codes with 100 steps (`npm run encoder -- evaluate --model
 * weights/faces64 --encoder weights/faces64-encoder --steps 100 [--images 48] --prior X [--space w+]`).
 * - W: on 48 held-out faces, the right eye (the leakiest region) read 1.89× / 1.59× / 1.46× /
 *   1.33× at 0 / 0.003 / 0.01 / 0.03, at 21.9 / 21.2 / 20.6 / 19.7 dB.
 * - W+ moves each layer's w, so it reconstructs better and a weaker prior suffices: on all 200
 *   held-out faces, 1.73× / 1.47× / 1.37× at 0 / 0.003 / 0.01, at 24.66 / 24.08 / 23.57 dB.
 */
export const DEFAULT_PRIOR_WEIGHT: Readonly<Record<LatentSpace, number>> = { w: 0.01, "w+": 0.003 };

/** The noise of a projection: "zeros", or the per-layer maps of one noise seed (as `noise=` in the API). */
export type ProjectionNoise = "zeros" | number;

export interface ProjectOptions {
  /** Gradient steps (0 only renders the starting codes). */
  steps: number;
  /** Peak Adam learning rate, in W units per step (default `DEFAULT_PROJECTOR_LR`). */
  lr?: number;
  noise?: ProjectionNoise;
  weights?: Partial<ReconstructionWeights>;
  /**
   * Weight of the latent prior (prior.ts: each code's mean squared z-score in P space, added to
   * its reconstruction loss; default `DEFAULT_PRIOR_WEIGHT[space]`): keeps the codes where the mapping
   * puts them, where the regions' links hold.
   */
  prior?: number;
  /** The perceptual term's network (e.g. the model's or faces64-parts' Segmenter); required when weights.perceptual > 0. */
  featureNet?: FeatureNet | undefined;
  /**
   * The space optimized (default "w"): "w" moves one w per image; "w+" tiles each starting w to
   * the generator's numWs layers and moves each layer's w (its codes do not go into the API's `w=`).
   */
  space?: LatentSpace;
  /** Called after each step with the mean loss over the images (reading it back costs one sync per step). */
  onStep?: (p: { step: number; steps: number; loss: number }) => void | Promise<void>;
}

export interface Projection {
  /** The space of `w` (the projection's `space`). */
  space: LatentSpace;
  /**
   * The code. In W: wDim values, one w. In W+: numWs · wDim values, row-major [numWs, wDim]
   * (layer-major: layer 0's w, then layer 1's, …), which `Generator.render` renders (and the API does not take).
   */
  w: Float32Array;
  /** The render of `w` with the projection's noise. */
  image: FloatImage;
  /** PSNR of `image` against its target (dB, images in [−1, 1]). */
  psnr: number;
  /** The reconstruction loss of `image`. */
  loss: number;
}

/** StyleGAN2 projector's learning-rate ramp at fraction t of the run. */
export function projectorLr(lr: number, t: number, rampUp = 0.05, rampDown = 0.25): number {
  const down = 0.5 - 0.5 * Math.cos(Math.min(1, (1 - t) / rampDown) * Math.PI);
  return lr * down * Math.min(1, t / rampUp);
}

function noiseInput(g: Generator, noise: ProjectionNoise, n: number): NoiseInput {
  return noise === "zeros" ? "zeros" : noiseTensors(g.config, Array.from({ length: n }, () => noise));
}

function requireGradients(): void {
  const missing = ["Conv2D", "Multiply", "LeakyRelu", "Sum"].filter((k) => !tf.getGradient(k));
  if (missing.length) {
    throw new Error(
      `projector: tfjs has no gradients registered (missing ${missing.join(", ")}); import "@tensorflow/tfjs" in Node, or "@tensorflow/tfjs-core/dist/register_all_gradients" in a bundle, before projecting`,
    );
  }
}

/**
 * Project `targets` (images at the generator's resolution) starting from `starts` (one w each,
 * e.g. the encoder's codes, in either space: W+ tiles each to every layer).
 *
 * @example
 * const [w0] = await encoder.encode([photo]);
 * const [p] = await project(g, [photo], [w0], { steps: 100, featureNet: segmenter, onStep: (s) => bar.update(s.step) });
 * p.psnr; // dB; p.w goes into ?w= with noise=zeros
 * const [q] = await project(g, [photo], [w0], { steps: 100, featureNet: segmenter, space: "w+" });
 * q.w.length; // numWs · wDim: render it with g.render, not ?w=
 */
export async function project(g: Generator, targets: FloatImage[], starts: Float32Array[], opts: ProjectOptions): Promise<Projection[]> {
  const { resolution: res, wDim } = g.config;
  const n = targets.length;
  if (starts.length !== n) throw new Error(`project: ${n} targets but ${starts.length} starting codes`);
  for (const [i, t] of targets.entries()) {
    if (t.width !== res || t.height !== res || t.data.length !== res * res * 3) throw new Error(`project: target ${i} is ${t.width}×${t.height}, the generator renders ${res}×${res}`);
  }
  const space = opts.space ?? "w";
  if (!LATENT_SPACES.includes(space)) throw new Error(`project: space must be ${LATENT_SPACES.map((s) => `"${s}"`).join(" or ")}, got ${JSON.stringify(space)}`);
  const layers = numWs(g.config);
  for (const [i, w] of starts.entries()) {
    if (w.length !== wDim) {
      const plus = space === "w+" ? ` (a W+ projection starts from one w per image and tiles it to the ${layers} layers)` : "";
      throw new Error(`project: starting code ${i} has ${w.length} values, W has ${wDim}${plus}`);
    }
  }
  if (!Number.isInteger(opts.steps) || opts.steps < 0) throw new Error(`project: steps must be an integer ≥ 0, got ${opts.steps}`);
  if (n === 0) return [];
  const weights = ReconstructionWeights.parse(opts.weights ?? {});
  const net = weights.perceptual > 0 ? opts.featureNet : undefined;
  if (weights.perceptual > 0 && !net) throw new Error("project: the perceptual term needs featureNet (a segmenter), or set weights.perceptual to 0");
  if (opts.steps > 0) requireGradients();
  const noiseSpec = opts.noise ?? "zeros";
  const lr = opts.lr ?? DEFAULT_PROJECTOR_LR;
  const priorWeight = opts.prior ?? DEFAULT_PRIOR_WEIGHT[space];
  if (!(priorWeight >= 0)) throw new Error(`project: prior must be ≥ 0, got ${priorWeight}`);
  const priorStats = priorWeight > 0 && opts.steps > 0 ? await latentPrior(g) : undefined;
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];

  const flatTargets = new Float32Array(n * res * res * 3);
  for (const [i, t] of targets.entries()) flatTargets.set(t.data, i * res * res * 3);
  const len = codeLength(g.config, space);
  const flatStarts = new Float32Array(n * len);
  for (const [i, w] of starts.entries()) flatStarts.set(space === "w+" ? tileW(w, layers) : w, i * len);

  const target = tf.tensor4d(flatTargets, [n, res, res, 3]);
  const noise = tf.tidy(() => noiseInput(g, noiseSpec, n));
  const targetFeatures = net ? tf.tidy(() => perceptualFeatures(net, target)) : undefined;
  const prior = priorStats ? { mean: tf.tensor1d(priorStats.mean), std: tf.tensor1d(priorStats.std) } : undefined;
  // W: [n, wDim] (synthesis broadcasts it to every layer); W+: [n, numWs, wDim]. Adam is elementwise on either.
  const lossOf = (w: tf.Tensor) => {
    const recon = reconstructionLoss(synthesis(g.params, g.config, w, noise), target, { weights, net, targetFeatures });
    return prior ? tf.add(recon, tf.mul(priorPenalty(w, prior), priorWeight)) : recon;
  };
  const grad = tf.valueAndGrad((w: tf.Tensor) => tf.sum(lossOf(w)));
  let w: tf.Tensor = tf.tensor(flatStarts, space === "w+" ? [n, layers, wDim] : [n, wDim]);
  let m = tf.zerosLike(w);
  let v = tf.zerosLike(w);
  try {
    for (let step = 0; step < opts.steps; step++) {
      const rate = projectorLr(lr, step / opts.steps);
      const t = step + 1;
      const [w1, m1, v1, loss] = tf.tidy(() => {
        const { value, grad: gw } = grad(w);
        const [m1, v1] = adamMoments(m, v, gw, beta1, beta2);
        return [tf.sub(w, adamUpdate(m1, v1, { lr: rate, t, beta1, beta2, eps })), m1, v1, value];
      });
      tf.dispose([w, m, v]);
      [w, m, v] = [w1, m1, v1];
      if (opts.onStep) await opts.onStep({ step: step + 1, steps: opts.steps, loss: ((await loss.data())[0] ?? 0) / n });
      loss.dispose();
    }
    const [img, losses] = tf.tidy(() => {
      const x = synthesis(g.params, g.config, w, noise);
      return [x, reconstructionLoss(x, target, { weights, net, targetFeatures })];
    });
    const [imgData, lossData, wData] = [(await img.data()) as Float32Array, (await losses.data()) as Float32Array, (await w.data()) as Float32Array];
    tf.dispose([img, losses]);
    const per = res * res * 3;
    return targets.map((t, i) => {
      const image = { width: res, height: res, data: imgData.slice(i * per, (i + 1) * per) };
      return { space, w: wData.slice(i * len, (i + 1) * len), image, psnr: psnr(t.data, image.data), loss: lossData[i]! };
    });
  } finally {
    tf.dispose([w, m, v, target, ...(noise === "zeros" ? [] : noise), ...(targetFeatures ?? []), ...(prior ? [prior.mean, prior.std] : [])]);
  }
}
