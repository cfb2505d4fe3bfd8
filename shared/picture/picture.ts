/**
 * A user's picture (PNG or JPEG bytes of any size) → the model's input, the same in Node, workerd
 * and browsers (no Node APIs): for GAN inversion, `POST /v1/models/{m}/invert` in the worker and
 * `npm run invert` in the trainer, so both prepare a picture identically.
 *
 * Untrusted bytes are judged from their headers first (readPictureHeader): what the file is, its
 * size against `IMAGE_LIMITS` (shared/png/limits.ts, the one size rule), animation, the smallest
 * side, and whether its structure is complete, all before any pixel is decoded and at a cost
 * independent of the pixel count. Only then are the pixels decoded (shared/png/decode.ts,
 * jpeg-js through ./jpeg.ts), turned upright by the EXIF orientation, and prepared by modelInput:
 * alpha onto the dataset's background, centre square, resampled to the model's resolution.
 */
import type { FloatImage } from "../generator/generator.ts";
import { PngError, readPngInfo, decodePng } from "../png/decode.ts";
import { IMAGE_LIMITS, ImageTooLargeError, imageSizeProblem } from "../png/limits.ts";
import { PictureError } from "./error.ts";
import { decodeJpeg, readJpegHeader } from "./jpeg.ts";

export { PictureError, type PictureErrorCode } from "./error.ts";

/**
 * Smallest side accepted: a 1×1 or 8×8 image holds no face to invert. Checked on the upright
 * size, before the centre crop (which keeps the smaller side).
 */
export const MIN_PICTURE_SIDE = 16;

/**
 * Most pixels a picture may have (1024 × 1024), below the project's general image rule
 * (`IMAGE_LIMITS`): decoding here runs in JavaScript, inside a Worker isolate of 128 MB that also
 * holds the model. In Node, the largest JPEG that rule allows (2364 × 2364) raised the peak
 * resident memory by 197 MB while decoding (about 35 bytes a pixel: jpeg-js's DCT blocks, its
 * copy of the input, the RGBA output), and a 4096 × 4096 PNG by 110 MB; a megapixel costs about
 * 37 MB. A model sees 64 px: scale a photo down before sending it (the widget sends at most 256 px).
 */
export const MAX_PICTURE_PIXELS = 1024 * 1024;

export type PictureFormat = "png" | "jpeg";

export interface PictureHeader {
  format: PictureFormat;
  /** Upright: a JPEG whose EXIF orientation is 5–8 (a quarter turn) has its stored sides swapped. */
  width: number;
  height: number;
}

export interface DecodedPicture {
  width: number;
  height: number;
  /** Upright RGBA8, straight (not premultiplied) alpha; JPEGs are opaque. */
  rgba: Uint8Array;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (b: Uint8Array, magic: readonly number[], at = 0) => b.length >= at + magic.length && magic.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, start: number, end: number) => String.fromCharCode(...b.subarray(start, Math.min(end, b.length)));

/**
 * What bytes that are neither PNG nor JPEG look like, from their first bytes, for the error
 * message ("…: it looks like a GIF image"): the formats people upload by mistake.
 */
function lookalike(b: Uint8Array): string {
  if (b.length === 0) return "the file is empty";
  const head = ascii(b, 0, 12);
  if (head.startsWith("GIF87a") || head.startsWith("GIF89a")) return "it looks like a GIF image";
  if (head.startsWith("RIFF") && head.slice(8, 12) === "WEBP") return "it looks like a WebP image";
  if (head.slice(4, 8) === "ftyp") {
    const brand = head.slice(8, 12);
    if (brand.startsWith("avi")) return "it looks like an AVIF image";
    if (["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1"].includes(brand)) return "it looks like a HEIC/HEIF image";
    return "it looks like a video (ISO media file)";
  }
  if (head.startsWith("II*\0") || head.startsWith("MM\0*")) return "it looks like a TIFF image";
  if (head.startsWith("BM") && b.length >= 18 && [12, 40, 56, 108, 124].includes(b[14]! | (b[15]! << 8))) return "it looks like a BMP image";
  if (startsWith(b, [0, 0, 1, 0])) return "it looks like an ICO icon";
  if (head.startsWith("%PDF")) return "it looks like a PDF document";
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return "it looks like a ZIP archive";
  if (startsWith(b, [0x1f, 0x8b])) return "it looks like gzip-compressed data";
  // Text: the first 512 bytes are UTF-8 without control characters other than tab and line breaks.
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(0, 512), { stream: true });
  } catch {
    text = undefined;
  }
  const control = (c: number) => (c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127;
  if (text !== undefined && !Array.from(text).some((ch) => control(ch.charCodeAt(0)))) {
    const start = text.trimStart().slice(0, 256).toLowerCase();
    if (start.startsWith("<svg") || (start.startsWith("<?xml") && start.includes("<svg"))) return "it looks like an SVG image (vector graphics are not read; export it as PNG)";
    if (start.startsWith("<!doctype html") || start.startsWith("<html")) return "it looks like an HTML page";
    return "it looks like text";
  }
  const first = Array.from(b.subarray(0, 8), (v) => v.toString(16).padStart(2, "0")).join(" ");
  return `its first bytes are ${first}`;
}

