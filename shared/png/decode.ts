/**
 * A bounded PNG decoder, the same in Node, workerd and browsers (pure JS; fflate inflates).
 *
 * Why not fast-png's decoder, which the project used before: it sizes its buffers from the header
 * and inflates every IDAT and iCCP chunk in full before anything can check them, so a 70-byte file
 * claiming 2147483647×1 pixels, or a 1 MiB deflate stream that inflates to 1 GB, takes the isolate
 * down. Here the order is the other way round:
 *
 * 1. The chunk structure is checked first: the signature, every chunk's length and CRC, IHDR
 *    first (and its size against `IMAGE_LIMITS` at once), PLTE/tRNS/IDAT in order, IEND complete
 *    and last. A bad CRC, a file cut off inside any chunk (IEND included), bytes after IEND or an
 *    unknown critical chunk are refused: a corrupt upload is not guessed at.
 * 2. IDAT is inflated in small slices and unfiltered row by row straight into the output; the
 *    inflated bytes may never exceed what the header's size holds, so the work is bounded by the
 *    (already checked) image size whatever the compressed stream claims.
 * 3. Ancillary chunks (text, ICC profiles, …) are skipped, never decompressed.
 *
 * Every colour type and bit depth of the PNG specification is read (1-, 2- and 4-bit gray and
 * palette samples are unpacked), with tRNS and Adam7 interlacing.
 */
import { Unzlib } from "fflate";
import { checkImageSize } from "./limits.ts";

/** A file that is not a PNG this decoder trusts; the message says why. */
export class PngError extends Error {
  /** The problem alone, without the "not a valid PNG: " prefix (for callers that word it their own way). */
  readonly detail: string;
  constructor(message: string) {
    super(`not a valid PNG: ${message}`);
    this.name = "PngError";
    this.detail = message;
  }
}

const fail = (message: string): never => {
  throw new PngError(message);
};

export const PNG_SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG chunks use) of `bytes[start, end)`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Channels and allowed bit depths of each colour type (PNG specification, table 11.1). */
const COLOR_TYPES: Record<number, { channels: number; depths: readonly number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample. */
  depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  channels: number;
  interlaced: boolean;
}

/** What the chunk structure says, nothing inflated: the header, and whether the file is an animation. */
export interface PngInfo extends PngHeader {
  /**
   * The frame count of an animated PNG (APNG): the first u32 of an `acTL` chunk before the first
   * IDAT. Undefined for a still PNG. decodePng reads only the default image (IDAT) and ignores
   * the animation, so callers that show or process "the picture" must refuse animated files:
   * what a browser shows is the animation, not necessarily the IDAT image.
   */
  animationFrames?: number;
}

interface Structure {
  header: PngHeader;
  /** acTL's frame count, when an acTL came before the first IDAT (APNG). */
  animationFrames?: number;
  /** Data ranges of the IDAT chunks, in order. */
  idat: [number, number][];
  /** RGB triples. */
  palette?: Uint8Array;
  /** The tRNS chunk's data. */
  transparency?: Uint8Array;
}

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function parseHeader(b: Uint8Array, at: number): PngHeader {
  const width = u32(b, at);
  const height = u32(b, at + 4);
  const depth = b[at + 8]!;
  const colorType = b[at + 9]!;
  const [compression, filter, interlace] = [b[at + 10]!, b[at + 11]!, b[at + 12]!];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`IHDR: ${width}×${height} is not a valid size`);
  const type = COLOR_TYPES[colorType] ?? fail(`IHDR: unknown colour type ${colorType}`);
  if (!type.depths.includes(depth)) fail(`IHDR: bit depth ${depth} is not allowed for colour type ${colorType} (allowed: ${type.depths.join(", ")})`);
  if (compression !== 0) fail(`IHDR: unknown compression method ${compression}`);
  if (filter !== 0) fail(`IHDR: unknown filter method ${filter}`);
  if (interlace > 1) fail(`IHDR: unknown interlace method ${interlace}`);
  return { width, height, depth, colorType, channels: type.channels, interlaced: interlace === 1 };
}

