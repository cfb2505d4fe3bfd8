import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import * as tfjs from "@tensorflow/tfjs";
import { features, frechetDistance, loadFeatureNet, symmetricEigenvalues } from "./fid.ts";

const gaussian = (rng: Prng, n: number, mean: number[], std: number[]) =>
  Array.from({ length: n }, () => Float64Array.from(mean, (m, k) => m + std[k]! * rng.normal()));

describe("FID", () => {
  it("Jacobi finds the eigenvalues of a symmetric matrix", () => {
    // [[2,1,0],[1,2,0],[0,0,5]] has eigenvalues 1, 3, 5.
    const ev = symmetricEigenvalues([Float64Array.of(2, 1, 0), Float64Array.of(1, 2, 0), Float64Array.of(0, 0, 5)]).sort();
    expect(ev.map((v) => Number(v.toFixed(10)))).toEqual([1, 3, 5]);
  });

  it("matches the closed form for diagonal Gaussians: ‖μ₁−μ₂‖² + Σ(σ₁−σ₂)²", () => {
    const rng = new Prng(3, 0);
    const [m1, s1, m2, s2] = [[0, 1, 0, 0], [1, 2, 0.5, 1], [1, 1, 0, -1], [1, 1, 1.5, 1]];
    const exact = m1.reduce((s, v, k) => s + (v - m2[k]!) ** 2 + (s1[k]! - s2[k]!) ** 2, 0); // 2 + 1 + 1 = 4
    const fid = frechetDistance(gaussian(rng, 20000, m1, s1), gaussian(rng, 20000, m2, s2));
    expect(Math.abs(fid - exact)).toBeLessThan(0.1);
    const same = frechetDistance(gaussian(rng, 5000, m1, s1), gaussian(rng, 5000, m1, s1));
    expect(same).toBeLessThan(0.05);
    expect(same).toBeGreaterThan(-1e-9);
  });

  it("gives the same answer through the n×n form when there are fewer samples than dimensions", () => {
    const rng = new Prng(4, 0);
    const mean = Array.from({ length: 12 }, (_, k) => k / 10);
    const std = Array.from({ length: 12 }, (_, k) => 1 + k / 12);
    const [a, b] = [gaussian(rng, 14, mean, std), gaussian(rng, 16, mean.map((m) => m + 0.3), std)];
    const viaCholesky = frechetDistance(a, b); // d = 12 ≤ 14
    const viaGram = frechetDistance(a.map((r) => Float64Array.from([...r, ...r])), b.map((r) => Float64Array.from([...r, ...r]))) / 2; // d = 24 > 16
    expect(viaGram).toBeCloseTo(viaCholesky, 6);
  });

  it("runs a user's TF.js feature network on images resized to its input", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fid-"));
    try {
      const model = tfjs.sequential({ layers: [tfjs.layers.conv2d({ inputShape: [24, 24, 3], filters: 6, kernelSize: 3, strides: 2 }), tfjs.layers.globalAveragePooling2d({})] });
      await model.save((await import("@tensorflow/tfjs-node")).io.fileSystem(dir));
      const net = await loadFeatureNet(dir);
      expect(net.inputSize).toEqual([24, 24]);
      const rng = new Prng(5, 0);
      const imgs = (shift: number) => Array.from({ length: 10 }, () => Float32Array.from({ length: 16 * 16 * 3 }, () => Math.tanh(rng.normal() * 0.5 + shift)));
      const [a, b, c] = [await features(net, imgs(0), 16, 4), await features(net, imgs(0), 16, 4), await features(net, imgs(0.8), 16, 4)];
      expect(a[0]!.length).toBe(6);
      expect(frechetDistance(a, c)).toBeGreaterThan(frechetDistance(a, b));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
