/**
 * Sliced Wasserstein distance between two image sets on Laplacian-pyramid patches (Karras et al.
 * 2018, "Progressive growing of GANs", §5): no downloaded network needed.
 * Per pyramid level: 7×7×3 patches at random positions (128 per image), each descriptor channel
 * normalised by the mean/std of both sets pooled, then the SWD over 128 random unit directions
 * (mean absolute difference of sorted projections), averaged over 4 repeats (ProGAN's settings). Reported ×10³ as in
 * ProGAN; lower is closer. Images are H×W×3 in [−1, 1].
 */
import { Prng } from "../../shared/random/prng.ts";
import { tf } from "../tf-node.ts";

const PATCH = 7;
const PER_IMAGE = 128;
const DIRS = 128; // per repeat (ProGAN: 4 × 128 directions)
const REPEATS = 4;

/** 5-tap binomial blur and 2× decimation / expansion (reflect-free: edges clamped). */
function blurDown(img: Float32Array, size: number): Float32Array {
  const k = [1, 4, 6, 4, 1].map((v) => v / 16);
  const half = size / 2;
  const tmp = new Float32Array(size * half * 3);
  const clamp = (v: number) => Math.min(size - 1, Math.max(0, v));
  for (let y = 0; y < size; y++)
    for (let x = 0; x < half; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let t = -2; t <= 2; t++) s += k[t + 2]! * img[(y * size + clamp(2 * x + t)) * 3 + c]!;
        tmp[(y * half + x) * 3 + c] = s;
      }
  const out = new Float32Array(half * half * 3);
  for (let y = 0; y < half; y++)
    for (let x = 0; x < half; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let t = -2; t <= 2; t++) s += k[t + 2]! * tmp[(clamp(2 * y + t) * half + x) * 3 + c]!;
        out[(y * half + x) * 3 + c] = s;
      }
  return out;
}

function upsample(img: Float32Array, size: number): Float32Array {
  const big = size * 2;
  const out = new Float32Array(big * big * 3);
  for (let y = 0; y < big; y++)
    for (let x = 0; x < big; x++)
      for (let c = 0; c < 3; c++) {
        // bilinear from the half-resolution grid (pixel centres)
        const fy = Math.min(size - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
        const fx = Math.min(size - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
        const y0 = Math.floor(fy);
        const x0 = Math.floor(fx);
        const y1 = Math.min(size - 1, y0 + 1);
        const x1 = Math.min(size - 1, x0 + 1);
        const ay = fy - y0;
        const ax = fx - x0;
        const at = (yy: number, xx: number) => img[(yy * size + xx) * 3 + c]!;
        out[(y * big + x) * 3 + c] = (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x1)) + ay * ((1 - ax) * at(y1, x0) + ax * at(y1, x1));
      }
  return out;
}

/** Laplacian pyramid levels from full resolution down to 16 px (the last level is the Gaussian). */
export function laplacianPyramid(img: Float32Array, size: number, minSize = 16): { size: number; data: Float32Array }[] {
  const levels: { size: number; data: Float32Array }[] = [];
  let cur = img;
  let s = size;
  while (s > minSize) {
    const down = blurDown(cur, s);
    const up = upsample(down, s / 2);
    levels.push({ size: s, data: cur.map((v, i) => v - up[i]!) });
    cur = down;
    s /= 2;
  }
  levels.push({ size: s, data: cur });
  return levels;
}

function patches(level: { size: number; data: Float32Array }, rng: Prng, out: Float32Array[]): void {
  const { size, data } = level;
  for (let n = 0; n < PER_IMAGE; n++) {
    const y0 = Math.floor(rng.uniform() * (size - PATCH + 1));
    const x0 = Math.floor(rng.uniform() * (size - PATCH + 1));
    const d = new Float32Array(PATCH * PATCH * 3);
    let i = 0;
    for (let y = 0; y < PATCH; y++) for (let x = 0; x < PATCH; x++) for (let c = 0; c < 3; c++) d[i++] = data[((y0 + y) * size + x0 + x) * 3 + c]!;
    out.push(d);
  }
}

function swdOf(a: Float32Array[], b: Float32Array[], rng: Prng): number {
  const dim = a[0]!.length;
  const m = Math.min(a.length, b.length);
  return tf.tidy(() => {
    const stack = (set: Float32Array[]) => {
      const buf = new Float32Array(m * dim);
      for (let i = 0; i < m; i++) buf.set(set[Math.floor((i * set.length) / m)]!, i * dim);
      return tf.tensor2d(buf, [m, dim]);
    };
    const ta = stack(a);
    const tb = stack(b);
    // normalise each descriptor dimension by the pooled mean and std
    const { mean, variance } = tf.moments(tf.concat([ta, tb], 0), 0);
    const norm = (t: tf.Tensor2D) => tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-12))) as tf.Tensor2D;
    const na = norm(ta);
    const nb = norm(tb);
    let total = 0;
    for (let r = 0; r < REPEATS; r++) {
      const dirs = tf.tensor2d(rng.normals(dim * DIRS), [dim, DIRS]);
      const unit = tf.div(dirs, tf.norm(dirs, "euclidean", 0, true));
      // project, sort each direction's projections, compare the sorted lists
      const sorted = (t: tf.Tensor2D) => tf.topk(tf.transpose(tf.matMul(t, unit)), m).values;
      total += tf.mean(tf.abs(tf.sub(sorted(na), sorted(nb)))).dataSync()[0]!;
    }
    return (total / REPEATS) * 1e3;
  });
}

/** SWD ×10³ per pyramid level (largest first) and their mean. */
export function slicedWasserstein(real: Float32Array[], fake: Float32Array[], size: number, seed = 0): { levels: { size: number; swd: number }[]; mean: number } {
  const rng = new Prng(seed, 4242);
  const descs = (imgs: Float32Array[]) => {
    const per: Float32Array[][] = [];
    for (const img of imgs) {
      laplacianPyramid(img, size).forEach((lvl, li) => {
        per[li] ??= [];
        patches(lvl, rng, per[li]!);
      });
    }
    return per;
  };
  const ra = descs(real);
  const fa = descs(fake);
  const sizes = laplacianPyramid(real[0]!, size).map((l) => l.size);
  const levels = sizes.map((s, i) => ({ size: s, swd: swdOf(ra[i]!, fa[i]!, rng) }));
  return { levels, mean: levels.reduce((a, l) => a + l.swd, 0) / levels.length };
}
