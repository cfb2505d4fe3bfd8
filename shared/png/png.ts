/**
 * PNG in and out, identical in Node, workerd and browsers (fast-png: pure JS, synchronous).
 */
import { convertIndexedToRgb, decode, encode } from "fast-png";

/**
 * Encode RGBA8 (or gray8 with `channels: 1`) pixels as PNG.
 *
 * @example
 * const png = encodePng(toRgba8(img), img.width, img.height);
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4 = 4): Uint8Array {
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`encodePng: expected ${width * height * channels} bytes for ${width}×${height}×${channels}, got ${pixels.length}`);
  }
  return encode({ width, height, data: pixels, depth: 8, channels });
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array;
  /** Luma (alpha-premultiplied onto black), 8 bits: what masks read. */
  gray: Uint8Array;
}

/** Decode any PNG (gray, gray+alpha, RGB, RGBA, palette; 1–16 bits) to RGBA8 + gray8. Throws on bad data. */
export function decodePng(bytes: Uint8Array): DecodedImage {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new Error(`not a valid PNG: ${(e as Error).message}`);
  }
  const { width, height } = png;
  let data: ArrayLike<number> = png.data;
  let channels = png.channels;
  let max = png.depth === 16 ? 65535 : (1 << png.depth) - 1;
  if (png.palette) {
    data = convertIndexedToRgb(png);
    channels = png.palette[0]?.length ?? 3;
    max = 255;
  }
  const n = width * height;
  if (data.length < n * channels) throw new Error(`PNG data too short: ${data.length} values for ${width}×${height}×${channels}`);
  const rgba = new Uint8Array(n * 4);
  const gray = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = (c: number) => Math.round((data[i * channels + c]! * 255) / max);
    const [r, g, b] = channels >= 3 ? [at(0), at(1), at(2)] : [at(0), at(0), at(0)];
    const a = channels === 4 ? at(3) : channels === 2 ? at(1) : 255;
    rgba.set([r, g, b, a], i * 4);
    gray[i] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * a) / 255);
  }
  return { width, height, rgba, gray };
}
