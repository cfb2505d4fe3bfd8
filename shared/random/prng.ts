/**
 * Seeded randomness that gives bit-identical Float32 values in Node, workerd and every browser.
 *
 * Why hand-written: `Math.random` cannot be seeded, and `Math.log`/`Math.cos` are not required
 * by the ECMAScript spec to be correctly rounded, so engines may differ in the last bit. Everything
 * here uses only 32-bit integer maths (`Math.imul`, shifts) and the IEEE-exact operations
 * + − × ÷ and `Math.sqrt`, so the same seed yields the same numbers on any conforming engine.
 *
 * The generator is xoshiro128** (Blackman & Vigna), seeded through splitmix32 from a
 * (seed, stream) pair so that independent streams (the latent, each noise layer) never overlap.
 */

/** Seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** Stream ids: one seed drives the latent z and each per-layer noise map independently. */
export const STREAM_Z = 0;
export const noiseStream = (layer: number): number => 1 + layer;

function splitmix32(state: number): [next: number, out: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** The serializable state of a {@link Prng}: four uint32 words plus a cached spare normal. */
export interface PrngState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * A seeded xoshiro128** generator with uniform and standard-normal draws.
 *
 * @example
 * const rng = new Prng(7);          // stream 0 of seed 7
 * const z = rng.normals(512);       // Float32Array, same values everywhere
 * const saved = rng.state();        // resume later with Prng.fromState(saved)
 */
export class Prng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number, stream = 0) {
    assertSeed(seed, "seed");
    assertSeed(stream, "stream");
    // Words 0–1 come from the seed, 2–3 from the stream: splitmix32's first output is a bijection
    // of its input, so distinct (seed, stream) pairs always start from distinct states.
    let st = seed | 0;
    for (let i = 0; i < 4; i++) {
      if (i === 2) st = (stream ^ 0x632be5ab) | 0;
      const [next, out] = splitmix32(st);
      st = next;
      this.s[i] = out;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    // xoshiro128**'s first outputs depend on word 1 alone (the seed's), so streams of one seed would
    // start alike; 8 discarded outputs mix the stream's words into every output.
    for (let i = 0; i < 8; i++) this.nextU32();
  }

  static fromState(state: PrngState): Prng {
    const rng = new Prng(0);
    if (state.s.length !== 4 || state.s.some((v) => !Number.isInteger(v) || v < 0 || v > MAX_SEED)) {
      throw new Error("PRNG state: s must be four uint32 words");
    }
    rng.s.set(state.s);
    rng.spare = state.spare;
    return rng;
  }

  state(): PrngState {
    return { s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], spare: this.spare };
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Marsaglia's polar method; no trigonometry, so it is engine-independent). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * exactLn(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }

  /** `n` standard normals rounded to Float32. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const LN2 = Math.LN2; // a constant (the double nearest ln 2), not a computation: exact everywhere

/**
 * Natural log for x in (0, 1], from + − × ÷ only (deterministic across engines).
 * x = m·2^e with m in [1, 2); ln m = 2·atanh(t), t = (m−1)/(m+1) ≤ 1/3, summed to double precision.
 */
export function exactLn(x: number): number {
  if (!(x > 0)) throw new RangeError(`exactLn: x must be > 0, got ${x}`);
  let m = x;
  let e = 0;
  while (m < 1) {
    m *= 2;
    e -= 1;
  }
  while (m >= 2) {
    m /= 2;
    e += 1;
  }
  const t = (m - 1) / (m + 1);
  const t2 = t * t;
  let term = t;
  let sum = 0;
  for (let k = 1; k < 80; k += 2) {
    const add = term / k;
    if (add === 0 || sum + add === sum) break;
    sum += add;
    term *= t2;
  }
  return 2 * sum + e * LN2;
}

function assertSeed(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > MAX_SEED) {
    throw new RangeError(`${what} must be an integer in [0, ${MAX_SEED}], got ${v}`);
  }
}

/** z ~ N(0, I) for a seed: the one definition every runtime uses. */
export function latentFromSeed(seed: number, zDim: number): Float32Array {
  return new Prng(seed, STREAM_Z).normals(zDim);
}

/** The noise map of synthesis layer `layer` for a seed, H×W values. */
export function noiseFromSeed(seed: number, layer: number, size: number): Float32Array {
  return new Prng(seed, noiseStream(layer)).normals(size * size);
}
