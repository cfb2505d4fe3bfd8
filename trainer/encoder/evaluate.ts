/**
 * Held-out evaluation of GAN inversion (#14): on dataset faces no encoder ever trained on, PSNR and
 * SSIM of the encoder's reconstructions and of the projector's (encoder codes refined by N steps),
 * the time each takes, editability on the inverted codes (each region's MSE_o/MSE_i when its axes
 * are resampled, against the same figure on sampled codes), and a picture. The projector's codes are
 * in W (default) or W+ (`space`): in W+ the encoder's codes are tiled to every layer, the projector
 * moves each layer's w, and a region is resampled in every layer (measureLocalityOfCodes).
 */
import { resampleReplaceLayers } from "../../shared/editing/edit.ts";
import type { Encoder } from "../../shared/encoder/encoder.ts";
import { numWs } from "../../shared/generator/config.ts";
import { type FloatImage, type Generator, toRgba8 } from "../../shared/generator/generator.ts";
import type { FeatureNet } from "../../shared/inversion/loss.ts";
import { DEFAULT_PRIOR_WEIGHT, DEFAULT_PROJECTOR_LR, type ProjectionNoise, project } from "../../shared/inversion/projector.ts";
import { latentPrior, meanSquaredZ, toPSpace } from "../../shared/inversion/prior.ts";
import { psnr, ssim } from "../../shared/inversion/quality.ts";
import { type LatentSpace, tileW } from "../../shared/generator/space.ts";
import type { Region } from "../../shared/regions/schema.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { type RegionLocality, measureLocality, measureLocalityOfCodes } from "../metrics/masked-mse.ts";
import { gridPng } from "../training/samples.ts";
import type { TrainingData } from "../training/trainer.ts";

export interface ReconstructionFigures {
  /** Means over the images (dB; images in [−1, 1], peak-to-peak 2). */
  psnr: number;
  ssim: number;
  /** The worst image's PSNR. */
  psnrMin: number;
  /** Wall time per image: one image alone (median of up to 5), and in batches of `batch`. */
  msPerImage: number;
  msPerImageBatched: number;
}

export interface RegionEditability {
  region: string;
  /** MSE_o / MSE_i with the region's axes resampled, on the inverted codes and on sampled codes. */
  inverted: number;
  sampled: number;
  /** inverted / sampled (the issue's target: ≤ 1.5). */
  factor: number;
}

export interface InversionEvaluation {
  images: number;
  noise: ProjectionNoise;
  /** The space of the codes measured: the projector's, and the editability's (the encoder's W codes tiled in W+). */
  space: LatentSpace;
  encoder: ReconstructionFigures;
  projector: (ReconstructionFigures & { steps: number; lr: number; prior: number }) | null;
  editability: RegionEditability[];
  localityInverted: RegionLocality[];
  localitySampled: RegionLocality[];
  /**
   * Mean squared z-score per axis under the latent prior (shared/inversion/prior.ts; in W+ over
   * every layer's w), averaged over the images: of the encoder's codes and of the final codes
   * (mapped codes score about 1). How far off W's distribution the inverted codes lie.
   */
  priorZ2: { encoder: number; final: number };
  /** PNG, one row per face (up to `pictureRows`): original | encoder | projector (when run) | each region resampled. */
  picture: Uint8Array;
  /** The picture's columns, for captions. */
  pictureColumns: string[];
}

