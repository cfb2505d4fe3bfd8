/**
 * JPEG for uploaded pictures, the same in Node, workerd and browsers: the header is read here
 * (markers walked, nothing decoded), the pixels by jpeg-js (pure JS, typed arrays only).
 *
 * Why a header reader of our own in front of jpeg-js: jpeg-js allocates every DCT block of the
 * frame as soon as it reads the SOF marker, before it looks at any image data, so a 600-byte file
 * claiming 60000×60000 pixels asks for gigabytes; and it reads past the end of a cut-off file as
 * zeros, so a truncated upload fails late with a puzzling "unknown JPEG marker 0". Here the whole
 * marker structure is walked first, SOI to EOI (the entropy-coded data scanned for its end, not
 * decoded), and the frame header is checked against `IMAGE_LIMITS`, so every refusal that can be
 * made from the structure is made before any pixel is decoded, at a cost linear in the file's
 * bytes and independent of its pixel count.
 */
import decodeJpegJs from "jpeg-js/lib/decoder.js";
import { IMAGE_LIMITS, imageSizeProblem } from "../png/limits.ts";
import { PictureError } from "./error.ts";

export interface JpegHeader {
  /** As stored, before EXIF orientation. */
  width: number;
  height: number;
  /** 1 (gray) or 3 (YCbCr or RGB): the only ones read. */
  components: number;
  /** SOF2: progressive DCT (jpeg-js decodes it; a progressive file is just slower to decode). */
  progressive: boolean;
  /** The EXIF Orientation tag (1–8): how the stored pixels are turned to be upright; 1 when absent or unreadable. */
  orientation: number;
}

/** What the memory bound of a decode needs beyond the header: each component's sampling factors. */
interface Frame extends JpegHeader {
  sampling: { h: number; v: number }[];
}

const corrupt = (message: string): never => {
  throw new PictureError("corrupt", `a truncated or corrupt JPEG: ${message}`);
};
const unsupported = (message: string): never => {
  throw new PictureError("unsupported", message);
};

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const hex = (marker: number) => `0xFF${marker.toString(16).toUpperCase().padStart(2, "0")}`;

const REENCODE = "which is not supported; re-save it as a baseline or progressive JPEG";
/** SOFn markers of coding processes jpeg-js does not implement (it decodes SOF0, SOF1 and SOF2 only), with what to say. */
const UNSUPPORTED_SOF = new Map<number, string>([
  [0xc3, `a lossless JPEG (SOF3), ${REENCODE}`],
  ...[0xc5, 0xc6, 0xc7].map((m) => [m, `a hierarchical JPEG (SOF${m - 0xc0}), ${REENCODE}`] as const),
  ...[0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf].map((m) => [m, `an arithmetic-coded JPEG (SOF${m - 0xc0}), ${REENCODE}`] as const),
]);

/**
 * Most scans (SOS segments) a JPEG may have. The decoder makes a pass over every block of a scan's
 * components for each scan, however few bytes the scan holds: a progressive AC scan can code 32,767
 * blocks as one end-of-band run in 3 bytes, so a 73 KB file of 5,000 such scans over a 1024×1024
 * picture keeps jpeg-js busy for 0.8 s, and an 8 MiB upload (600,000 scans) for minutes: the
 * progressive-JPEG exploit of libjpeg-turbo's report "Two Issues with the JPEG Standard", which it
 * guards against the same way (`djpeg -maxscans`, `TJPARAM_SCANLIMIT`; its fuzz targets set 500). Real files are far
 * below it: libjpeg's standard progressive script writes 10 scans for colour and 6 for gray, a
 * baseline file 1 to 3. At 500, such scans add about 0.1 s to a 1024×1024 picture's decode
 * (0.15 ms a scan, measured with shared/picture/craft.ts's file on a loaded 2-core machine).
 */
export const MAX_JPEG_SCANS = 500;

/** Marker segments skipped by length (their content is jpeg-js's to check): DHT, DAC, DQT, DNL, DRI, APPn, COM. */
const skipped = (m: number) => m === 0xc4 || m === 0xcc || m === 0xdb || m === 0xdc || m === 0xdd || (m >= 0xe0 && m <= 0xef) || m === 0xfe;

