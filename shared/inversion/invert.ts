import type { Encoder } from "../encoder/encoder.ts";
import type { FloatImage, Generator } from "../generator/generator.ts";
import { type PictureHeader, picture } from "../picture/picture.ts";
import type { EncoderManifest } from "../weights/manifest.ts";
import { latentToParam } from "../latent-param.ts";
import type { InversionAnswer } from "./endpoint.ts";
import type { FeatureNet } from "./loss.ts";
import { DEFAULT_PRIOR_WEIGHT, project } from "./projector.ts";
import { psnr, ssim } from "./quality.ts";

/** What inverts a picture: the generator, its encoder (with the manifest that says how to prepare uploads), and the perceptual net, if any. */
export interface Inverter {
  generator: Generator;
  encoder: Encoder;
  encoderManifest: EncoderManifest;
  /** The projector's perceptual term (the model's bundled segmenter); without one, pixels only. */
  featureNet?: FeatureNet;
}

export interface PictureInversion {
  header: PictureHeader;
  /** The picture as the model's input (upright, composited, cropped, resized). */
  target: FloatImage;
  w: Float32Array;
  /** The render of `w` with zero noise. */
  image: FloatImage;
  psnr: number;
  ssim: number;
  /** The encoder's code alone, before any projector step. */
  encoderOnly: { psnr: number; ssim: number };
  /** The projector's latent-prior weight (0 when no step ran). */
  prior: number;
}

/**
 * The latent prior's weight of an inversion with `steps` projector steps: the projector's default
 * in W, 0 when no step runs. The answer reports it, and the API's cache key holds it, so a new
 * default never answers from old entries.
 */
export const inversionPrior = (steps: number): number => (steps > 0 ? DEFAULT_PRIOR_WEIGHT.w : 0);

/**
 * GAN inversion of a picture's bytes (PNG or JPEG), one definition for `POST …/invert` and the
 * browser client: its headers checked (a PictureError names the problem; nothing is decoded for a
 * file refused), decoded, prepared (`modelInput` on the encoder's recorded background), encoded,
 * and refined by `steps` projector steps with zero noise. `header`: readPictureHeader's answer,
 * when the caller has it already.
 *
 * @example
 * const r = await invertPicture({ generator, encoder, encoderManifest, featureNet: segmenter }, bytes, 5);
 * r.psnr; latentToParam(r.w); // → ?w=…&noise=zeros
 */
export async function invertPicture(inv: Inverter, bytes: Uint8Array, steps: number, header?: PictureHeader): Promise<PictureInversion> {
  const res = inv.generator.config.resolution;
  const { image: target, ...upright } = picture(bytes, res, inv.encoderManifest.background ?? [255, 255, 255], header);
  const [w0] = await inv.encoder.encode([target]);
  const [first] = await inv.generator.render([w0!], "zeros");
  const encoderOnly = { psnr: psnr(target.data, first!.data), ssim: ssim(target.data, first!.data, res, res) };
  let w = w0!;
  let image = first!;
  if (steps > 0) {
    const net = inv.featureNet;
    const [p] = await project(inv.generator, [target], [w], { steps, noise: "zeros", prior: inversionPrior(steps), featureNet: net, ...(net ? {} : { weights: { perceptual: 0 } }) });
    w = p!.w;
    image = p!.image;
  }
  return { header: upright, target, w, image, psnr: psnr(target.data, image.data), ssim: ssim(target.data, image.data, res, res), encoderOnly, prior: inversionPrior(steps) };
}

/**
 * What `POST …/invert` answers for an inversion (the browser client answers the same for one run
 * in the page): the code as the render endpoints' `w`, its quality, the picture's upright size and
 * hash, and the version-pinned URL of its reconstruction.
 *
 * @example
 * const body = inversionAnswer(r, { model: "faces64", version, encoder: manifest, steps: 5, sha256 });
 */
export function inversionAnswer(r: PictureInversion, o: { model: string; version: string; encoder: EncoderManifest; steps: number; sha256: string }): InversionAnswer {
  const w = latentToParam(r.w);
  return {
    model: o.model,
    version: o.version,
    encoder: { name: o.encoder.name, version: o.encoder.version },
    w,
    noise: "zeros",
    steps: o.steps,
    prior: r.prior,
    psnr: r.psnr,
    ssim: r.ssim,
    encoderOnly: r.encoderOnly,
    source: { format: r.header.format, width: r.header.width, height: r.header.height, sha256: o.sha256 },
    reconstruction: `/v1/models/${o.model}/generate?version=${o.version}&w=${w}&noise=zeros`,
  };
}
