/**
 * A built-in dataset that needs no download: aligned cartoon faces rendered from DiceBear avatar
 * styles (`@dicebear/core` + `@dicebear/collection`, SVG) and rasterized with `@resvg/resvg-js`,
 * with per-pixel part masks (eyes, mouth, hair, …) for LinkGAN's semantic regions.
 *
 * Determinism: sample `index` of `(style, seed)` is drawn from its own PRNG stream
 * (`new Prng(seed ^ SEED_SALT, index)`), which picks every DiceBear option (component variants,
 * colours, optional components) explicitly; DiceBear's own PRNG then only ever chooses from
 * one-element lists. So sample i is the same bytes whatever `count`, `offset` or batching is used,
 * and the same on every run (resvg is a pure Rust rasterizer, no system fonts are loaded).
 *
 * Background: every face is rendered on a transparent background and composited in this module
 * onto one fixed solid colour ({@link BACKGROUND}, a light grey-blue that no style's palettes use),
 * so the `background` mask is exactly the pixels the avatar does not cover (alpha < 50 %).
 *
 * Masks: a part's mask is derived by rendering variants of the same avatar and taking the pixels
 * that differ. For the removal renders the skin is painted pure green and the hair (hat, beard)
 * pure magenta, so that a part never coincides with what is behind it (e.g. blond hair on pale
 * skin, green hair on the green sentinel):
 * - removable parts (eyes, eyebrows, mouth, hair): full avatar vs the avatar with the part removed;
 * - `skin`: the real avatar vs the same with green skin (only skin-coloured pixels change), minus
 *   the other parts and the background;
 * - `leftEye` / `rightEye`: the `eyes` mask split at the emptiest column near the style's eye gap; "left" is the
 *   eye on the left of the image (the viewer's left, i.e. the character's right eye).
 * A pixel is in a mask when some premultiplied RGBA channel differs by ≥ {@link MASK_THRESHOLD}
 * (a quarter of full contrast: masks are slightly generous at part borders).
 *
 * Styles: `adventurer` (default; CC BY 4.0, Lisa Wischofsky) has the same head outline in every
 * sample, the face fills ~70 % of the frame (each eye ~50–70 px at 64 px) and it has 26 eyes × 30
 * mouths × 15 eyebrows × 45 hair styles × 16 hair colours × 4 skin tones. `avataaars` (bust with
 * clothes; eyes ~16 px at 64 px) and `bigEars` (no eyebrows part) are supported too.
 */
import * as collection from "@dicebear/collection";
import { createAvatar, type Style } from "@dicebear/core";
import { Resvg } from "@resvg/resvg-js";
import { Prng } from "../../shared/random/prng.ts";
import type { TrainingData } from "../training/trainer.ts";

/** Mask names a style may provide. */
export type PartName = "background" | "skin" | "hair" | "eyebrows" | "eyes" | "leftEye" | "rightEye" | "mouth";

/** Styles this module supports (DiceBear's camelCase export names). */
export const DICEBEAR_STYLES = ["adventurer", "avataaars", "bigEars"] as const;
export type DicebearStyle = (typeof DICEBEAR_STYLES)[number];
export const DEFAULT_STYLE: DicebearStyle = "adventurer";

/** The solid colour every face is composited onto (RGB). */
export const BACKGROUND: readonly [number, number, number] = [0xd6, 0xdc, 0xe8];
/** Per-channel difference (0–255, premultiplied RGBA) above which a pixel belongs to a variant's mask. */
export const MASK_THRESHOLD = 64;
const SENTINEL_SKIN = "00ff00";
const SENTINEL_OTHER = "ff00ff";
const SEED_SALT = 0x9d1ceb3a;

type Options = Record<string, unknown>;