/** The frame header (SOF0/1/2) at `[start, end)`, checked. */
function parseFrame(b: Uint8Array, marker: number, start: number, end: number): Omit<Frame, "orientation"> {
  const length = end - start;
  if (length < 6) corrupt(`the frame header (SOF) is ${length} bytes`);
  const precision = b[start]!;
  const height = u16(b, start + 1);
  const width = u16(b, start + 3);
  const components = b[start + 5]!;
  if (length !== 6 + 3 * components) corrupt(`the frame header (SOF) is ${length} bytes, not the ${6 + 3 * components} that ${components} component(s) take`);
  if (precision !== 8) unsupported(`a ${precision}-bit JPEG, which is not supported (only 8 bits per sample)`);
  if (width === 0) corrupt("the frame header (SOF) says the width is 0");
  if (height === 0) unsupported("a JPEG whose height is given by a DNL marker after the image data (its frame header says 0), which is not supported; re-save it");
  if (components === 4) unsupported("a CMYK JPEG; convert it to RGB");
  if (components !== 1 && components !== 3) unsupported(`a JPEG with ${components} colour components, which is not supported (only gray and colour: 1 or 3)`);
  const sampling: { h: number; v: number }[] = [];
  const ids = new Set<number>();
  for (let c = 0; c < components; c++) {
    const at = start + 6 + 3 * c;
    const h = b[at + 1]! >> 4;
    const v = b[at + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) corrupt(`component ${c}: sampling factors ${h}×${v} (each must be 1–4)`);
    if (ids.has(b[at]!)) corrupt(`component id ${b[at]} appears twice in the frame header`);
    ids.add(b[at]!);
    sampling.push({ h, v });
  }
  // The one size rule (shared/png/limits.ts), as for PNG: one 8-bit sample per component.
  const tooLarge = imageSizeProblem({ width, height, channels: components, bitsPerSample: 8 });
  if (tooLarge) throw new PictureError("too_large", `too large: ${tooLarge}`);
  return { width, height, components, progressive: marker === 0xc2, sampling };
}

/**
 * The EXIF Orientation (tag 0x0112 of IFD0) of the TIFF block at `[tiff, end)`, either byte order;
 * 1 when the block is malformed or has none: browsers show such files unrotated too, and a bad
 * EXIF block does not make the picture unreadable.
 */
