import type { FloatImage } from "../generator/generator.ts";
import type { ParamValues } from "../generator/params.ts";
import { uploadParams } from "../generator/upload-params.ts";
import { tf } from "../tf.ts";
import type { EncoderConfig } from "./config.ts";
import { type EncoderParams, encoderForward } from "./network.ts";
import { encoderParamSpecs } from "./params.ts";

/**
 * An encoder ready for inference on the active tfjs backend: image → w in the W of the generator
 * it was trained to invert (its manifest's `inverts`). The CLI, the trainer's evaluation and (later)
 * the worker and the browser encode through this class.
 *
 * @example
 * const { manifest, values } = await loadEncoder(fileSource("weights/faces64-encoder"));
 * const e = Encoder.fromValues(manifest.encoder, values);
 * const [w] = await e.encode([photo]);          // photo: a FloatImage at manifest.encoder.resolution
 * const [img] = await g.render([w], "zeros");   // its reconstruction
 * e.dispose();
 */
export class Encoder {
  private constructor(
    readonly config: EncoderConfig,
    readonly params: EncoderParams,
  ) {}

  /** Checks every parameter's presence and size, then uploads them as tensors (extra values, e.g. a generator's, are ignored). */
  static fromValues(config: EncoderConfig, values: ParamValues): Encoder {
    return new Encoder(config, uploadParams(encoderParamSpecs(config), values, "encoder"));
  }

  /** The images as one [N, res, res, 3] tensor (each must be res×res). */
  batchOf(images: FloatImage[]): tf.Tensor4D {
    const res = this.config.resolution;
    for (const [i, img] of images.entries()) {
      if (img.width !== res || img.height !== res || img.data.length !== res * res * 3) {
        throw new Error(`image ${i}: the encoder takes ${res}×${res} RGB, got ${img.width}×${img.height} with ${img.data.length} values`);
      }
    }
    const flat = new Float32Array(images.length * res * res * 3);
    for (const [i, img] of images.entries()) flat.set(img.data, i * res * res * 3);
    return tf.tensor4d(flat, [images.length, res, res, 3]);
  }

  /** One code per image (wDim values each), in batches of `batch` images. */
  async encode(images: FloatImage[], opts: { batch?: number } = {}): Promise<Float32Array[]> {
    const batch = opts.batch ?? 32;
    const out: Float32Array[] = [];
    const d = this.config.wDim;
    for (let start = 0; start < images.length; start += batch) {
      const part = images.slice(start, start + batch);
      const w = tf.tidy(() => encoderForward(this.params, this.config, this.batchOf(part)));
      const data = (await w.data()) as Float32Array;
      w.dispose();
      for (let i = 0; i < part.length; i++) out.push(data.slice(i * d, (i + 1) * d));
    }
    return out;
  }

  dispose(): void {
    for (const t of Object.values(this.params)) t.dispose();
  }
}