/** A PNG decoder error as the PictureError callers get. */
function pictureErrorOf(e: unknown): unknown {
  if (e instanceof PngError) return new PictureError("corrupt", `a truncated or corrupt PNG: ${e.detail}`);
  if (e instanceof ImageTooLargeError) return new PictureError("too_large", `too large: ${e.message}`);
  return e;
}

function checkSize(h: PictureHeader): PictureHeader {
  if (h.width * h.height > MAX_PICTURE_PIXELS) {
    throw new PictureError("too_large", `too large: ${h.width}×${h.height} has more than ${MAX_PICTURE_PIXELS} pixels (1024×1024), the most a picture to invert may have; scale it down first (the model sees it at its own resolution)`);
  }
  if (Math.min(h.width, h.height) < MIN_PICTURE_SIDE) {
    throw new PictureError(
      "too_small",
      `too small: ${h.width}×${h.height}; the smallest accepted picture is ${MIN_PICTURE_SIDE}×${MIN_PICTURE_SIDE} (it is centre-cropped to a square and resized to the model's resolution)`,
    );
  }
  return h;
}

/**
 * What a picture is, from its headers alone: PNG or JPEG by magic bytes, its upright size, and
 * every refusal that needs no pixel decoded. Cost: one pass over the file's bytes (PNG chunk
 * CRCs, JPEG marker walk), independent of the pixel count, so a decompression bomb costs nothing.
 * Throws a PictureError:
 * - `not_an_image`: neither PNG nor JPEG ("not a PNG or JPEG: it looks like a GIF image");
 * - `corrupt`: cut off or malformed ("a truncated or corrupt PNG: cut off inside the IDAT chunk");
 * - `too_large`: over `IMAGE_LIMITS` ("too large: 100000×100000 is larger than the limit of 4096×4096"),
 *   or over `MAX_PICTURE_PIXELS` ("too large: 2000×1500 has more than 1048576 pixels …");
 * - `animated`: an animated PNG ("an animated PNG (12 frames); give one still picture");
 * - `unsupported`: e.g. "a CMYK JPEG; convert it to RGB";
 * - `too_small`: a side under `MIN_PICTURE_SIDE` ("too small: 1×1; the smallest accepted picture is 16×16 …").
 *
 * @example
 * const { format, width, height } = readPictureHeader(new Uint8Array(await request.arrayBuffer()));
 */
export function readPictureHeader(bytes: Uint8Array): PictureHeader {
  if (startsWith(bytes, PNG_MAGIC)) {
    let info: ReturnType<typeof readPngInfo>;
    try {
      info = readPngInfo(bytes);
    } catch (e) {
      throw pictureErrorOf(e);
    }
    // decodePng reads only the default image; what a viewer shows of an APNG is the animation.
    if (info.animationFrames !== undefined) {
      throw new PictureError("animated", `an animated PNG (${info.animationFrames} frame${info.animationFrames === 1 ? "" : "s"}); give one still picture`);
    }
    return checkSize({ format: "png", width: info.width, height: info.height });
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) {
    const h = readJpegHeader(bytes);
    const quarterTurn = h.orientation >= 5;
    return checkSize({ format: "jpeg", width: quarterTurn ? h.height : h.width, height: quarterTurn ? h.width : h.height });
  }
  if (startsWith(bytes, PNG_MAGIC.slice(1, 4), 1)) {
    throw new PictureError("corrupt", "a truncated or corrupt PNG: its signature is damaged (was it transferred as text, converting line endings?)");
  }
  throw new PictureError("not_an_image", `not a PNG or JPEG: ${lookalike(bytes)}`);
}