function exifOrientation(b: Uint8Array, tiff: number, end: number): number {
  if (tiff + 8 > end) return 1;
  const little = b[tiff] === 0x49 && b[tiff + 1] === 0x49; // "II"
  if (!little && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return 1; // "MM"
  const r16 = (at: number) => (little ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!);
  const r32 = (at: number) => (little ? (r16(at) | (r16(at + 2) << 16)) >>> 0 : ((r16(at) << 16) | r16(at + 2)) >>> 0);
  if (r16(tiff + 2) !== 42) return 1;
  const ifd = tiff + r32(tiff + 4);
  if (ifd < tiff + 8 || ifd + 2 > end) return 1;
  const entries = r16(ifd);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + 12 * i;
    if (e + 12 > end) return 1;
    if (r16(e) !== 0x0112) continue;
    // SHORT (3) is what the EXIF specification says; a LONG (4) is read too, as libexif does.
    const type = r16(e + 2);
    const value = type === 3 ? r16(e + 8) : type === 4 ? r32(e + 8) : 0;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/** The whole marker structure, SOI to EOI, checked; the frame header and EXIF orientation read. */
function scanJpeg(b: Uint8Array): Frame {
  if (b.length < 2 || b[0] !== 0xff || b[1] !== 0xd8) throw new PictureError("not_an_image", "not a JPEG (it does not start with the SOI marker FF D8)");
  const n = b.length;
  let frame: Omit<Frame, "orientation"> | undefined;
  let orientation: number | undefined;
  let scans = 0;
  let at = 2;
  for (;;) {
    const where = frame ? (scans ? "before the end-of-image marker (EOI)" : "before the image data (SOS)") : "before the frame header (SOF)";
    if (at >= n) corrupt(`the file is cut off ${where}`);
    if (b[at] !== 0xff) corrupt(`expected a marker at byte ${at}, found 0x${b[at]!.toString(16).padStart(2, "0")}`);
    while (at < n && b[at] === 0xff) at++; // fill bytes may precede a marker
    if (at >= n) corrupt(`the file is cut off ${where}`);
    const marker = b[at++]!;
    if (marker === 0xd9) {
      // EOI. Bytes after it are ignored, as jpeg-js and browsers do (some cameras append data).
      if (!frame) corrupt("no frame header (SOF) before the end-of-image marker");
      if (!scans) corrupt("no image data (SOS) before the end-of-image marker");
      break;
    }
    if (marker === 0xd8 || marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) corrupt(`marker ${hex(marker)} at byte ${at - 2} is out of place`);
    if (at + 2 > n) corrupt(`the file is cut off inside the ${hex(marker)} marker segment`);
    const length = u16(b, at);
    if (length < 2) corrupt(`marker segment ${hex(marker)} at byte ${at - 2} has length ${length}`);
    const start = at + 2;
    const end = at + length;
    if (end > n) corrupt(`the file is cut off inside the ${hex(marker)} marker segment`);
    at = end;
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame) corrupt("a second frame header (SOF)");
      frame = parseFrame(b, marker, start, end);
    } else if (UNSUPPORTED_SOF.has(marker)) {
      unsupported(UNSUPPORTED_SOF.get(marker)!);
    } else if (marker === 0xda) {
      if (!frame) corrupt("image data (SOS) before the frame header (SOF)");
      // Counted before the scan's data is walked, so a file is refused at its first scan over the limit.
      if (scans === MAX_JPEG_SCANS) unsupported(`a JPEG with more than ${MAX_JPEG_SCANS} scans, which is not read (each scan costs a pass over the whole picture; progressive files have about 10); re-save it`);
      const count = b[start]!;
      if (end - start !== 4 + 2 * count || count < 1 || count > 4) corrupt(`a scan header (SOS) of ${end - start} bytes for ${count} component(s)`);
      // The entropy-coded data has no length: it ends at the first 0xFF not followed by 0x00
      // (a stuffed byte), 0xFF (fill) or RST0–7. indexOf keeps the scan native-speed.
      for (;;) {
        at = b.indexOf(0xff, at);
        if (at < 0 || at + 1 >= n) corrupt("the file is cut off inside the image data");
        const next = b[at + 1]!;
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
        else if (next === 0xff) at += 1;
        else break;
      }
      scans++;
    } else if (marker === 0xe1) {
      // APP1 "Exif\0\0" + a TIFF block; the first one counts (an XMP APP1 is skipped).
      if (orientation === undefined && end - start >= 6 && String.fromCharCode(...b.subarray(start, start + 6)) === "Exif\0\0") {
        orientation = exifOrientation(b, start + 6, end);
      }
    } else if (marker === 0xde || marker === 0xdf) {
      unsupported(`a hierarchical JPEG (DHP/EXP markers), ${REENCODE}`);
    } else if (marker === 0xf7) {
      unsupported(`a JPEG-LS file, ${REENCODE}`);
    } else if (!skipped(marker)) {
      corrupt(`unknown marker ${hex(marker)} at byte ${start - 4}`);
    }
  }
  return { ...frame!, orientation: orientation ?? 1 };
}

/**
 * The header of a JPEG, from its markers alone: size, components, progressive or not, EXIF
 * orientation. Walks the whole marker structure (SOI to EOI) without decoding, so a truncated
 * file is refused here too; the cost is linear in the file's bytes, independent of its pixels.
 * Throws a PictureError: `not_an_image` (no SOI), `corrupt` (cut off, malformed segments, zero
 * width), `unsupported` (CMYK/YCCK, 2 components, arithmetic, lossless or hierarchical coding,
 * 12-bit samples, height given by DNL, more than `MAX_JPEG_SCANS` scans), `too_large` (over `IMAGE_LIMITS`).
 *
 * @example
 * const { width, height, orientation } = readJpegHeader(bytes);
 * const upright = orientation >= 5 ? { width: height, height: width } : { width, height };
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  const { width, height, components, progressive, orientation } = scanJpeg(bytes);
  return { width, height, components, progressive, orientation };
}

/**
 * What jpeg-js may allocate for this frame (it counts its own allocations against
 * `maxMemoryUsageInMB`): a 256-byte block per 8×8 DCT block of each component (rounded up to whole
 * MCUs), its 8-bit sample lines, the interleaved samples, the RGBA output, and the tables (under
 * 4× their bytes in the file). A file can then make the decoder allocate no more than an honest
 * image of its header size needs.
 */