/**
 * The signature and IHDR of a PNG, size-checked against `IMAGE_LIMITS` (an ImageTooLargeError
 * names the limit). Reads 33 bytes: nothing is decoded.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 8 || PNG_SIGNATURE.some((v, i) => bytes[i] !== v)) fail("no PNG signature");
  if (bytes.length < 8 + 8 + 13 + 4) fail("cut off inside the IHDR chunk");
  if (u32(bytes, 8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") fail("the first chunk must be a 13-byte IHDR");
  if (crc32(bytes, 12, 29) !== u32(bytes, 29)) fail("IHDR: CRC mismatch (the file is corrupt)");
  const header = parseHeader(bytes, 16);
  // Checked before any other byte is looked at: the header alone decides whether decoding is affordable.
  checkImageSize({ width: header.width, height: header.height, channels: header.channels, bitsPerSample: header.depth });
  return header;
}

/** Every chunk checked (length, CRC, order), IEND complete and last; nothing inflated yet. */
function readStructure(bytes: Uint8Array): Structure {
  const header = readPngHeader(bytes);
  const idat: [number, number][] = [];
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  let animationFrames: number | undefined;
  let idatEnded = false;
  let at = 8 + 25;
  for (;;) {
    if (at + 8 > bytes.length) fail(at === bytes.length ? "no IEND chunk (the file is cut off)" : "cut off inside a chunk header");
    const length = u32(bytes, at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`chunk at byte ${at} has an invalid type`);
    if (length > 0x7fffffff || at + 12 + length > bytes.length) fail(`cut off inside the ${type} chunk`);
    const start = at + 8;
    const end = start + length;
    if (crc32(bytes, at + 4, end) !== u32(bytes, end)) fail(`${type}: CRC mismatch (the file is corrupt)`);
    at = end + 4;
    if (type !== "IDAT" && idat.length > 0) idatEnded = true;
    switch (type) {
      case "IHDR":
        fail("a second IHDR chunk");
        break;
      case "PLTE":
        if (palette || idat.length) fail("PLTE must come once, before IDAT");
        if (length % 3 !== 0 || length === 0 || length > 768) fail(`PLTE: ${length} bytes is not 1–256 RGB entries`);
        if (header.colorType === 0 || header.colorType === 4) fail(`PLTE is not allowed for colour type ${header.colorType}`);
        palette = bytes.subarray(start, end);
        break;
      case "tRNS": {
        if (transparency || idat.length) fail("tRNS must come once, before IDAT");
        const ok = header.colorType === 0 ? length === 2 : header.colorType === 2 ? length === 6 : header.colorType === 3 ? palette !== undefined && length <= palette.length / 3 : false;
        if (!ok) fail(`tRNS: ${length} bytes do not fit colour type ${header.colorType}${header.colorType === 3 ? " (it must follow PLTE, one entry per palette colour at most)" : ""}`);
        transparency = bytes.subarray(start, end);
        break;
      }
      case "IDAT":
        if (idatEnded) fail("IDAT chunks must be consecutive");
        idat.push([start, end]);
        break;
      case "IEND":
        if (length !== 0) fail("IEND must be empty");
        if (at !== bytes.length) fail(`${bytes.length - at} byte(s) after IEND`);
        if (idat.length === 0) fail("no IDAT chunk");
        if (header.colorType === 3 && !palette) fail("a palette image without PLTE");
        return { header, idat, palette, transparency, animationFrames };
      case "acTL":
        // APNG's animation control (num_frames, num_plays). The APNG specification puts it before
        // the first IDAT; one after it (or too short to hold num_frames) is not part of a valid
        // APNG, and viewers show the still image. Still skipped, as any ancillary chunk, for decoding.
        if (idat.length === 0 && animationFrames === undefined && length >= 4) animationFrames = u32(bytes, start);
        break;
      default:
        // Bit 5 of the first letter: 0 = critical. An unknown critical chunk changes how the image
        // reads, so it cannot be skipped; ancillary ones (text, ICC profiles, …) are never decoded.
        if ((type.charCodeAt(0) & 0x20) === 0) fail(`unknown critical chunk ${type}`);
    }
  }
}

/**
 * The header of a PNG and whether it is animated, from its chunk structure alone: the signature,
 * IHDR (size-checked against `IMAGE_LIMITS` first), then every chunk's length, CRC and order up to
 * a complete IEND, as decodePng checks them, but nothing is inflated. Its cost is linear in the
 * file's bytes (one CRC pass) and independent of the pixel count, so a truncated or corrupt
 * upload is refused before any decoding. Throws what decodePng throws for the same problems.
 *
 * @example
 * const info = readPngInfo(bytes);
 * if (info.animationFrames !== undefined) throw new Error(`an animated PNG (${info.animationFrames} frames)`);
 */
export function readPngInfo(bytes: Uint8Array): PngInfo {
  const { header, animationFrames } = readStructure(bytes);
  return animationFrames === undefined ? { ...header } : { ...header, animationFrames };
}

/** Adam7 passes: first column and row, column and row steps. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** Bytes per scanline, the filter byte included. */
  rowBytes: number;
}

