/**
 * PNG in and out, identical in Node, workerd and browsers: fast-png encodes; decoding is the
 * project's bounded decoder (decode.ts), which checks every image against `IMAGE_LIMITS` from its
 * header before decoding it.
 */
import { encode } from "fast-png";

export { type DecodedImage, PngError, decodePng, decodePngGray, readPngHeader } from "./decode.ts";
export { IMAGE_LIMITS, ImageTooLargeError } from "./limits.ts";

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