/**
 * Decode a picture to upright RGBA8, after readPictureHeader's checks (so nothing is decoded for a
 * file it refuses). Throws a PictureError as readPictureHeader does, and `corrupt` for image data
 * that does not decode.
 *
 * @example
 * const { width, height, rgba } = decodePicture(bytes);
 */
export function decodePicture(bytes: Uint8Array): DecodedPicture {
  return decodeChecked(bytes, readPictureHeader(bytes));
}

/** The decode, once readPictureHeader has passed `bytes`. */
function decodeChecked(bytes: Uint8Array, header: PictureHeader): DecodedPicture {
  if (header.format === "jpeg") return decodeJpeg(bytes);
  try {
    const { width, height, rgba } = decodePng(bytes);
    return { width, height, rgba };
  } catch (e) {
    throw pictureErrorOf(e);
  }
}

/**
 * 1-D area-averaging taps from `side` source pixels to `res` ≤ `side` output pixels: output i is
 * the exact box integral over source [i·side/res, (i+1)·side/res), edge pixels weighted by the
 * fraction inside. Kept in integers scaled by `res` (output i spans [i·side, (i+1)·side), source
 * j spans [j·res, (j+1)·res)), so the weights are exact rationals; `side + res` taps in all.
 */
function boxTaps(side: number, res: number): { start: Int32Array; end: Int32Array; index: Int32Array; weight: Float64Array } {
  const start = new Int32Array(res);
  const end = new Int32Array(res);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < res; i++) {
    const lo = i * side;
    const hi = lo + side;
    start[i] = index.length;
    for (let j = Math.floor(lo / res); j * res < hi; j++) {
      index.push(j);
      weight.push((Math.min(hi, (j + 1) * res) - Math.max(lo, j * res)) / side);
    }
    end[i] = index.length;
  }
  return { start, end, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/**
 * The model's input from RGBA8 pixels: HWC RGB in [−1, 1] (8-bit value / 127.5 − 1), the form the
 * generator renders and the encoder reads.
 *
 * 1. Alpha (straight) is composited onto `background` at full resolution, before any resampling:
 *    resampling first would blend the colours of transparent pixels (often black) into the edges.
 *    The dataset's faces are composited onto its background the same way (trainer/data/dicebear.ts).
 * 2. The centre square is kept: side min(width, height), offset floor((width − side) / 2) (and the
 *    same for height). Faces are trained square; squashing a portrait would distort them.
 * 3. It is resampled to resolution × resolution. Downscaling averages areas: each output pixel is
 *    the exact box integral of its footprint (fractional edge weights), so no source pixel is
 *    skipped and fine detail cannot alias. Upscaling is bilinear with pixel centres aligned
 *    (source coordinate (x + 0.5)·side/resolution − 0.5, clamped at the edges).
 *
 * The work is bounded by the input: downscaling streams the crop a row at a time (O(side²), two
 * output rows of accumulators); upscaling a picture smaller than the model costs O(resolution²).
 *
 * @example
 * const image = modelInput(rgba, width, height, generator.config.resolution, BACKGROUND);
 * const [w] = await encoder.encode([image]);
 */
export function modelInput(rgba: Uint8Array, width: number, height: number, resolution: number, background: readonly [number, number, number]): FloatImage {
  const sizeProblem = imageSizeProblem({ width, height });
  if (sizeProblem) throw new RangeError(`modelInput: ${sizeProblem}`);
  if (rgba.length !== width * height * 4) throw new RangeError(`modelInput: expected ${width * height * 4} bytes for ${width}×${height} RGBA, got ${rgba.length}`);
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > IMAGE_LIMITS.maxSide) throw new RangeError(`modelInput: resolution must be an integer in [1, ${IMAGE_LIMITS.maxSide}], got ${resolution}`);
  if (background.length !== 3 || background.some((v) => !(v >= 0 && v <= 255))) throw new RangeError(`modelInput: background must be 3 values in [0, 255], got [${background.join(", ")}]`);

  const res = resolution;
  const side = Math.min(width, height);
  const x0 = Math.floor((width - side) / 2);
  const y0 = Math.floor((height - side) / 2);
  const [br, bg, bb] = background;
  /** Crop row `y` composited onto the background, side × 3 values in [0, 255]. */
  const compositeRow = (y: number, into: Float64Array, at = 0) => {
    for (let x = 0, p = ((y0 + y) * width + x0) * 4, q = at; x < side; x++, p += 4, q += 3) {
      const a = rgba[p + 3]! / 255;
      into[q] = rgba[p]! * a + br * (1 - a);
      into[q + 1] = rgba[p + 1]! * a + bg * (1 - a);
      into[q + 2] = rgba[p + 2]! * a + bb * (1 - a);
    }
  };
  const out = new Float32Array(res * res * 3);

  if (side >= res) {
    // Separable box filter, streamed: each crop row is composited, reduced horizontally, and added
    // into the (at most two, since side ≥ res) output rows its vertical footprint overlaps; an
    // output row is written out as soon as its last source row is in.
    const taps = boxTaps(side, res);
    const row = new Float64Array(side * 3);
    const reduced = new Float64Array(res * 3);
    const acc = [new Float64Array(res * 3), new Float64Array(res * 3)];
    for (let y = 0; y < side; y++) {
      compositeRow(y, row);
      for (let i = 0; i < res; i++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let t = taps.start[i]!; t < taps.end[i]!; t++) {
          const w = taps.weight[t]!;
          const j = taps.index[t]! * 3;
          r += w * row[j]!;
          g += w * row[j + 1]!;
          b += w * row[j + 2]!;
        }
        reduced[i * 3] = r;
        reduced[i * 3 + 1] = g;
        reduced[i * 3 + 2] = b;
      }
      const lo = y * res;
      const hi = lo + res;
      for (let i = Math.floor(lo / side); i < res && i * side < hi; i++) {
        const w = (Math.min(hi, (i + 1) * side) - Math.max(lo, i * side)) / side;
        const a = acc[i & 1]!;
        for (let k = 0; k < a.length; k++) a[k]! += w * reduced[k]!;
        if ((i + 1) * side <= hi) {
          for (let k = 0, o = i * res * 3; k < a.length; k++, o++) out[o] = a[k]! / 127.5 - 1;
          a.fill(0);
        }
      }
    }
    return { width: res, height: res, data: out };
  }

  // Upscaling: the crop is smaller than the model (side < res ≤ 4096), so holding it is cheap.
  const crop = new Float64Array(side * side * 3);
  for (let y = 0; y < side; y++) compositeRow(y, crop, y * side * 3);
  const scale = side / res;
  const lower = new Int32Array(res);
  const upper = new Int32Array(res);
  const frac = new Float64Array(res);
  for (let i = 0; i < res; i++) {
    const u = Math.min(side - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    lower[i] = Math.floor(u);
    upper[i] = Math.min(side - 1, lower[i]! + 1);
    frac[i] = u - lower[i]!;
  }
  for (let y = 0, o = 0; y < res; y++) {
    const r0 = lower[y]! * side * 3;
    const r1 = upper[y]! * side * 3;
    const ty = frac[y]!;
    for (let x = 0; x < res; x++) {
      const c0 = lower[x]! * 3;
      const c1 = upper[x]! * 3;
      const tx = frac[x]!;
      for (let c = 0; c < 3; c++, o++) {
        // Written as a + t·(b − a): a constant image stays exactly constant.
        const top = crop[r0 + c0 + c]! + tx * (crop[r0 + c1 + c]! - crop[r0 + c0 + c]!);
        const bottom = crop[r1 + c0 + c]! + tx * (crop[r1 + c1 + c]! - crop[r1 + c0 + c]!);
        out[o] = (top + ty * (bottom - top)) / 127.5 - 1;
      }
    }
  }
  return { width: res, height: res, data: out };
}

/**
 * All of it: the header checks, the decode, and the model's input. A caller that has already read
 * the header (to refuse a file before loading anything) passes it, so the bytes are walked once.
 *
 * @example
 * const { format, width, height, image } = picture(bytes, 64, BACKGROUND);
 */
export function picture(bytes: Uint8Array, resolution: number, background: readonly [number, number, number], header = readPictureHeader(bytes)): PictureHeader & { image: FloatImage } {
  const { width, height, rgba } = decodeChecked(bytes, header);
  return { format: header.format, width, height, image: modelInput(rgba, width, height, resolution, background) };
}
