/**
 * Fréchet Inception Distance (Heusel et al. 2017) with a feature network the user supplies in
 * TF.js format (graph or layers model.json); nothing is downloaded. Images (H×W×3 in [−1, 1]) are
 * resized bilinearly to the network's input size and passed in [−1, 1], the range of TF-Hub's
 * Inception v3; pass `inputRange: "0-1"` or `"0-255"` for networks trained otherwise.
 *
 * FID = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^½. With centred features X₁ (n₁×d) and X₂ (n₂×d),
 * each divided by √(n − 1), Σ = XᵀX. Tr (Σ₁Σ₂)^½ is the sum of square roots of the eigenvalues of a
 * symmetric matrix of the smallest size available, computed in float64 by Jacobi:
 * - d ≤ n: LᵀΣ₂L with Σ₁ = LLᵀ (Cholesky), d×d;
 * - n < d (Inception's d = 2048): the eigenvalues of Σ₁Σ₂ are the squared singular values of X₁X₂ᵀ,
 *   so it is MᵀM or MMᵀ with M = X₁X₂ᵀ, min(n₁, n₂) square.
 */
import * as tfjs from "@tensorflow/tfjs";
import { tf } from "../tf-node.ts";

export interface FeatureNet {
  predict(x: tf.Tensor4D): tf.Tensor;
  inputSize: [number, number];
  inputRange: "-1-1" | "0-1" | "0-255";
}

/**
 * Load a feature network from a folder or model.json path (file:// for tfjs-node).
 *
 * @example
 * const net = await loadFeatureNet("models/inception-v3-tfjs");
 * const fid = frechetDistance(await features(net, real), await features(net, fake));
 */