interface StyleSpec {
  style: Style<Options>;
  /** Options drawn uniformly from a list, in this order (the order is part of the format: never reorder). */
  choices: [option: string, values: readonly string[]][];
  /** Optional components: option → inclusion probability in percent (drawn after `choices`, in this order). */
  optional: [probabilityOption: string, percent: number][];
  /** Options fixed for every sample. */
  fixed: Options;
  /** The skin colour option (recoloured to the sentinel for masks). */
  skinOption: string;
  /** Other colour options recoloured to the second sentinel (magenta) in mask renders, e.g. hair, so no part matches the skin sentinel. */
  sentinelOptions: string[];
  /** Removable parts: the option overrides that remove the part. */
  remove: Partial<Record<"eyes" | "eyebrows" | "mouth" | "hair", Options>>;
  /** x (fraction of the width) of the gap between the two eyes, where `eyes` splits into left/right. */
  eyeSplit: number;
}

function schemaEnum(style: Style<Options>, option: string, exclude: readonly string[] = []): string[] {
  const prop = (style.schema?.properties as Record<string, { items?: { enum?: string[] }; default?: unknown }> | undefined)?.[option];
  const values = prop?.items?.enum ?? (Array.isArray(prop?.default) ? (prop.default as string[]) : undefined);
  if (!values?.length) throw new Error(`dicebear: style has no values for option "${option}"`);
  return [...values].filter((v) => !exclude.includes(v)).sort();
}
function schemaDefault(style: Style<Options>, option: string): string[] {
  const d = (style.schema?.properties as Record<string, { default?: unknown }> | undefined)?.[option]?.default;
  if (!Array.isArray(d) || d.length === 0) throw new Error(`dicebear: style has no default list for option "${option}"`);
  return [...(d as string[])];
}

let specs: Map<DicebearStyle, StyleSpec> | undefined;
function specOf(name: DicebearStyle): StyleSpec {
  specs ??= buildSpecs();
  const spec = specs.get(name);
  if (!spec) throw new Error(`dicebear: unknown style "${name}"; supported: ${DICEBEAR_STYLES.join(", ")}`);
  return spec;
}