/** Compressed IDAT data is fed to the inflater this many bytes at a time, which bounds one step's output (deflate expands at most ~1032×). */
const INFLATE_SLICE = 4096;

/** Decoded pixels: luma always, RGBA when asked for. */
interface Decoded {
  width: number;
  height: number;
  gray: Uint8Array;
  rgba?: Uint8Array;
}

function decode(bytes: Uint8Array, wantRgba: boolean): Decoded {
  const { header, idat, palette, transparency } = readStructure(bytes);
  const { width, height, depth, channels } = header;
  const bitsPerPixel = channels * depth;
  const filterStep = Math.max(1, bitsPerPixel >> 3);
  const geometry = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const passes: Pass[] = geometry
    .map(([x0, y0, dx, dy]) => {
      const w = Math.ceil((width - x0) / dx);
      const h = Math.ceil((height - y0) / dy);
      return { x0, y0, dx, dy, width: Math.max(0, w), height: Math.max(0, h), rowBytes: 1 + Math.ceil((Math.max(0, w) * bitsPerPixel) / 8) };
    })
    .filter((p) => p.width > 0 && p.height > 0);
  // Bounded by readPngHeader's size check: the samples plus one filter byte per scanline.
  const expected = passes.reduce((n, p) => n + p.height * p.rowBytes, 0);

  const gray = new Uint8Array(width * height);
  const rgba = wantRgba ? new Uint8Array(width * height * 4) : undefined;
  const writeRow = rowWriter(header, gray, rgba, palette, transparency);

  let pass = 0;
  let y = 0;
  let current = passes[0]!;
  let row = new Uint8Array(current.rowBytes);
  let previous = new Uint8Array(current.rowBytes);
  let filled = 0;
  let produced = 0;
  let ended = false;
  const inflater = new Unzlib((data, final) => {
    produced += data.length;
    if (produced > expected) fail(`the image data inflates to more than the ${expected} bytes that ${width}×${height} pixels hold`);
    for (let at = 0; at < data.length; ) {
      const n = Math.min(current.rowBytes - filled, data.length - at);
      row.set(data.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled < current.rowBytes) break;
      unfilter(row, previous, filterStep, y);
      writeRow(row, current.width, (current.y0 + y * current.dy) * width + current.x0, current.dx);
      [row, previous] = [previous, row];
      filled = 0;
      if (++y === current.height && ++pass < passes.length) {
        y = 0;
        current = passes[pass]!;
        row = new Uint8Array(current.rowBytes);
        previous = new Uint8Array(current.rowBytes);
      }
    }
    if (final) ended = true;
  });
  try {
    for (const [start, end] of idat) {
      for (let at = start; at < end; at += INFLATE_SLICE) inflater.push(bytes.subarray(at, Math.min(end, at + INFLATE_SLICE)), false);
    }
    inflater.push(new Uint8Array(0), true);
  } catch (e) {
    if (e instanceof PngError) throw e;
    fail(`the image data is not a valid zlib stream (${(e as Error).message})`);
  }
  if (produced < expected || !ended) fail(`the image data is cut off: ${produced} of ${expected} bytes`);
  return { width, height, gray, rgba };
}

/** Reverse one scanline's filter in place (`row[0]` is the filter type; `previous` the unfiltered row above, zeros at a pass's top). */
function unfilter(row: Uint8Array, previous: Uint8Array, step: number, y: number): void {
  const n = row.length;
  switch (row[0]) {
    case 0:
      return;
    case 1:
      for (let i = 1 + step; i < n; i++) row[i] = row[i]! + row[i - step]!;
      return;
    case 2:
      for (let i = 1; i < n; i++) row[i] = row[i]! + previous[i]!;
      return;
    case 3:
      for (let i = 1; i < n; i++) row[i] = row[i]! + (((i > step ? row[i - step]! : 0) + previous[i]!) >> 1);
      return;
    case 4:
      for (let i = 1; i < n; i++) {
        const a = i > step ? row[i - step]! : 0;
        const b = previous[i]!;
        const c = i > step ? previous[i - step]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        row[i] = row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return;
    default:
      fail(`scanline ${y}: unknown filter type ${row[0]}`);
  }
}

/** Luma of 8-bit RGBA, alpha-premultiplied onto black: what masks read. */
const luma = (r: number, g: number, b: number, a: number) => Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * a) / 255);

/**
 * Writes the `n` pixels of an unfiltered scanline to `gray` (and `rgba`), pixel `x` at index
 * `base + x * step`; chosen once per image for its colour type and depth.
 */
