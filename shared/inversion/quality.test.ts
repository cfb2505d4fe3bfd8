import { describe, expect, it } from "vitest";
import { Prng } from "../random/prng.ts";
import { psnr, ssim, ssimWindow } from "./quality.ts";

// Runs in Node and inside workerd: the figures are plain JS.

const random = (n: number, seed: number) => {
  const r = new Prng(seed, 3);
  return Float32Array.from({ length: n }, () => r.uniform() * 2 - 1);
};

/** SSIM written out directly: for every window position, the 2-D Gaussian-weighted moments (no separability). */
function ssimReference(a: Float32Array, b: Float32Array, w: number, h: number, range = 2): number {
  const g = ssimWindow(Math.min(w, h));
  const k = g.length;
  const [c1, c2] = [(0.01 * range) ** 2, (0.03 * range) ** 2];
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let n = 0;
    for (let y0 = 0; y0 + k <= h; y0++) {
      for (let x0 = 0; x0 + k <= w; x0++) {
        let [mx, my, sxx, syy, sxy] = [0, 0, 0, 0, 0];
        for (let v = 0; v < k; v++) {
          for (let u = 0; u < k; u++) {
            const wt = g[v]! * g[u]!;
            const i = ((y0 + v) * w + x0 + u) * 3 + c;
            mx += wt * a[i]!;
            my += wt * b[i]!;
            sxx += wt * a[i]! ** 2;
            syy += wt * b[i]! ** 2;
            sxy += wt * a[i]! * b[i]!;
          }
        }
        const [vx, vy, vxy] = [sxx - mx * mx, syy - my * my, sxy - mx * my];
        sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        n++;
      }
    }
    total += sum / n;
  }
  return total / 3;
}

describe("PSNR", () => {
  it("is 10·log10(range² / MSE), Infinity for equal images", () => {
    const a = new Float32Array(12).fill(0.5);
    const b = a.map((v, i) => v + (i % 2 ? 0.1 : -0.1));
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(4 / 0.01), 4); // MSE 0.01 → 26.02 dB
    expect(psnr(a, b, 255)).toBeCloseTo(10 * Math.log10(255 ** 2 / 0.01), 4);
    expect(psnr(a, a)).toBe(Number.POSITIVE_INFINITY);
    expect(() => psnr(a, new Float32Array(3))).toThrow(/lengths differ/);
  });
});

describe("SSIM", () => {
  it("is 1 for equal images and (2ab + C1)/(a² + b² + C1) for two flat images", () => {
    const x = random(20 * 20 * 3, 1);
    expect(ssim(x, x, 20, 20)).toBeCloseTo(1, 12);
    const [a, b] = [0.3, -0.2];
    const c1 = (0.01 * 2) ** 2;
    expect(ssim(new Float32Array(16 * 16 * 3).fill(a), new Float32Array(16 * 16 * 3).fill(b), 16, 16)).toBeCloseTo((2 * a * b + c1) / (a * a + b * b + c1), 6);
  });

  it("equals the windowed moments written out directly, on random images, square and not", () => {
    for (const [w, h] of [[16, 16], [13, 24], [9, 9]] as const) {
      const x = random(w * h * 3, w);
      const y = x.map((v, i) => 0.7 * v + 0.3 * Math.sin(i));
      expect(ssim(x, y, w, h)).toBeCloseTo(ssimReference(x, y, w, h), 10);
    }
  });

  it("falls as noise grows, and is near 0 for an unrelated image", () => {
    const x = random(32 * 32 * 3, 4);
    const n = random(x.length, 9);
    const noisy = (s: number) => x.map((v, i) => v + s * n[i]!);
    const s1 = ssim(x, noisy(0.05), 32, 32);
    const s2 = ssim(x, noisy(0.3), 32, 32);
    expect(s1).toBeGreaterThan(s2);
    expect(s1).toBeLessThan(1);
    expect(Math.abs(ssim(x, random(x.length, 10), 32, 32))).toBeLessThan(0.1);
    expect(() => ssim(x, x, 16, 16)).toThrow(/expected 16×16×3 = 768 values each/);
  });
});