export async function loadFeatureNet(path: string, inputRange: FeatureNet["inputRange"] = "-1-1"): Promise<FeatureNet> {
  const file = path.endsWith(".json") ? path : `${path.replace(/\/$/, "")}/model.json`;
  const { readFile } = await import("node:fs/promises");
  const { io } = await import("@tensorflow/tfjs-node"); // file-system model loading
  let json: { format?: string };
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not a TF.js model.json (${(e as Error).message})`);
  }
  const graph = json.format === "graph-model";
  const model = graph ? await tfjs.loadGraphModel(io.fileSystem(file)) : await tfjs.loadLayersModel(io.fileSystem(file));
  const shape = (graph ? (model as tfjs.GraphModel).inputs[0]?.shape : (model as tfjs.LayersModel).inputs[0]?.shape) ?? [];
  const [h, w] = [shape[1], shape[2]];
  const size: [number, number] = [h && h > 0 ? h : 299, w && w > 0 ? w : 299];
  return { predict: (x) => model.predict(x) as tf.Tensor, inputSize: size, inputRange };
}

/** Feature vectors (n×d, float64) of images of side `res`, `batch` at a time. */
export async function features(net: FeatureNet, images: Float32Array[], res: number, batch = 32): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let i = 0; i < images.length; i += batch) {
    const chunk = images.slice(i, i + batch);
    const flat = new Float32Array(chunk.length * res * res * 3);
    chunk.forEach((img, j) => {
      flat.set(img, j * img.length);
    });
    const f = tf.tidy(() => {
      let x: tf.Tensor4D = tf.image.resizeBilinear(tf.tensor4d(flat, [chunk.length, res, res, 3]), net.inputSize);
      if (net.inputRange === "0-1") x = x.add(1).div(2);
      if (net.inputRange === "0-255") x = x.add(1).mul(127.5);
      const y = net.predict(x);
      return y.reshape([chunk.length, -1]);
    });
    const data = (await f.data()) as Float32Array;
    const d = f.shape[1]!;
    f.dispose();
    for (let j = 0; j < chunk.length; j++) out.push(Float64Array.from(data.subarray(j * d, (j + 1) * d)));
  }
  return out;
}

/** FID between two sets of feature vectors (each ≥ 2 vectors of one dimension). */
export function frechetDistance(a: Float64Array[], b: Float64Array[]): number {
  if (a.length < 2 || b.length < 2) throw new Error("frechetDistance: need at least 2 vectors per set");
  const d = a[0]!.length;
  if ([...a, ...b].some((v) => v.length !== d)) throw new Error("frechetDistance: vectors differ in dimension");
  const [ma, xa] = centred(a);
  const [mb, xb] = centred(b);
  let meanTerm = 0;
  for (let k = 0; k < d; k++) meanTerm += (ma[k]! - mb[k]!) ** 2;
  const trace = (x: Float64Array[]) => x.reduce((s, r) => s + r.reduce((t, v) => t + v * v, 0), 0);
  const sym = d <= Math.min(a.length, b.length) ? choleskyForm(xa, xb, d) : gramForm(xa, xb);
  const nuclear = symmetricEigenvalues(sym).reduce((s, l) => s + Math.sqrt(Math.max(0, l)), 0);
  return meanTerm + trace(xa) + trace(xb) - 2 * nuclear;
}

/** Σ = XᵀX (d×d). */
function covariance(x: Float64Array[], d: number): Float64Array[] {
  const c = Array.from({ length: d }, () => new Float64Array(d));
  for (const r of x) for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) c[i]![j]! += r[i]! * r[j]!;
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) c[j]![i] = c[i]![j]!;
  return c;
}

/** LᵀΣ₂L where Σ₁ = LLᵀ: same eigenvalues as Σ₁Σ₂, symmetric. */
function choleskyForm(xa: Float64Array[], xb: Float64Array[], d: number): Float64Array[] {
  const s1 = covariance(xa, d);
  const s2 = covariance(xb, d);
  const jitter = 1e-12 * s1.reduce((t, r, i) => t + r[i]!, 0);
  const l = Array.from({ length: d }, () => new Float64Array(d));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let v = s1[i]![j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) v -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(Math.max(v, 0)) : l[j]![j]! > 0 ? v / l[j]![j]! : 0;
    }
  }
  // T = Σ₂L, then LᵀT.
  const t = s2.map((row) => Float64Array.from({ length: d }, (_, j) => { let v = 0; for (let k = j; k < d; k++) v += row[k]! * l[k]![j]!; return v; }));
  return Array.from({ length: d }, (_, i) => Float64Array.from({ length: d }, (_, j) => { let v = 0; for (let k = i; k < d; k++) v += l[k]![i]! * t[k]![j]!; return v; }));
}

/** MMᵀ or MᵀM (the smaller) with M = XaXbᵀ: its eigenvalues are those of ΣaΣb (plus zeros). */
function gramForm(xa: Float64Array[], xb: Float64Array[]): Float64Array[] {
  const [p, q] = xa.length <= xb.length ? [xa, xb] : [xb, xa];
  const m = p.map((rp) => Float64Array.from(q, (rq) => dot(rp, rq)));
  return m.map((ri) => Float64Array.from(m, (rj) => dot(ri, rj)));
}

function centred(x: Float64Array[]): [Float64Array, Float64Array[]] {
  const d = x[0]!.length;
  const mean = new Float64Array(d);
  for (const r of x) for (let k = 0; k < d; k++) mean[k]! += r[k]! / x.length;
  const s = 1 / Math.sqrt(x.length - 1);
  return [mean, x.map((r) => Float64Array.from(r, (v, k) => (v - mean[k]!) * s))];
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** Eigenvalues of a symmetric matrix (cyclic Jacobi; the input rows are overwritten). */
export function symmetricEigenvalues(a: Float64Array[]): number[] {
  const n = a.length;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i]![i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i]![j]! ** 2;
    }
    if (off <= 1e-24 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      const rp = a[p]!;
      for (let q = p + 1; q < n; q++) {
        const apq = rp[q]!;
        if (apq === 0) continue;
        const rq = a[q]!;
        const theta = (rq[q]! - rp[p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = rp[k]!;
          const aqk = rq[k]!;
          rp[k] = c * apk - s * aqk;
          rq[k] = s * apk + c * aqk;
        }
      }
    }
  }
  return a.map((r, i) => r[i]!);
}
