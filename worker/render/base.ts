import { type FloatImage, toRgba8 } from "../../shared/generator/generator.ts";
import type { BinaryMask } from "../../shared/regions/mask.ts";
import type { Region } from "../../shared/regions/schema.ts";
import { ByteLru } from "../cache/lru.ts";
import type { LiveModel } from "../models/registry.ts";
import type { ResolvedBase } from "./service.ts";

/**
 * The base renders of this isolate, one entry per model version and base code (w and noise): the
 * generator's float output, its RGBA8 pixels, and, once a semantic region needs them, the
 * segmenter's labels of that output. An edit reuses the render, and every semantic region of the
 * image is masked from one segmenter pass, cached next to the pixels.
 */
interface BaseEntry {
  image: FloatImage;
  rgba: Uint8Array;
  /** Class index per pixel (segmenter), computed on first use. */
  labels?: Uint8Array;
}

/** Bytes of base renders kept per isolate (at 64 px an entry is ~68 KB with its labels: 60 entries). */
export const BASE_RENDER_BYTES = 4 * 1024 * 1024;
const bases = new ByteLru<BaseEntry>(BASE_RENDER_BYTES, (e) => e.rgba.byteLength + e.image.data.byteLength + (e.labels?.byteLength ?? 0));

const keyOf = (m: LiveModel, base: ResolvedBase) => `${m.name}/${m.version}/${base.key}`;

async function entry(m: LiveModel, base: ResolvedBase): Promise<BaseEntry> {
  const key = keyOf(m, base);
  const hit = bases.get(key);
  if (hit) return hit;
  const [image] = await m.generator.render([base.w], base.noise === "zeros" ? "zeros" : [base.noise]);
  const e = { image: image!, rgba: toRgba8(image!) };
  bases.set(key, e);
  return e;
}

/**
 * RGBA8 of a base code, from this isolate's memory when it rendered the same key before.
 *
 * @example
 * const rgba = await baseRgba(m, await resolveBase(m, req)); // res × res × 4 bytes
 */
export async function baseRgba(m: LiveModel, base: ResolvedBase): Promise<Uint8Array> {
  return (await entry(m, base)).rgba;
}

/**
 * The segmenter's mask of a semantic region in the image of `base`: the pixels its class labels in
 * the generator's output (the float image, as the trainer's LinkGAN loss segments it). One
 * segmenter pass per base code, cached with the render.
 *
 * @example
 * const hair = await semanticMask(m, base, hairRegion); // { size: 64, data: 1 inside this image's hair }
 */
export async function semanticMask(m: LiveModel, base: ResolvedBase, region: Region): Promise<BinaryMask> {
  if (region.mask.kind !== "semantic") throw new Error(`region "${region.name}" is not semantic`);
  const s = m.segmenter;
  if (!s) throw new Error(`model "${m.name}" has a semantic region but no segmenter (the manifest schema requires one)`);
  const e = await entry(m, base);
  if (!e.labels) {
    [e.labels] = (await s.labels([e.image])) as [Uint8Array];
    bases.set(keyOf(m, base), e); // re-account the entry's bytes
  }
  return s.classMask(e.labels, region.mask.class);
}
