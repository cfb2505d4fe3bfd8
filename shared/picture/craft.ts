/**
 * JPEG files built marker by marker, valid or deliberately not: gray baseline and progressive
 * files written by hand (jpeg-js only encodes colour, baseline), and the edits an attacker makes to
 * a real file (a frame header that lies about the size, a fourth colour component, a stream of
 * scans that each cost the decoder a pass over every block). For the picture tests, the worker's
 * tests and the attack run (scripts/attack/); the PNG counterpart is shared/png/craft.ts.
 */

/** Entropy-coded bits, MSB first, padded with 1-bits and byte-stuffed (0xFF → 0xFF 0x00). */
class BitWriter {
  private readonly bits: number[] = [];

  put(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bits.push((code >> i) & 1);
  }

  bytes(): number[] {
    while (this.bits.length % 8) this.bits.push(1);
    const out: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) {
      const byte = this.bits.slice(i, i + 8).reduce((a, bit) => (a << 1) | bit, 0);
      out.push(byte);
      if (byte === 0xff) out.push(0);
    }
    return out;
  }
}

/** A marker segment: FF, marker, 16-bit length (its own 2 bytes included), data. */
const segment = (marker: number, data: number[]) => [0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 255, ...data];

/** 16 code-length counts with `count` codes of length 4 (symbols in order get codes 0000, 0001, …). */
const fourBitCodes = (count: number) => Array.from({ length: 16 }, (_, i) => (i === 3 ? count : 0));

/**
 * DC differences of flat blocks, as both gray writers code them: quantizer 8 makes the quantized
 * DC exactly value − 128; categories 0–11 get 4-bit codes (DC table 0).
 */
function dcDifferences(w: BitWriter, blocksX: number, blocksY: number, value: (bx: number, by: number) => number, eob: boolean): void {
  let previous = 0;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const dc = value(bx, by) - 128;
      const diff = dc - previous;
      previous = dc;
      const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      w.put(category, 4);
      if (category) w.put(diff > 0 ? diff : diff + (1 << category) - 1, category);
      if (eob) w.put(0, 1); // baseline: the block's AC part, one EOB (AC table 0's only code, "0")
    }
  }
}

/** SOI, DQT (every quantizer 8), SOFn of one gray component (sampling 1×1), DC table 0 (categories 0–11). */
const grayHeader = (sof: number, blocksX: number, blocksY: number) => {
  const [w, h] = [blocksX * 8, blocksY * 8];
  return [
    0xff, 0xd8,
    ...segment(0xdb, [0, ...Array(64).fill(8)]),
    ...segment(sof, [8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]),
    ...segment(0xc4, [0x00, ...fourBitCodes(12), ...Array.from({ length: 12 }, (_, i) => i)]),
  ];
};

/**
 * A baseline (SOF0) gray JPEG of `blocksX`×`blocksY` flat 8×8 blocks, block (bx, by) at
 * `value(bx, by)`: each block is its DC coefficient alone, so it decodes exactly to that value.
 *
 * @example
 * decodeJpeg(grayJpeg(3, 2, () => 90)); // 24×16, every pixel 90
 */
export function grayJpeg(blocksX: number, blocksY: number, value: (bx: number, by: number) => number): Uint8Array {
  const data = new BitWriter();
  dcDifferences(data, blocksX, blocksY, value, true);
  return Uint8Array.from([
    ...grayHeader(0xc0, blocksX, blocksY),
    ...segment(0xc4, [0x10, 1, ...Array(15).fill(0), 0x00]), // AC table 0: one code of length 1, EOB
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...data.bytes(),
    0xff, 0xd9,
  ]);
}

/**
 * A progressive (SOF2) gray JPEG: the DC scan of `grayJpeg`'s flat blocks, then `acScans` scans
 * of the AC band 1–63, each coded as end-of-band runs of up to 32,767 blocks (a few bytes a scan).
 * It decodes to the same pixels as `grayJpeg`, but the decoder passes over every block once per
 * scan: the "many scans" denial of service (`MAX_JPEG_SCANS` in jpeg.ts), whose cost grows with
 * scans × blocks while the file grows by 13 bytes a scan.
 *
 * @example
 * progressiveGrayJpeg(128, 128, () => 128, 5000); // 1024×1024, 5,001 scans, 73 KB
 */
export function progressiveGrayJpeg(blocksX: number, blocksY: number, value: (bx: number, by: number) => number, acScans: number): Uint8Array {
  const dc = new BitWriter();
  dcDifferences(dc, blocksX, blocksY, value, false);
  // One AC scan: EOBn (symbol n << 4, n = 0–14, coded as n in 4 bits) + n bits: a run of 2ⁿ + bits blocks.
  const ac = new BitWriter();
  for (let left = blocksX * blocksY; left > 0; ) {
    const run = Math.min(left, 32767);
    const n = Math.floor(Math.log2(run));
    ac.put(n, 4);
    ac.put(run - (1 << n), n);
    left -= run;
  }
  const acScan = [...segment(0xda, [1, 1, 0x00, 1, 63, 0]), ...ac.bytes()];
  const out = [
    ...grayHeader(0xc2, blocksX, blocksY),
    ...segment(0xc4, [0x10, ...fourBitCodes(15), ...Array.from({ length: 15 }, (_, n) => n << 4)]),
    ...segment(0xda, [1, 1, 0x00, 0, 0, 0]),
    ...dc.bytes(),
  ];
  for (let s = 0; s < acScans; s++) for (const b of acScan) out.push(b);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

/**
 * Offset of the first marker segment `marker` (its 0xFF byte), walking segments from SOI.
 *
 * @example
 * const sof = segmentAt(jpeg, 0xc0);
 */
export function segmentAt(b: Uint8Array, marker: number): number {
  for (let at = 2; at + 4 <= b.length; at += 2 + ((b[at + 2]! << 8) | b[at + 3]!)) {
    if (b[at] !== 0xff) throw new Error(`no marker at ${at}`);
    if (b[at + 1] === marker) return at;
    if (b[at + 1] === 0xda) break;
  }
  throw new Error(`no ${marker.toString(16)} segment`);
}

/**
 * A copy of a JPEG with its SOF0's marker and/or size changed: a header that lies about the size
 * (a decompression bomb), or another coding process.
 *
 * @example
 * patchSof(jpeg, { width: 60000, height: 60000 }); // 600 bytes that claim 3.6 gigapixels
 */
export function patchSof(b: Uint8Array, p: { marker?: number; width?: number; height?: number }): Uint8Array {
  const out = b.slice();
  const at = segmentAt(out, 0xc0);
  if (p.marker !== undefined) out[at + 1] = p.marker;
  if (p.height !== undefined) out.set([p.height >> 8, p.height & 255], at + 5);
  if (p.width !== undefined) out.set([p.width >> 8, p.width & 255], at + 7);
  return out;
}

/**
 * A real JPEG's SOF0 rewritten with a fourth component (as a CMYK or YCCK file has), its length fixed.
 *
 * @example
 * readJpegHeader(asFourComponents(jpeg)); // throws "a CMYK JPEG; convert it to RGB"
 */
export function asFourComponents(b: Uint8Array): Uint8Array {
  const at = segmentAt(b, 0xc0);
  const length = (b[at + 2]! << 8) | b[at + 3]!;
  const sof = Array.from(b.subarray(at, at + 2 + length));
  sof[3] = length + 3;
  sof[9] = 4;
  sof.push(4, 0x11, 0);
  return Uint8Array.from([...b.subarray(0, at), ...sof, ...b.subarray(at + 2 + length)]);
}