export interface EvaluateOptions {
  generator: Generator;
  encoder: Encoder;
  regions: Region[];
  /** Dataset images and the (held-out) indices to evaluate on. */
  data: TrainingData;
  indices: number[];
  /** Projector steps (0: encoder only). */
  steps: number;
  /** The space the projector optimizes and editability is measured in (default "w"). */
  space?: LatentSpace;
  lr?: number;
  /** The projector's latent prior weight (default DEFAULT_PRIOR_WEIGHT[space]). */
  prior?: number;
  noise: ProjectionNoise;
  /** The projector's perceptual network (none: pixels only). */
  featureNet?: FeatureNet | undefined;
  /** Draws semantic regions' masks (the model's bundled segmenter). */
  segmenter?: Segmenter | undefined;
  batch?: number;
  pictureRows?: number;
  onProgress?: (task: string, done: number, total: number) => void;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

export async function evaluateInversion(o: EvaluateOptions): Promise<InversionEvaluation> {
  const g = o.generator;
  const res = g.config.resolution;
  const per = res * res * 3;
  const batch = o.batch ?? 8;
  const space = o.space ?? "w";
  const n = o.indices.length;
  if (n === 0) throw new Error("evaluate: no images");
  const flat = await o.data.batch(o.indices);
  const images: FloatImage[] = o.indices.map((_, i) => ({ width: res, height: res, data: flat.slice(i * per, (i + 1) * per) }));
  const noiseOf = (k: number): number[] | "zeros" => (o.noise === "zeros" ? "zeros" : Array.from({ length: k }, () => o.noise as number));
  const figures = (recons: FloatImage[], msPerImage: number, msPerImageBatched: number): ReconstructionFigures => {
    const p = images.map((img, i) => psnr(img.data, recons[i]!.data));
    const s = images.map((img, i) => ssim(img.data, recons[i]!.data, res, res));
    return { psnr: p.reduce((a, v) => a + v, 0) / n, ssim: s.reduce((a, v) => a + v, 0) / n, psnrMin: Math.min(...p), msPerImage, msPerImageBatched };
  };

  // Encoder: one image alone (latency), then every image in batches.
  const alone: number[] = [];
  for (const img of images.slice(0, 5)) {
    const t = performance.now();
    await o.encoder.encode([img]);
    alone.push(performance.now() - t);
  }
  let t0 = performance.now();
  const encoded = await o.encoder.encode(images, { batch });
  const encMs = (performance.now() - t0) / n;
  const encRecons: FloatImage[] = [];
  for (let s = 0; s < n; s += batch) encRecons.push(...(await g.render(encoded.slice(s, s + batch), noiseOf(Math.min(batch, n - s)))));
  const encoder = figures(encRecons, median(alone), encMs);
  o.onProgress?.("encoder", n, n);

  // Projector: the first image alone (latency), then the rest in batches (the same result as one by one).
  // In W+ without steps, the codes are the encoder's tiled to every layer (they render and measure as in W).
  let projector: InversionEvaluation["projector"] = null;
  let codes = space === "w+" ? encoded.map((w) => tileW(w, numWs(g.config))) : encoded;
  let finalRecons = encRecons;
  if (o.steps > 0) {
    const lr = o.lr ?? DEFAULT_PROJECTOR_LR;
    const prior = o.prior ?? DEFAULT_PRIOR_WEIGHT[space];
    const popts = { steps: o.steps, lr, prior, noise: o.noise, space, featureNet: o.featureNet, ...(o.featureNet ? {} : { weights: { perceptual: 0 } }) };
    await project(g, images.slice(0, 1), encoded.slice(0, 1), { ...popts, steps: 1 }); // warm-up: the first call compiles or allocates each kernel
    t0 = performance.now();
    const projected = await project(g, images.slice(0, 1), encoded.slice(0, 1), popts);
    const oneMs = performance.now() - t0;
    o.onProgress?.("projector", 1, n);
    t0 = performance.now();
    for (let s = 1; s < n; s += batch) {
      projected.push(...(await project(g, images.slice(s, s + batch), encoded.slice(s, s + batch), popts)));
      o.onProgress?.("projector", projected.length, n);
    }
    const batchedMs = n > 1 ? (performance.now() - t0) / (n - 1) : oneMs;
    codes = projected.map((p) => p.w);
    finalRecons = projected.map((p) => p.image);
    projector = { ...figures(finalRecons, oneMs, batchedMs), steps: o.steps, lr, prior };
  }

  // Editability: the regions' locality on the final codes vs on as many sampled codes.
  const localityInverted = await measureLocalityOfCodes(g, o.regions, codes, noiseOf(n), { segmenter: o.segmenter, onProgress: (d) => o.onProgress?.("locality (inverted)", d, n) });
  const localitySampled = await measureLocality(g, o.regions, { samples: n, segmenter: o.segmenter, onProgress: (d) => o.onProgress?.("locality (sampled)", d, n) });
  const prior = await latentPrior(g);
  const z2 = (ws: Float32Array[]) => {
    let sum = 0;
    for (const w of ws) for (let l = 0; l < w.length; l += g.config.wDim) sum += meanSquaredZ(toPSpace(w.subarray(l, l + g.config.wDim)), prior) / (w.length / g.config.wDim);
    return sum / ws.length;
  };
  const priorZ2 = { encoder: z2(encoded), final: z2(codes) };
  const editability = localityInverted.map((r, i) => ({ region: r.region, inverted: r.ratio, sampled: localitySampled[i]!.ratio, factor: r.ratio / localitySampled[i]!.ratio }));

  // Picture: original | encoder | projector | each region resampled (replace, ψ = 1, seed 1 + row; in W+ in every layer), rendered with the code's noise.
  const rows = Math.min(o.pictureRows ?? 8, n);
  const tiles: Uint8Array[] = [];
  const pictureColumns = ["original", "encoder", ...(o.steps > 0 ? [`encoder + ${o.steps} projector steps${space === "w+" ? " in W+" : ""}`] : []), ...o.regions.map((r) => `${r.name} resampled`)];
  for (let i = 0; i < rows; i++) {
    tiles.push(toRgba8(images[i]!), toRgba8(encRecons[i]!));
    if (o.steps > 0) tiles.push(toRgba8(finalRecons[i]!));
    const [wNew] = await g.mapSeeds([1 + i], 1);
    for (const r of o.regions) {
      const edited = resampleReplaceLayers(codes[i]!, wNew!, [r.axes]);
      tiles.push(toRgba8((await g.render([edited], noiseOf(1)))[0]!));
    }
  }
  const picture = gridPng(tiles, res, pictureColumns.length, Math.max(1, Math.floor(128 / res)));
  return { images: n, noise: o.noise, space, encoder, projector, editability, localityInverted, localitySampled, priorZ2, picture, pictureColumns };
}

/** The evaluation as Markdown (a model card's section and the command's output). */
export function evaluationMarkdown(e: InversionEvaluation, backend: string): string[] {
  const row = (name: string, f: ReconstructionFigures) =>
    `| ${name} | ${f.psnr.toFixed(2)} | ${f.psnrMin.toFixed(2)} | ${f.ssim.toFixed(3)} | ${f.msPerImage.toFixed(0)} | ${f.msPerImageBatched.toFixed(0)} |`;
  const space = e.space === "w+" ? "W+" : "W";
  const wPlus = e.space === "w+";
  return [
    `Held-out faces: ${e.images} (never trained on); images in [−1, 1]; reconstructions rendered with noise ${JSON.stringify(e.noise)}; ${backend} backend; codes in ${space}${wPlus ? " (the projector moves each layer's w; such codes do not go into the API's w=)" : ""}.`,
    "",
    "| codes | PSNR (dB, mean) | PSNR (worst) | SSIM | ms / image alone | ms / image batched |",
    "|---|---|---|---|---|---|",
    row("encoder", e.encoder),
    ...(e.projector ? [row(`encoder + projector${wPlus ? " in W+" : ""} (${e.projector.steps} steps, lr ${e.projector.lr}${e.projector.prior ? `, prior ${e.projector.prior}` : ""})`, e.projector)] : []),
    "",
    `Editability in ${space}: MSE_o / MSE_i of each region with its axes resampled${wPlus ? " (in every layer's w, with the same new values)" : ""}, on the inverted codes and on as many sampled codes (target: inverted within 1.5× of sampled).`,
    "",
    "| region | inverted codes | sampled codes | inverted / sampled |",
    "|---|---|---|---|",
    ...e.editability.map((r) => `| ${r.region} | ${r.inverted.toFixed(3)} | ${r.sampled.toFixed(3)} | ${r.factor.toFixed(2)} |`),
    "",
    `Distance from W's distribution (the latent prior's mean squared z-score per axis; mapped codes score about 1): the encoder's codes ${e.priorZ2.encoder.toFixed(2)}${e.projector ? `, the projector's ${e.priorZ2.final.toFixed(2)}` : ""}.`,
  ];
}
