/**
 * The one size rule for every image the project accepts: uploaded masks (PNG or run-length), the
 * PNG masks inside model manifests, pictures uploaded to `POST /v1/models/{m}/invert` (PNG or
 * JPEG; shared/picture/ adds a tighter pixel bound for them, `MAX_PICTURE_PIXELS`), the picture
 * `npm run invert` reads, and the trainer's folder datasets (those two PNG, JPEG or WebP through
 * sharp). It is checked on the image's header, before any pixel is decoded, so a 70-byte file that
 * claims 2147483647×1 pixels costs nothing.
 *
 * Sides and pixels bound every image. The decoded size bounds the work of the project's own PNG
 * decoder (shared/png/decode.ts), which inflates in JavaScript inside an isolate: 16 MiB of samples
 * (a 4096×4096 8-bit gray mask, a 2048×2048 RGBA image) decode in about half a second of workerd
 * CPU, near one 8× render, and fit an isolate's 128 MB many times over. The trainer decodes with
 * sharp (native code, outside the JS heap) and checks sides and pixels only.
 */

export const IMAGE_LIMITS = {
  /** Largest width or height. */
  maxSide: 4096,
  /** Largest width × height (sharp's `limitInputPixels` in the trainer). */
  maxPixels: 4096 * 4096,
  /** Largest decoded sample data: width × height × channels × bytes per sample. */
  maxDecodedBytes: 16 * 1024 * 1024,
} as const;

/** What an image's header says, before decoding. */
export interface ImageHeader {
  width: number;
  height: number;
  /** Samples per pixel (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA; a palette image has 1); with `bitsPerSample`, the decoded size is checked too. */
  channels?: number;
  /** Bits per sample (1, 2, 4, 8 or 16). */
  bitsPerSample?: number;
}

export class ImageTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageTooLargeError";
  }
}

/** Why an image of this header is refused, or undefined when it is within the limits. */
export function imageSizeProblem(h: ImageHeader): string | undefined {
  const { maxSide, maxPixels, maxDecodedBytes } = IMAGE_LIMITS;
  if (!(Number.isInteger(h.width) && Number.isInteger(h.height) && h.width >= 1 && h.height >= 1)) return `${h.width}×${h.height} is not a valid image size`;
  if (h.width > maxSide || h.height > maxSide) return `${h.width}×${h.height} is larger than the limit of ${maxSide}×${maxSide}`;
  if (h.width * h.height > maxPixels) return `${h.width}×${h.height} has more than ${maxPixels} pixels`;
  if (h.channels === undefined || h.bitsPerSample === undefined) return undefined;
  const decoded = Math.ceil((h.width * h.height * h.channels * h.bitsPerSample) / 8);
  if (decoded > maxDecodedBytes) {
    return `${h.width}×${h.height} with ${h.channels} channel(s) of ${h.bitsPerSample} bits decodes to ${decoded} bytes, more than the limit of ${maxDecodedBytes}`;
  }
  return undefined;
}

/**
 * Throw an ImageTooLargeError naming the limit when `h` is over it.
 *
 * @example
 * checkImageSize({ width: header.width, height: header.height, channels: header.channels, bitsPerSample: header.depth });
 */
export function checkImageSize(h: ImageHeader): void {
  const problem = imageSizeProblem(h);
  if (problem) throw new ImageTooLargeError(problem);
}