function decodeBudgetBytes(f: Frame, fileBytes: number): number {
  const maxH = Math.max(...f.sampling.map((s) => s.h));
  const maxV = Math.max(...f.sampling.map((s) => s.v));
  const mcusPerLine = Math.ceil(f.width / 8 / maxH);
  const mcusPerColumn = Math.ceil(f.height / 8 / maxV);
  const blocks = f.sampling.reduce((sum, s) => sum + mcusPerLine * s.h * mcusPerColumn * s.v, 0);
  return blocks * (256 + 64) + f.width * f.height * (f.components + 4) + 4 * fileBytes + (1 << 20);
}

/**
 * Turn stored RGBA upright by its EXIF orientation (1–8), as browsers do (CSS image-orientation:
 * from-image, the default): 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
 * 7 transverse, 8 rotate 90° anticlockwise. 5–8 swap width and height.
 *
 * @example
 * const upright = orientRgba(rgba, 640, 480, 6); // → 480×640
 */
export function orientRgba(rgba: Uint8Array, width: number, height: number, orientation: number): { width: number; height: number; rgba: Uint8Array } {
  if (orientation === 1 || !Number.isInteger(orientation) || orientation < 1 || orientation > 8) return { width, height, rgba };
  if (rgba.length !== width * height * 4) throw new RangeError(`orientRgba: expected ${width * height * 4} bytes for ${width}×${height} RGBA, got ${rgba.length}`);
  const swap = orientation >= 5;
  const ow = swap ? height : width;
  const oh = swap ? width : height;
  // Whole pixels at a time; a view needs 4-byte alignment, so an unaligned input is copied first.
  const src = new Uint32Array(rgba.byteOffset % 4 === 0 ? rgba.buffer : rgba.slice().buffer, rgba.byteOffset % 4 === 0 ? rgba.byteOffset : 0, width * height);
  const out = new Uint8Array(ow * oh * 4);
  const dst = new Uint32Array(out.buffer);
  // Stored pixel (sx, sy) of upright pixel (x, y), per the EXIF specification's "0th row / 0th column" table.
  const source: (x: number, y: number) => number = [
    (x: number, y: number) => y * width + x,
    (x: number, y: number) => y * width + (width - 1 - x),
    (x: number, y: number) => (height - 1 - y) * width + (width - 1 - x),
    (x: number, y: number) => (height - 1 - y) * width + x,
    (x: number, y: number) => x * width + y,
    (x: number, y: number) => (height - 1 - x) * width + y,
    (x: number, y: number) => (height - 1 - x) * width + (width - 1 - y),
    (x: number, y: number) => x * width + (width - 1 - y),
  ][orientation - 1]!;
  for (let y = 0, i = 0; y < oh; y++) for (let x = 0; x < ow; x++, i++) dst[i] = src[source(x, y)]!;
  return { width: ow, height: oh, rgba: out };
}

/**
 * Decode a JPEG (baseline or progressive, gray or colour, 8-bit) to upright RGBA8: the header is
 * checked first (readJpegHeader's refusals, before any pixel is decoded), then jpeg-js decodes
 * under a memory bound sized for that header, and the EXIF orientation is applied. A stream that
 * jpeg-js cannot decode is a `corrupt` PictureError ("a truncated or corrupt JPEG: …").
 *
 * @example
 * const { width, height, rgba } = decodeJpeg(new Uint8Array(await request.arrayBuffer()));
 */
export function decodeJpeg(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const frame = scanJpeg(bytes);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decodeJpegJs(bytes, {
      // Typed arrays only: with useTArray false, jpeg-js allocates a Node Buffer.
      useTArray: true,
      formatAsRGBA: true,
      // Tolerant decoding skips blocks the file lacks; a picture with missing blocks is corrupt.
      tolerantDecoding: false,
      maxResolutionInMP: IMAGE_LIMITS.maxPixels / 1e6,
      maxMemoryUsageInMB: decodeBudgetBytes(frame, bytes.length) / (1 << 20),
    });
  } catch (e) {
    throw new PictureError("corrupt", `a truncated or corrupt JPEG: the decoder says "${e instanceof Error ? e.message : String(e)}"`);
  }
  if (decoded.width !== frame.width || decoded.height !== frame.height || decoded.data.length !== frame.width * frame.height * 4) {
    corrupt(`decoded to ${decoded.width}×${decoded.height}, but the header says ${frame.width}×${frame.height}`);
  }
  return orientRgba(decoded.data, frame.width, frame.height, frame.orientation);
}
