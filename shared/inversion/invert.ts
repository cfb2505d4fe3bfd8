import type { Encoder } from "../encoder/encoder.ts";
import type { FloatImage, Generator } from "../generator/generator.ts";
import { type PictureHeader, decodePicture, modelInput, readPictureHeader } from "../picture/picture.ts";
import type { EncoderManifest } from "../weights/manifest.ts";
import type { FeatureNet } from "./loss.ts";
import { project } from "./projector.ts";
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
}

/**
 * GAN inversion of a picture's bytes (PNG or JPEG), one definition for `POST …/invert` and the
 * browser client: its headers checked (a PictureError names the problem; nothing is decoded for a
 * file refused), decoded, prepared (`modelInput` on the encoder's recorded background), encoded,
 * and refined by `steps` projector steps with zero noise.
 *
 * @example
 * const r = await invertPicture({ generator, encoder, encoderManifest, featureNet: segmenter }, bytes, 5);
 * r.psnr; latentToParam(r.w); // → ?w=…&noise=zeros
 */
export async function invertPicture(inv: Inverter, bytes: Uint8Array, steps: number): Promise<PictureInversion> {
  const header = readPictureHeader(bytes);
  const decoded = decodePicture(bytes);
  const res = inv.generator.config.resolution;
  const target = modelInput(decoded.rgba, decoded.width, decoded.height, res, inv.encoderManifest.background ?? [255, 255, 255]);
  const [w0] = await inv.encoder.encode([target]);
  const [first] = await inv.generator.render([w0!], "zeros");
  const encoderOnly = { psnr: psnr(target.data, first!.data), ssim: ssim(target.data, first!.data, res, res) };
  let w = w0!;
  let image = first!;
  if (steps > 0) {
    const net = inv.featureNet;
    const [p] = await project(inv.generator, [target], [w], { steps, noise: "zeros", featureNet: net, ...(net ? {} : { weights: { perceptual: 0 } }) });
    w = p!.w;
    image = p!.image;
  }
  return { header, target, w, image, psnr: psnr(target.data, image.data), ssim: ssim(target.data, image.data, res, res), encoderOnly };
}
