/**
 * Weight encodings: float32, float16 (IEEE half, round-to-nearest-even), and int8 with one
 * symmetric scale per output channel (the last axis): v ≈ q · scale, q ∈ [−127, 127].
 */
import { z } from "zod";

export const WeightDtype = z.enum(["float32", "float16", "int8"]);
export type WeightDtype = z.infer<typeof WeightDtype>;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Float32 → IEEE 754 half bits (round to nearest even; overflow → ±Infinity; NaN kept). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/** IEEE 754 half bits → number. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

export function encodeFloat16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return new Uint8Array(out.buffer);
}

export function decodeFloat16(bytes: Uint8Array): Float32Array {
  const halves = new Uint16Array(bytes.slice().buffer);
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = fromHalfBits(halves[i]!);
  return out;
}

/** Per-channel symmetric int8 along the last axis (`channels` = its length). */
export function quantizeInt8(values: Float32Array, channels: number): { bytes: Uint8Array; scales: number[] } {
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    const a = Math.abs(values[i]!);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  // An all-zero channel gets scale 1 (its codes are all 0): a zero scale is never written.
  const scales = Array.from(maxAbs, (m) => (m > 0 ? Math.fround(m / 127) : 1));
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]! / scales[i % channels]!);
    q[i] = Math.min(127, Math.max(-127, v));
  }
  return { bytes: new Uint8Array(q.buffer), scales };
}

export function dequantizeInt8(bytes: Uint8Array, scales: readonly number[]): Float32Array {
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channels = scales.length;
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i]! * scales[i % channels]!;
  return out;
}

/** Bytes one value occupies in a shard. */
export const bytesPerValue: Record<WeightDtype, number> = { float32: 4, float16: 2, int8: 1 };