function buildSpecs(): Map<DicebearStyle, StyleSpec> {
  const adventurer = collection.adventurer as unknown as Style<Options>;
  const avataaars = collection.avataaars as unknown as Style<Options>;
  const bigEars = collection.bigEars as unknown as Style<Options>;
  return new Map<DicebearStyle, StyleSpec>([
    [
      "adventurer",
      {
        style: adventurer,
        choices: [
          ["eyes", schemaEnum(adventurer, "eyes")],
          ["eyebrows", schemaEnum(adventurer, "eyebrows")],
          ["mouth", schemaEnum(adventurer, "mouth")],
          ["hair", schemaEnum(adventurer, "hair")],
          ["hairColor", schemaDefault(adventurer, "hairColor")],
          ["skinColor", schemaDefault(adventurer, "skinColor")],
          // No mustache: it covers the mouth.
          ["features", schemaEnum(adventurer, "features", ["mustache"])],
          ["earrings", schemaEnum(adventurer, "earrings")],
        ],
        optional: [
          ["hairProbability", 95],
          ["featuresProbability", 10],
          ["earringsProbability", 10],
        ],
        // No glasses: they cover the eyes (sunglasses hide them entirely).
        fixed: { glassesProbability: 0 },
        skinOption: "skinColor",
        sentinelOptions: ["hairColor"],
        remove: { eyes: { eyes: [] }, eyebrows: { eyebrows: [] }, mouth: { mouth: [] }, hair: { hairProbability: 0 } },
        // The face is turned a little to the viewer's left: the eyes' gap is at columns 24–26 of 64.
        eyeSplit: 25.5 / 64,
      },
    ],
    [
      "avataaars",
      {
        style: avataaars,
        choices: [
          ["eyes", schemaEnum(avataaars, "eyes")],
          ["eyebrows", schemaEnum(avataaars, "eyebrows")],
          ["mouth", schemaEnum(avataaars, "mouth")],
          ["top", schemaEnum(avataaars, "top")],
          ["hairColor", schemaDefault(avataaars, "hairColor")],
          ["hatColor", schemaDefault(avataaars, "hatColor")],
          ["skinColor", schemaDefault(avataaars, "skinColor")],
          ["clothing", schemaEnum(avataaars, "clothing")],
          ["clothesColor", schemaDefault(avataaars, "clothesColor")],
          ["clothingGraphic", schemaEnum(avataaars, "clothingGraphic")],
          // Beards only: moustaches cover the mouth.
          ["facialHair", schemaEnum(avataaars, "facialHair", ["moustacheFancy", "moustacheMagnum"])],
          ["facialHairColor", schemaDefault(avataaars, "facialHairColor")],
        ],
        optional: [
          ["topProbability", 95],
          ["facialHairProbability", 10],
        ],
        fixed: { accessoriesProbability: 0, style: ["default"], base: ["default"], nose: ["default"] },
        skinOption: "skinColor",
        sentinelOptions: ["hairColor", "hatColor", "facialHairColor"],
        remove: { eyes: { eyes: [] }, eyebrows: { eyebrows: [] }, mouth: { mouth: [] }, hair: { topProbability: 0 } },
        eyeSplit: 0.5,
      },
    ],
    [
      "bigEars",
      {
        style: bigEars,
        choices: [
          ["eyes", schemaEnum(bigEars, "eyes")],
          ["mouth", schemaEnum(bigEars, "mouth")],
          ["hair", schemaEnum(bigEars, "hair")],
          ["frontHair", schemaEnum(bigEars, "frontHair")],
          ["sideburn", schemaEnum(bigEars, "sideburn")],
          ["hairColor", schemaDefault(bigEars, "hairColor")],
          ["skinColor", schemaDefault(bigEars, "skinColor")],
          ["face", schemaEnum(bigEars, "face")],
          ["ear", schemaEnum(bigEars, "ear")],
          ["nose", schemaEnum(bigEars, "nose")],
          ["cheek", schemaEnum(bigEars, "cheek")],
        ],
        optional: [["cheekProbability", 50]],
        fixed: {},
        skinOption: "skinColor",
        sentinelOptions: ["hairColor"],
        remove: { eyes: { eyes: [] }, mouth: { mouth: [] }, hair: { hair: [], frontHair: [], sideburn: [] } },
        eyeSplit: 0.5,
      },
    ],
  ]);
}

/** The parts (mask names) a style provides, in a fixed order. */
export function styleParts(style: DicebearStyle = DEFAULT_STYLE): PartName[] {
  const spec = specOf(style);
  const parts: PartName[] = ["background", "skin"];
  if (spec.remove.hair) parts.push("hair");
  if (spec.remove.eyebrows) parts.push("eyebrows");
  if (spec.remove.eyes) parts.push("eyes", "leftEye", "rightEye");
  if (spec.remove.mouth) parts.push("mouth");
  return parts;
}

/** Fits the model card's `DatasetInfo` (shared/weights/manifest.ts). */
export interface StyleLicense {
  /** e.g. "DiceBear Adventurer". */
  name: string;
  /** Licence name, e.g. "CC BY 4.0". */
  license: string;
  /** Who to credit and where the artwork is published, as the licence asks. */
  attribution: string;
  /** Licence URL. */
  url: string;
}

/** Licence and attribution of a style's artwork (from the style package's `meta`): record it with any weights trained on it. */
export function styleLicense(style: DicebearStyle = DEFAULT_STYLE): StyleLicense {
  const meta = specOf(style).style.meta ?? {};
  const title = meta.title ?? style;
  const creator = meta.creator ?? "unknown";
  return {
    name: `DiceBear ${title}`,
    license: meta.license?.name ?? "unknown",
    attribution: `"${title}" by ${creator}${meta.source ? ` (${meta.source})` : ""}, rendered with DiceBear (https://www.dicebear.com)`,
    url: meta.license?.url ?? "",
  };
}

