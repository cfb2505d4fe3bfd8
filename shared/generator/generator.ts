import { latentFromSeed, noiseFromSeed } from "../random/prng.ts";
import { tf } from "../tf.ts";
import { type GeneratorConfig, convLayers, numWs } from "./config.ts";
import { type NoiseInput, type Params, inferenceKernels, mapping, synthesis } from "./network.ts";
import { codeLength } from "./space.ts";
import { type ParamValues, generatorParamSpecs } from "./params.ts";
import { uploadParams } from "./upload-params.ts";

/** An image as the generator produced it: H×W×3 floats, nominally in [−1, 1]. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}

/**
 * A generator ready for inference: parameters held as tensors on the active tfjs backend.
 * The worker, the browser client and the CLI all render through this one class.
 *
 * @example
 * const g = Generator.fromValues(manifest.generator, loaded.values);
 * const [w] = await g.mapSeeds([7], 0.7);
 * const [img] = await g.render([w], [7]); // noise from seed 7: one seed is one image everywhere
 * g.dispose();
 */
export class Generator {
  private constructor(
    readonly config: GeneratorConfig,
    readonly params: Params,
  ) {}

  /** Checks every parameter's presence and size, then uploads them as tensors. */
  static fromValues(config: GeneratorConfig, values: ParamValues): Generator {
    return new Generator(config, inferenceKernels(uploadParams(generatorParamSpecs(config), values, "generator"), config));
  }

  /** w for each latent seed (z from the shared PRNG), truncated towards w_avg by ψ. */
  async mapSeeds(seeds: number[], truncation = 1): Promise<Float32Array[]> {
    return this.mapLatents(seeds.map((s) => latentFromSeed(s, this.config.zDim)), truncation);
  }

  /** w for explicit latents z (each zDim long). */
  async mapLatents(zs: Float32Array[], truncation = 1): Promise<Float32Array[]> {
    const { zDim, wDim } = this.config;
    for (const [i, z] of zs.entries()) {
      if (z.length !== zDim) throw new Error(`latent ${i}: expected ${zDim} values, got ${z.length}`);
    }
    const w = tf.tidy(() => mapping(this.params, this.config, tf.tensor2d(concat(zs), [zs.length, zDim]), truncation));
    const flat = (await w.data()) as Float32Array;
    w.dispose();
    return zs.map((_, i) => flat.slice(i * wDim, (i + 1) * wDim));
  }

  /**
   * Images for codes: W codes (one w per image, wDim values, broadcast to every layer), or W+ codes
   * (numWs · wDim values, one w per synthesis layer, layer-major, e.g. a W+ projection's), all of
   * one kind, as code 0 is. Noise comes from `noiseSeeds` (one per image) or is switched off with
   * "zeros".
   */
  async render(ws: Float32Array[], noiseSeeds: number[] | "zeros"): Promise<FloatImage[]> {
    const { wDim, resolution: res } = this.config;
    const plusLength = codeLength(this.config, "w+");
    const plus = plusLength !== wDim && ws[0]?.length === plusLength;
    for (const [i, w] of ws.entries()) {
      if (plus && w.length !== plusLength) throw new Error(`code ${i}: expected ${plusLength} values (a W+ code, as code 0 is), got ${w.length}`);
      if (!plus && w.length !== wDim) throw new Error(`w ${i}: expected ${wDim} values, got ${w.length}`);
    }
    if (noiseSeeds !== "zeros" && noiseSeeds.length !== ws.length) throw new Error("render: one noise seed per w");
    const img = tf.tidy(() => {
      const noise: NoiseInput = noiseSeeds === "zeros" ? "zeros" : noiseTensors(this.config, noiseSeeds);
      return synthesis(this.params, this.config, tf.tensor(concat(ws), plus ? [ws.length, numWs(this.config), wDim] : [ws.length, wDim]), noise);
    });
    const flat = (await img.data()) as Float32Array;
    img.dispose();
    const per = res * res * 3;
    return ws.map((_, i) => ({ width: res, height: res, data: flat.slice(i * per, (i + 1) * per) }));
  }

  dispose(): void {
    for (const t of Object.values(this.params)) t.dispose();
  }
}

/** The per-layer noise maps of a batch, each derived from that image's seed. */
export function noiseTensors(cfg: GeneratorConfig, seeds: number[]): tf.Tensor4D[] {
  return convLayers(cfg).map((l) => {
    const size = l.res * l.res;
    const buf = new Float32Array(seeds.length * size);
    for (const [i, s] of seeds.entries()) buf.set(noiseFromSeed(s, l.noiseIndex, l.res), i * size);
    return tf.tensor4d(buf, [seeds.length, l.res, l.res, 1]);
  });
}

function concat(rows: Float32Array[]): Float32Array {
  const n = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * n);
  for (const [i, r] of rows.entries()) out.set(r, i * n);
  return out;
}

/** [−1, 1] floats → RGBA bytes (clamped, rounded): how every runtime turns an image into pixels. */
export function toRgba8(img: FloatImage): Uint8Array {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.round((img.data[i * 3 + c]! + 1) * 127.5);
      out[i * 4 + c] = Math.min(255, Math.max(0, v));
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
