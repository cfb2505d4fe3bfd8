import { decodePng } from "../png/png.ts";
import type { RegionMask } from "./schema.ts";

/** A binary mask on output pixels: H×W bytes, 1 inside the region. */
export interface BinaryMask {
  size: number;
  data: Uint8Array;
}

/**
 * The one threshold of every mask image (region masks of kind "image", uploaded and served mask
 * PNGs, the trainer's mask files): gray (alpha-premultiplied) ≥ 128 is inside.
 *
 * @example
 * isInside(255); // true;  isInside(127) // false
 */
export const isInside = (gray: number): boolean => gray >= 128;

/**
 * Rasterize a fixed region's mask at `size`×`size` (pixel centres sampled). Semantic masks vary per
 * image and come from a segmenter, so they are rejected here.
 *
 * @example
 * rasterizeMask({ kind: "ellipse", cx: 0.35, cy: 0.45, rx: 0.1, ry: 0.07 }, 64).data; // Uint8Array(4096)
 */
export function rasterizeMask(mask: RegionMask, size: number): BinaryMask {
  const data = new Uint8Array(size * size);
  switch (mask.kind) {
    case "box":
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const u = (x + 0.5) / size;
          const v = (y + 0.5) / size;
          data[y * size + x] = u >= mask.x && u < mask.x + mask.width && v >= mask.y && v < mask.y + mask.height ? 1 : 0;
        }
      }
      break;
    case "ellipse":
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const du = ((x + 0.5) / size - mask.cx) / mask.rx;
          const dv = ((y + 0.5) / size - mask.cy) / mask.ry;
          data[y * size + x] = du * du + dv * dv <= 1 ? 1 : 0;
        }
      }
      break;
    case "image": {
      const img = decodePng(base64ToBytes(mask.png));
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / size));
          const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / size));
          data[y * size + x] = isInside(img.gray[sy * img.width + sx]!) ? 1 : 0;
        }
      }
      break;
    }
    case "semantic":
      throw new Error(`region mask of kind "semantic" (class "${mask.class}") is per image and comes from a segmenter`);
  }
  return { size, data };
}

/** Number of pixels inside. */
export const maskArea = (m: BinaryMask): number => m.data.reduce((a, b) => a + b, 0);

/**
 * The mask's edge: 1 on inside pixels with a 4-neighbour outside it (or off the image), for
 * drawing a region's outline on a picture.
 *
 * @example
 * maskEdge(rasterizeMask({ kind: "box", x: 0.25, y: 0.25, width: 0.5, height: 0.5 }, 8)).data; // 1 on the box's border
 */
export function maskEdge(m: BinaryMask): BinaryMask {
  const { size, data } = m;
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < size && y < size && data[y * size + x] === 1;
  const edge = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (inside(x, y) && !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1))) edge[y * size + x] = 1;
    }
  }
  return { size, data: edge };
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