/** The DiceBear options sample `index` of `(style, seed)` is rendered with. */
export function faceOptions(style: DicebearStyle, seed: number, index: number): Options {
  const spec = specOf(style);
  const rng = new Prng((seed ^ SEED_SALT) >>> 0, index);
  const opts: Options = { seed: "linkgan", backgroundColor: ["transparent"], ...spec.fixed };
  for (const [option, values] of spec.choices) opts[option] = [values[Math.floor(rng.uniform() * values.length)]!];
  for (const [option, percent] of spec.optional) opts[option] = rng.uniform() * 100 < percent ? 100 : 0;
  return opts;
}

function rasterize(style: Style<Options>, opts: Options, size: number): Uint8Array {
  const svg = createAvatar(style, opts).toString();
  const img = new Resvg(svg, { fitTo: { mode: "width", value: size }, font: { loadSystemFonts: false }, logLevel: "off" }).render();
  if (img.width !== size || img.height !== size) throw new Error(`dicebear: rendered ${img.width}×${img.height}, expected ${size}×${size}`);
  return img.pixels; // premultiplied RGBA
}

/** Pixels where two premultiplied RGBA renders differ by ≥ MASK_THRESHOLD in some channel. */
function differ(a: Uint8Array, b: Uint8Array, out: Uint8Array): Uint8Array {
  for (let p = 0, q = 0; p < out.length; p++, q += 4) {
    const d = Math.max(Math.abs(a[q]! - b[q]!), Math.abs(a[q + 1]! - b[q + 1]!), Math.abs(a[q + 2]! - b[q + 2]!), Math.abs(a[q + 3]! - b[q + 3]!));
    out[p] = d >= MASK_THRESHOLD ? 1 : 0;
  }
  return out;
}

export interface Face {
  /** size×size×3 RGB bytes, composited onto {@link BACKGROUND}. */
  image: Uint8Array;
  /** size×size bytes per part, 0/1. Empty object when rendered without masks. */
  masks: Partial<Record<PartName, Uint8Array>>;
}

/**
 * Render sample `index` of `(style, seed)`: the same bytes for the same arguments, on every run.
 * `masks: false` skips the variant renders (about 7× faster).
 */
export function renderFace(opts: { style?: DicebearStyle; seed?: number; index: number; size?: number; masks?: boolean }): Face {
  const { style = DEFAULT_STYLE, seed = 0, index, size = 64, masks: withMasks = true } = opts;
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new RangeError(`dicebear: size must be an integer in [8, 4096], got ${size}`);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new RangeError(`dicebear: index must be a uint32, got ${index}`);
  const spec = specOf(style);
  const base = faceOptions(style, seed, index);
  const full = rasterize(spec.style, base, size);

  const n = size * size;
  const image = new Uint8Array(n * 3);
  const [br, bg, bb] = BACKGROUND;
  for (let p = 0; p < n; p++) {
    const inv = 255 - full[p * 4 + 3]!;
    image[p * 3] = full[p * 4]! + Math.round((br * inv) / 255);
    image[p * 3 + 1] = full[p * 4 + 1]! + Math.round((bg * inv) / 255);
    image[p * 3 + 2] = full[p * 4 + 2]! + Math.round((bb * inv) / 255);
  }
  if (!withMasks) return { image, masks: {} };

  const masks: Partial<Record<PartName, Uint8Array>> = {};
  const background = new Uint8Array(n);
  for (let p = 0; p < n; p++) background[p] = full[p * 4 + 3]! < 128 ? 1 : 0;
  masks.background = background;

  const skin = differ(full, rasterize(spec.style, { ...base, [spec.skinOption]: [SENTINEL_SKIN] }, size), new Uint8Array(n));
  const sentinel: Options = { ...base, [spec.skinOption]: [SENTINEL_SKIN] };
  for (const option of spec.sentinelOptions) sentinel[option] = [SENTINEL_OTHER];
  const fullSentinel = rasterize(spec.style, sentinel, size);
  for (const part of ["hair", "eyebrows", "eyes", "mouth"] as const) {
    const removal = spec.remove[part];
    if (!removal) continue;
    const m = differ(fullSentinel, rasterize(spec.style, { ...sentinel, ...removal }, size), new Uint8Array(n));
    masks[part] = m;
    for (let p = 0; p < n; p++) if (m[p]) skin[p] = 0;
  }
  for (let p = 0; p < n; p++) if (background[p]) skin[p] = 0;
  masks.skin = skin;
  if (masks.eyes) {
    const eyes = masks.eyes;
    // Split at the column with the fewest eye pixels within ±size/16 of the style's nominal gap (nearest wins ties).
    const nominal = spec.eyeSplit * size;
    const reach = Math.max(1, Math.round(size / 16));
    let split = Math.round(nominal);
    let fewest = Number.POSITIVE_INFINITY;
    for (let x = Math.max(1, Math.round(nominal) - reach); x <= Math.min(size - 1, Math.round(nominal) + reach); x++) {
      let c = 0;
      for (let y = 0; y < size; y++) c += eyes[y * size + x]!;
      if (c < fewest || (c === fewest && Math.abs(x + 0.5 - nominal) < Math.abs(split + 0.5 - nominal))) {
        fewest = c;
        split = x;
      }
    }
    const left = new Uint8Array(n);
    const right = new Uint8Array(n);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = y * size + x;
        if (eyes[p]) (x < split ? left : right)[p] = 1;
      }
    }
    masks.leftEye = left;
    masks.rightEye = right;
  }
  return { image, masks };
}

