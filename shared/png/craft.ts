/**
 * PNG files built chunk by chunk, valid or deliberately not: every colour type and bit depth,
 * each scanline filter, Adam7 interlacing, and the broken files an attacker sends (a header that
 * lies about the size, a deflate bomb, a bad CRC, a file cut off). For the decoder's tests, the
 * worker's tests and the attack run (scripts/attack/); the project's own images are written by
 * `encodePng`.
 */
import { Zlib, zlibSync } from "fflate";
import { ADAM7, PNG_SIGNATURE, crc32 } from "./decode.ts";

const be32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);

/** One chunk: length, type, data, CRC (or `crc` when given, to corrupt it). */
export function chunk(type: string, data: Uint8Array = new Uint8Array(0), crc?: number): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  out.set(be32(data.length), 0);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  out.set(be32(crc ?? crc32(out, 4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The signature followed by `chunks`. */
export function pngFromChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(8 + chunks.reduce((n, c) => n + c.length, 0));
  out.set(PNG_SIGNATURE, 0);
  let at = 8;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** IHDR data. */
export function ihdr(width: number, height: number, depth: number, colorType: number, interlaced = false): Uint8Array {
  const d = new Uint8Array(13);
  d.set(be32(width), 0);
  d.set(be32(height), 4);
  d.set([depth, colorType, 0, 0, interlaced ? 1 : 0], 8);
  return d;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface CraftOptions {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  interlaced?: boolean;
  /** Samples at full depth, row-major, `channels` per pixel (palette images: indices). */
  samples: ArrayLike<number>;
  /** RGB triples (colour type 3). */
  palette?: Uint8Array;
  /** tRNS data. */
  transparency?: Uint8Array;
  /** Filter type of each scanline (default: cycles through 0–4, so every filter is exercised). */
  filter?: (scanline: number) => 0 | 1 | 2 | 3 | 4;
  /** IDAT data split into chunks of this many bytes (default one chunk). */
  idatChunkBytes?: number;
}

/** A valid PNG of exactly these samples, written the long way (any depth, filter and interlacing). */
export function craftPng(o: CraftOptions): Uint8Array {
  const channels = CHANNELS[o.colorType]!;
  const bitsPerPixel = channels * o.depth;
  const step = Math.max(1, bitsPerPixel >> 3);
  const passes: readonly (readonly [number, number, number, number])[] = o.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rows: Uint8Array[] = [];
  let scanline = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((o.width - x0) / dx);
    const h = Math.ceil((o.height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    let previous = new Uint8Array(rowBytes);
    for (let y = 0; y < h; y++) {
      const raw = new Uint8Array(rowBytes);
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < channels; c++) {
          const v = o.samples[((y0 + y * dy) * o.width + x0 + x * dx) * channels + c]!;
          const s = x * channels + c;
          if (o.depth === 16) raw.set([v >> 8, v & 255], 2 * s);
          else if (o.depth === 8) raw[s] = v;
          else raw[(s * o.depth) >> 3]! |= v << (8 - o.depth - ((s * o.depth) & 7));
        }
      }
      const type = o.filter ? o.filter(scanline) : ((scanline % 5) as 0 | 1 | 2 | 3 | 4);
      rows.push(filterRow(raw, previous, step, type));
      previous = raw;
      scanline++;
    }
  }
  const data = zlibSync(concat(rows));
  const idat: Uint8Array[] = [];
  const size = o.idatChunkBytes ?? data.length;
  for (let at = 0; at < data.length; at += size) idat.push(chunk("IDAT", data.subarray(at, at + size)));
  return pngFromChunks([
    chunk("IHDR", ihdr(o.width, o.height, o.depth, o.colorType, o.interlaced)),
    ...(o.palette ? [chunk("PLTE", o.palette)] : []),
    ...(o.transparency ? [chunk("tRNS", o.transparency)] : []),
    ...idat,
    chunk("IEND"),
  ]);
}

function filterRow(raw: Uint8Array, previous: Uint8Array, step: number, type: 0 | 1 | 2 | 3 | 4): Uint8Array {
  const out = new Uint8Array(raw.length + 1);
  out[0] = type;
  for (let i = 0; i < raw.length; i++) {
    const a = i >= step ? raw[i - step]! : 0;
    const b = previous[i]!;
    const c = i >= step ? previous[i - step]! : 0;
    let predicted = 0;
    if (type === 1) predicted = a;
    else if (type === 2) predicted = b;
    else if (type === 3) predicted = (a + b) >> 1;
    else if (type === 4) {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[i + 1] = (raw[i]! - predicted) & 255;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A deflate bomb: a small `width`×`height` 8-bit gray header whose IDAT inflates to `inflatedBytes`
 * zeros (1 MiB of it inflates to about 1 GB). Built in 1 MiB steps, so the builder stays small too.
 */
export function deflateBombPng(width: number, height: number, inflatedBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const z = new Zlib({ level: 9 }, (d) => parts.push(d));
  const block = new Uint8Array(1 << 20);
  for (let left = inflatedBytes; left > 0; left -= block.length) z.push(block.subarray(0, Math.min(block.length, left)), false);
  z.push(new Uint8Array(0), true);
  return pngFromChunks([chunk("IHDR", ihdr(width, height, 8, 0)), chunk("IDAT", concat(parts)), chunk("IEND")]);
}

/** A PNG whose header claims `width`×`height` 8-bit gray pixels, with a token of image data (the 70-byte bomb). */
export function lyingHeaderPng(width: number, height: number, depth = 8, colorType = 0): Uint8Array {
  return pngFromChunks([chunk("IHDR", ihdr(width, height, depth, colorType)), chunk("IDAT", zlibSync(new Uint8Array(16))), chunk("IEND")]);
}
