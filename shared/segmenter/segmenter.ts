import type { FloatImage } from "../generator/generator.ts";
import type { ParamValues } from "../generator/params.ts";
import { uploadParams } from "../generator/upload-params.ts";
import type { BinaryMask } from "../regions/mask.ts";
import { tf } from "../tf.ts";
import type { SegmenterConfig } from "./config.ts";
import { type SegmenterParams, segmenterEmbedding, segmenterLayout, segmenterLabels } from "./network.ts";
import { segmenterParamSpecs } from "./params.ts";

/**
 * A segmenter ready for inference on the active tfjs backend: the worker, the browser client, the
 * trainer's metrics and LinkGAN's semantic masks all segment through this class.
 *
 * @example
 * const s = Segmenter.fromValues(manifest.segmenter, loaded.values);
 * const [img] = await g.render([w], [7]);
 * const [hair] = await s.masks([img], "hair"); // 1 inside the hair of this image
 */
export class Segmenter {
  private constructor(
    readonly config: SegmenterConfig,
    readonly params: SegmenterParams,
  ) {}

  /** Checks every parameter's presence and size, then uploads them as tensors (extra values, e.g. a generator's, are ignored). */
  static fromValues(config: SegmenterConfig, values: ParamValues): Segmenter {
    return new Segmenter(config, uploadParams(segmenterParamSpecs(config), values, "segmenter"));
  }

  /** The index of `className`, or an error naming the classes there are. */
  classIndex(className: string): number {
    const i = this.config.classes.indexOf(className);
    if (i < 0) throw new Error(`segmenter has no class "${className}" (classes: ${this.config.classes.join(", ")})`);
    return i;
  }

  private batchOf(images: FloatImage[]): tf.Tensor4D {
    const res = this.config.resolution;
    for (const [i, img] of images.entries()) {
      if (img.width !== res || img.height !== res) throw new Error(`image ${i}: the segmenter takes ${res}×${res}, got ${img.width}×${img.height}`);
    }
    const flat = new Float32Array(images.length * res * res * 3);
    for (const [i, img] of images.entries()) flat.set(img.data, i * res * res * 3);
    return tf.tensor4d(flat, [images.length, res, res, 3]);
  }

  /** Class index per pixel of each image (H×W bytes). */
  async labels(images: FloatImage[]): Promise<Uint8Array[]> {
    const res = this.config.resolution;
    if (images.length === 0) return [];
    const labels = tf.tidy(() => segmenterLabels(this.params, this.config, this.batchOf(images)));
    const data = await labels.data();
    labels.dispose();
    return images.map((_, i) => Uint8Array.from(data.subarray(i * res * res, (i + 1) * res * res)));
  }

  /**
   * Each image's embedding (`segmenterEmbedding`: the bottleneck pooled to 4×4), a feature space
   * of the trainer's precision and recall.
   */
  embeddings(images: FloatImage[]): Promise<Float32Array[]> {
    return this.rows(images, segmenterEmbedding);
  }

  /** Each image's part layout (`segmenterLayout`: class probabilities pooled to 8×8): the blur-tolerant feature space of precision and recall. */
  layouts(images: FloatImage[]): Promise<Float32Array[]> {
    return this.rows(images, (p, c, x) => segmenterLayout(p, c, x));
  }

  /** One row of `embed`'s [N, d] output per image. */
  private async rows(images: FloatImage[], embed: (p: SegmenterParams, c: SegmenterConfig, x: tf.Tensor4D) => tf.Tensor2D): Promise<Float32Array[]> {
    if (images.length === 0) return [];
    const e = tf.tidy(() => embed(this.params, this.config, this.batchOf(images)));
    const data = (await e.data()) as Float32Array;
    const d = e.shape[1];
    e.dispose();
    return images.map((_, i) => data.slice(i * d, (i + 1) * d));
  }

  /** The binary mask of `className` in each image. */
  async masks(images: FloatImage[], className: string): Promise<BinaryMask[]> {
    return (await this.labels(images)).map((l) => this.classMask(l, className));
  }

  /**
   * One class's mask from labels `labels()` gave (callers that cache labels mask every class from one pass).
   *
   * @example
   * const [labels] = await s.labels([img]);
   * const hair = s.classMask(labels, "hair");
   */
  classMask(labels: Uint8Array, className: string): BinaryMask {
    const k = this.classIndex(className);
    return { size: this.config.resolution, data: labels.map((v) => (v === k ? 1 : 0)) };
  }

  dispose(): void {
    for (const t of Object.values(this.params)) t.dispose();
  }
}