/** Samples `offset … offset+count−1`, one at a time (sample i is the same whatever the batching). */
export function* iterateFaces(opts: { style?: DicebearStyle; count: number; size?: number; seed?: number; offset?: number; masks?: boolean }): Generator<Face & { index: number }> {
  const { count, offset = 0 } = opts;
  for (let i = 0; i < count; i++) {
    const index = offset + i;
    yield { index, ...renderFace({ ...opts, index }) };
  }
}

export interface FaceBatch {
  /** count×size×size×3 RGB bytes. */
  images: Uint8Array;
  /** count×size×size bytes (0/1) per part; only the parts listed in `parts` are present. */
  masks: Record<PartName, Uint8Array>;
  parts: PartName[];
}

/** Render `count` faces (samples `offset …`) into flat arrays. */
export function renderFaces(opts: { style?: DicebearStyle; count: number; size?: number; seed?: number; offset?: number; masks?: boolean }): FaceBatch {
  const { style = DEFAULT_STYLE, count, size = 64, masks: withMasks = true } = opts;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`dicebear: count must be a non-negative integer, got ${count}`);
  const n = size * size;
  const parts = withMasks ? styleParts(style) : [];
  const images = new Uint8Array(count * n * 3);
  const masks = Object.fromEntries(parts.map((p) => [p, new Uint8Array(count * n)])) as Record<PartName, Uint8Array>;
  let i = 0;
  for (const face of iterateFaces({ ...opts, style, size })) {
    images.set(face.image, i * n * 3);
    for (const part of parts) masks[part].set(face.masks[part]!, i * n);
    i++;
  }
  return { images, masks, parts };
}

export interface DicebearDataset extends TrainingData {
  readonly style: DicebearStyle;
  readonly parts: PartName[];
  /** Binary masks of `part` for `indices`, [N, H, W] bytes. */
  masks(part: string, indices: number[]): Uint8Array;
}

/** Image cache budget: datasets whose images fit are rendered once per index, larger ones on every use. */
const CACHE_BYTES = 512 * 2 ** 20;

/**
 * The dataset of samples 0…count−1 of `(style, seed)` at `resolution`, with the same shape as the
 * folder dataset. Images are rendered on first use (≈1 ms each at 64 px) and cached when they fit
 * in 512 MiB; masks are rendered on each call (≈4 ms per image at 64 px).
 */