type RowWriter = (row: Uint8Array, n: number, base: number, step: number) => void;

function rowWriter(h: PngHeader, gray: Uint8Array, rgba: Uint8Array | undefined, palette?: Uint8Array, transparency?: Uint8Array): RowWriter {
  const { depth, channels } = h;
  // Raw sample `s` of a scanline (index in samples, after the filter byte), at full depth.
  const sample =
    depth === 8
      ? (row: Uint8Array, s: number) => row[1 + s]!
      : depth === 16
        ? (row: Uint8Array, s: number) => (row[1 + 2 * s]! << 8) | row[2 + 2 * s]!
        : (row: Uint8Array, s: number) => (row[1 + ((s * depth) >> 3)]! >> (8 - depth - ((s * depth) & 7))) & ((1 << depth) - 1);
  // Full-depth sample → 8 bits, rounded (a table up to 8 bits).
  const table = depth <= 8 ? Uint8Array.from({ length: 1 << depth }, (_, v) => Math.round((v * 255) / ((1 << depth) - 1))) : undefined;
  const to8 = table ? (v: number) => table[v]! : (v: number) => Math.round(v / 257);
  const write = (i: number, r: number, g: number, b: number, a: number) => {
    gray[i] = luma(r, g, b, a);
    if (rgba) {
      rgba[i * 4] = r;
      rgba[i * 4 + 1] = g;
      rgba[i * 4 + 2] = b;
      rgba[i * 4 + 3] = a;
    }
  };
  const key = (k: number) => (transparency![2 * k]! << 8) | transparency![2 * k + 1]!;
  switch (h.colorType) {
    case 0: {
      const transparent = transparency ? key(0) : -1;
      if (!rgba && transparent < 0) {
        // The common mask: gray without a colour key; its luma is the gray value itself.
        return (row, n, base, step) => {
          for (let x = 0; x < n; x++) gray[base + x * step] = to8(sample(row, x));
        };
      }
      return (row, n, base, step) => {
        for (let x = 0; x < n; x++) {
          const v = sample(row, x);
          const g = to8(v);
          write(base + x * step, g, g, g, v === transparent ? 0 : 255);
        }
      };
    }
    case 2: {
      const [tr, tg, tb] = transparency ? [key(0), key(1), key(2)] : [-1, -1, -1];
      return (row, n, base, step) => {
        for (let x = 0; x < n; x++) {
          const r = sample(row, 3 * x);
          const g = sample(row, 3 * x + 1);
          const b = sample(row, 3 * x + 2);
          write(base + x * step, to8(r), to8(g), to8(b), r === tr && g === tg && b === tb ? 0 : 255);
        }
      };
    }
    case 3: {
      const colors = palette!.length / 3;
      const alpha = Uint8Array.from({ length: colors }, (_, k) => (transparency && k < transparency.length ? transparency[k]! : 255));
      return (row, n, base, step) => {
        for (let x = 0; x < n; x++) {
          const k = sample(row, x);
          if (k >= colors) fail(`palette index ${k} is outside the ${colors}-colour palette`);
          write(base + x * step, palette![3 * k]!, palette![3 * k + 1]!, palette![3 * k + 2]!, alpha[k]!);
        }
      };
    }
    case 4:
      return (row, n, base, step) => {
        for (let x = 0; x < n; x++) {
          const g = to8(sample(row, 2 * x));
          write(base + x * step, g, g, g, to8(sample(row, 2 * x + 1)));
        }
      };
    default:
      return (row, n, base, step) => {
        for (let x = 0; x < n; x++) {
          const s = channels * x;
          write(base + x * step, to8(sample(row, s)), to8(sample(row, s + 1)), to8(sample(row, s + 2)), to8(sample(row, s + 3)));
        }
      };
  }
}

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Uint8Array;
  /** Luma (alpha-premultiplied onto black), 8 bits: what masks read. */
  gray: Uint8Array;
}

/**
 * Decode any PNG (gray, gray + alpha, RGB, RGBA, palette; 1–16 bits; interlaced or not) to RGBA8
 * and gray8. Throws a PngError on a file it does not trust and an ImageTooLargeError (from the
 * header alone) on one over `IMAGE_LIMITS`.
 */
export function decodePng(bytes: Uint8Array): DecodedImage {
  const d = decode(bytes, true);
  return { width: d.width, height: d.height, rgba: d.rgba!, gray: d.gray };
}

/** As decodePng, luma only: a quarter of the memory, for masks. */
export function decodePngGray(bytes: Uint8Array): { width: number; height: number; gray: Uint8Array } {
  return decode(bytes, false);
}
