/**
 * Pictures of a run: a grid of fixed seeds, and a grid with each linked region resampled, rendered
 * by the same shared Generator that serves the model (so what the run shows is what users get).
 */
import { resampleRegions } from "../../shared/editing/resample.ts";
import type { GeneratorConfig } from "../../shared/generator/config.ts";
import { type FloatImage, Generator, toRgba8 } from "../../shared/generator/generator.ts";
import type { ParamValues } from "../../shared/generator/params.ts";
import { encodePng } from "../../shared/png/png.ts";
import { maskEdge, rasterizeMask } from "../../shared/regions/mask.ts";
import type { Region } from "../../shared/regions/schema.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";

/** Tile RGBA images (all the same size) into `cols` columns with a 1-px gap, upscaled by `scale`. */
export function gridPng(images: Uint8Array[], size: number, cols: number, scale = 1): Uint8Array {
  const rows = Math.ceil(images.length / cols);
  const cell = size * scale + 1;
  const w = cols * cell + 1;
  const h = rows * cell + 1;
  const out = new Uint8Array(w * h * 4).fill(255);
  for (const [i, img] of images.entries()) {
    const ox = (i % cols) * cell + 1;
    const oy = Math.floor(i / cols) * cell + 1;
    for (let y = 0; y < size * scale; y++) {
      for (let x = 0; x < size * scale; x++) {
        const src = (Math.floor(y / scale) * size + Math.floor(x / scale)) * 4;
        out.set(img.subarray(src, src + 4), ((oy + y) * w + ox + x) * 4);
      }
    }
  }
  return encodePng(out, w, h);
}

/** Draw the outline of a region's mask in `color` (for the region grid's first column). */
function outline(rgba: Uint8Array, mask: Uint8Array, size: number, color: [number, number, number]): Uint8Array {
  const out = rgba.slice();
  const edge = maskEdge({ size, data: mask }).data;
  for (let i = 0; i < edge.length; i++) if (edge[i]) out.set([...color, 255], i * 4);
  return out;
}

export async function seedGrid(cfg: GeneratorConfig, values: ParamValues, seeds: number[], truncation = 1): Promise<Uint8Array> {
  const g = Generator.fromValues(cfg, values);
  try {
    const imgs = await g.render(await g.mapSeeds(seeds, truncation), seeds);
    return gridPng(imgs.map(toRgba8), cfg.resolution, 8, Math.max(1, Math.floor(128 / cfg.resolution)));
  } finally {
    g.dispose();
  }
}

/**
 * One row per (base seed, region): the base with the region outlined, then `count` resamples of
 * that region (replace mode, resample seeds 1…count). A semantic region is outlined where the
 * segmenter finds its class in that base image.
 */
export async function regionGrid(
  cfg: GeneratorConfig,
  values: ParamValues,
  regions: Region[],
  baseSeeds: number[],
  opts: { count?: number; truncation?: number; segmenter?: Segmenter | undefined } = {},
): Promise<Uint8Array> {
  const { count = 7, truncation = 1, segmenter } = opts;
  const g = Generator.fromValues(cfg, values);
  try {
    const tiles: Uint8Array[] = [];
    for (const base of baseSeeds) {
      const [w] = await g.mapSeeds([base], truncation);
      const [baseImg] = await g.render([w!], [base]);
      for (const r of regions) {
        const edits: FloatImage[] = [];
        for (let s = 1; s <= count; s++) {
          const edited = await resampleRegions(g, w!, [r], { seed: 1000 * base + s, mode: "replace", truncation });
          edits.push(...(await g.render([edited], [base])));
        }
        const mask = r.mask.kind !== "semantic" ? rasterizeMask(r.mask, cfg.resolution).data : segmenter ? (await segmenter.masks([baseImg!], r.mask.class))[0]!.data : null;
        const first = toRgba8(baseImg!);
        tiles.push(mask ? outline(first, mask, cfg.resolution, [255, 0, 64]) : first, ...edits.map(toRgba8));
      }
    }
    return gridPng(tiles, cfg.resolution, count + 1, Math.max(1, Math.floor(128 / cfg.resolution)));
  } finally {
    g.dispose();
  }
}