export function openDicebearDataset(opts: { style?: string; count: number; seed?: number; resolution: number }): DicebearDataset {
  const style = (opts.style ?? DEFAULT_STYLE) as DicebearStyle;
  if (!DICEBEAR_STYLES.includes(style)) throw new Error(`dicebear: unknown style "${opts.style}"; supported: ${DICEBEAR_STYLES.join(", ")}`);
  const { count, seed = 0, resolution: res } = opts;
  const n = res * res;
  const parts = styleParts(style);
  const cache = count * n * 3 <= CACHE_BYTES ? new Uint8Array(count * n * 3) : undefined;
  const cached = cache ? new Uint8Array(count) : undefined;
  let lastMasks: { index: number; masks: Face["masks"] } | undefined;
  const check = (idx: number) => {
    if (!Number.isInteger(idx) || idx < 0 || idx >= count) throw new RangeError(`dicebear dataset: index ${idx} outside [0, ${count})`);
  };
  const image = (idx: number): Uint8Array => {
    check(idx);
    if (cache && cached) {
      if (!cached[idx]) {
        cache.set(renderFace({ style, seed, index: idx, size: res, masks: false }).image, idx * n * 3);
        cached[idx] = 1;
      }
      return cache.subarray(idx * n * 3, (idx + 1) * n * 3);
    }
    return renderFace({ style, seed, index: idx, size: res, masks: false }).image;
  };
  return {
    style,
    size: count,
    resolution: res,
    parts,
    async batch(indices) {
      const out = new Float32Array(indices.length * n * 3);
      for (const [j, idx] of indices.entries()) {
        const img = image(idx);
        for (let k = 0; k < n * 3; k++) out[j * n * 3 + k] = img[k]! / 127.5 - 1;
      }
      return out;
    },
    masks(part, indices) {
      if (!parts.includes(part as PartName)) throw new Error(`dicebear dataset: no masks for part "${part}" (parts: ${parts.join(", ")})`);
      const out = new Uint8Array(indices.length * n);
      for (const [j, idx] of indices.entries()) {
        check(idx);
        // One render gives every part: keep the last, so asking part after part of one image renders it once.
        if (lastMasks?.index !== idx) lastMasks = { index: idx, masks: renderFace({ style, seed, index: idx, size: res }).masks };
        out.set(lastMasks.masks[part as PartName]!, j * n);
      }
      return out;
    },
  };
}

/**
 * Fixed regions for the default style (adventurer) in image fractions (shared/regions schema): the
 * smallest box / ellipse covering ≥ 90 % of each sample's mask pixels, averaged over samples 0–999
 * of seed 0 at 64 px (`npx tsx scripts/preview-dataset.ts --out tmp/faces.png --regions 1000`).
 * "left" is the viewer's left.
 */
export const ADVENTURER_FIXED_REGIONS = {
  leftEye: {
    box: { kind: "box", x: 0.2188, y: 0.4844, width: 0.1563, height: 0.125 },
    ellipse: { kind: "ellipse", cx: 0.2969, cy: 0.5469, rx: 0.0781, ry: 0.0625 },
  },
  rightEye: {
    box: { kind: "box", x: 0.4375, y: 0.4531, width: 0.1719, height: 0.1406 },
    ellipse: { kind: "ellipse", cx: 0.5234, cy: 0.5391, rx: 0.0859, ry: 0.0781 },
  },
  eyes: {
    box: { kind: "box", x: 0.2188, y: 0.4844, width: 0.3906, height: 0.125 },
    ellipse: { kind: "ellipse", cx: 0.4219, cy: 0.5469, rx: 0.2109, ry: 0.0781 },
  },
  mouth: {
    box: { kind: "box", x: 0.3125, y: 0.625, width: 0.1719, height: 0.1406 },
    ellipse: { kind: "ellipse", cx: 0.4219, cy: 0.6953, rx: 0.1016, ry: 0.0703 },
  },
} as const;
