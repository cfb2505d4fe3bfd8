/**
 * The base image of a request: its code resolved to w (`resolveBase`), and its render kept in
 * memory (`BaseRenders`) with the segmenter's labels of it, once a semantic region needs them. An
 * edit starts from the base render, and every semantic region of one image is masked from one
 * segmenter pass. The worker keeps one `BaseRenders` per isolate, the browser client one per client.
 */
import { type FloatImage, type Generator, toRgba8 } from "../generator/generator.ts";
import { ByteLru } from "../lru.ts";
import { type BinaryMask, rasterizeMask } from "../regions/mask.ts";
import type { Region } from "../regions/schema.ts";
import type { Segmenter } from "../segmenter/segmenter.ts";
import { sha256Hex } from "../weights/content-id.ts";
import type { Manifest } from "../weights/manifest.ts";
import { RenderError } from "./error.ts";
import type { RenderRequest } from "./request.ts";

/** A loaded model version, as the pipeline needs it (the worker's LiveModel and the client's local model are ones). */
export interface RenderModel {
  name: string;
  manifest: Manifest;
  generator: Generator;
  /** The segmenter that masks the model's semantic regions per image, when the manifest has one. */
  segmenter?: Segmenter;
}

/** A base code resolved: its w, its noise, and the key naming them. */
export interface ResolvedBase {
  w: Float32Array;
  noise: number | "zeros";
  /** `w=<hash of w's float32 bytes>/n=<noise>`: a seed and the same latent written out agree here. */
  key: string;
}

/**
 * The key of a (w, noise) pair: the first 32 hex digits of the SHA-256 of w's float32 bytes.
 *
 * @example
 * await baseKey(w, 7); // "w=3f2a…/n=7"
 */
export async function baseKey(w: Float32Array, noise: number | "zeros"): Promise<string> {
  const hash = (await sha256Hex(new Uint8Array(w.buffer, w.byteOffset, w.byteLength))).slice(0, 32);
  return `w=${hash}/n=${noise}`;
}

/**
 * The w of a request's base code (mapping and truncation for a seed or z; w as given), its
 * noise and key. A latent of the wrong length for the model is a RenderError naming the field.
 *
 * @example
 * const base = await resolveBase(model, normalizeRequest({ seed: 7, truncation: 0.7 }, false));
 */
export async function resolveBase(m: RenderModel, req: Pick<RenderRequest<unknown>, "code" | "truncation" | "noise">): Promise<ResolvedBase> {
  const { zDim, wDim } = m.manifest.generator;
  let w: Float32Array;
  switch (req.code.kind) {
    case "seed":
      [w] = (await m.generator.mapSeeds([req.code.seed], req.truncation)) as [Float32Array];
      break;
    case "z":
      if (req.code.z.length !== zDim) throw new RenderError("invalid_request", `z: expected ${zDim} values for model "${m.name}", got ${req.code.z.length}`, "z");
      [w] = (await m.generator.mapLatents([req.code.z], req.truncation)) as [Float32Array];
      break;
    case "w":
      if (req.code.w.length !== wDim) throw new RenderError("invalid_request", `w: expected ${wDim} values for model "${m.name}", got ${req.code.w.length}`, "w");
      w = req.code.w;
      break;
  }
  return { w, noise: req.noise, key: await baseKey(w, req.noise) };
}

/** One base render: the generator's float output, its RGBA8 pixels, and (once needed) the segmenter's class per pixel. */
export interface BaseRender {
  image: FloatImage;
  rgba: Uint8Array;
  labels?: Uint8Array;
}

/**
 * Base renders by model version and base key, bounded by bytes (at 64 px an entry is about 68 KB
 * with its labels).
 *
 * @example
 * const renders = new BaseRenders(4 << 20);
 * const rgba = (await renders.get(model, base)).rgba;       // res × res × 4 bytes, rendered once
 * const hair = await renders.semanticMask(model, base, hairRegion);
 */
export class BaseRenders {
  private readonly lru: ByteLru<BaseRender>;

  constructor(maxBytes: number) {
    this.lru = new ByteLru(maxBytes, (e) => e.rgba.byteLength + e.image.data.byteLength + (e.labels?.byteLength ?? 0));
  }

  /** The render of `base`, from memory when this cache rendered the same key before. */
  async get(m: RenderModel, base: ResolvedBase): Promise<BaseRender> {
    const key = `${m.name}/${m.manifest.version}/${base.key}`;
    const hit = this.lru.get(key);
    if (hit) return hit;
    const [image] = await m.generator.render([base.w], base.noise === "zeros" ? "zeros" : [base.noise]);
    const e = { image: image!, rgba: toRgba8(image!) };
    this.lru.set(key, e);
    return e;
  }

  /**
   * The segmenter's mask of a semantic region in the image of `base`: the pixels its class labels
   * in the generator's float output (as the trainer's LinkGAN loss segments it).
   */
  async semanticMask(m: RenderModel, base: ResolvedBase, region: Region): Promise<BinaryMask> {
    if (region.mask.kind !== "semantic") throw new Error(`region "${region.name}" is not semantic`);
    const s = m.segmenter;
    if (!s) throw new Error(`model "${m.name}" has a semantic region but no segmenter (the manifest schema requires one)`);
    const e = await this.get(m, base);
    if (!e.labels) {
      [e.labels] = (await s.labels([e.image])) as [Uint8Array];
      this.lru.set(`${m.name}/${m.manifest.version}/${base.key}`, e); // re-account the entry's bytes
    }
    return s.classMask(e.labels, region.mask.class);
  }

  clear(): void {
    for (const k of this.lru.keys()) this.lru.delete(k);
  }
}

const fixedMasks = new WeakMap<Manifest, Map<string, BinaryMask>>();

/**
 * A fixed region's mask at the model's resolution, rasterized once per loaded manifest (an
 * "image" mask decodes a PNG).
 *
 * @example
 * fixedMask(model.manifest, mouth); // { size: 64, data }
 */
export function fixedMask(manifest: Manifest, region: Region): BinaryMask {
  const byName = fixedMasks.get(manifest) ?? new Map<string, BinaryMask>();
  fixedMasks.set(manifest, byName);
  const m = byName.get(region.name) ?? rasterizeMask(region.mask, manifest.generator.resolution);
  byName.set(region.name, m);
  return m;
}

/**
 * Where a model's region masks come from when the model is loaded here: fixed ones from the
 * manifest, semantic ones from the segmenter on the base render.
 *
 * @example
 * const target = await editTarget(target, names, uploaded, localMasks(model, renders, base));
 */
export function localMasks(m: RenderModel, renders: BaseRenders, base: ResolvedBase): (r: Region) => Promise<BinaryMask> {
  return (r) => (r.mask.kind === "semantic" ? renders.semanticMask(m, base, r) : Promise.resolve(fixedMask(m.manifest, r)));
}
