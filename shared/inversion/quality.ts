/**
 * Reconstruction quality of an image against its target: PSNR and SSIM, on H×W×3 float images in
 * [−1, 1] (the generator's range, peak-to-peak 2), in plain JS so every runtime gives the same
 * figures. For 8-bit images map them to [−1, 1] first (v / 127.5 − 1): the figures are the same as
 * on [0, 255] with peak 255.
 */

/** Peak-to-peak range of the project's float images. */
export const IMAGE_RANGE = 2;

/**
 * Peak signal-to-noise ratio in dB: 10·log10(range² / MSE) over every value; Infinity when equal.
 *
 * @example
 * psnr(target.data, reconstruction.data); // 24.1
 */
export function psnr(a: Float32Array, b: Float32Array, range = IMAGE_RANGE): number {
  if (a.length !== b.length || a.length === 0) throw new RangeError(`psnr: lengths differ or are empty (${a.length} vs ${b.length})`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((range * range) / (se / a.length));
}

/** The 1-D Gaussian window SSIM uses: 11 taps, σ = 1.5 (narrower on images under 11 px), normalised to sum 1. */
export function ssimWindow(side: number): Float64Array {
  const size = side >= 11 ? 11 : side % 2 === 1 ? side : side - 1;
  if (size < 1) throw new RangeError(`ssim: image side ${side} is too small`);
  const sigma = (1.5 * size) / 11;
  const r = (size - 1) / 2;
  const w = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / sum);
}

/**
 * Structural similarity (Wang et al. 2004), the standard form: an 11×11 Gaussian window (σ 1.5),
 * K1 = 0.01, K2 = 0.03, L = `range`, population (not sample) covariances, the mean over every
 * window position that lies wholly inside the image (what scikit-image's `structural_similarity`
 * with `gaussian_weights=True, use_sample_covariance=False, data_range=range` computes), per colour
 * channel, averaged over the channels. 1 means equal.
 *
 * @example
 * ssim(target.data, reconstruction.data, 64, 64); // 0.82
 */
export function ssim(a: Float32Array, b: Float32Array, width: number, height: number, range = IMAGE_RANGE, channels = 3): number {
  if (a.length !== width * height * channels || b.length !== a.length) {
    throw new RangeError(`ssim: expected ${width}×${height}×${channels} = ${width * height * channels} values each, got ${a.length} and ${b.length}`);
  }
  const win = ssimWindow(Math.min(width, height));
  const k = win.length;
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  const ow = width - k + 1;
  const oh = height - k + 1;
  // Separable filtering: rows first into [height, ow], then columns into [oh, ow], for the five moments.
  const rows = (src: (i: number) => number) => {
    const out = new Float64Array(height * ow);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += win[t]! * src(y * width + x + t);
        out[y * ow + x] = s;
      }
    }
    return out;
  };
  const cols = (src: Float64Array) => {
    const out = new Float64Array(oh * ow);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += win[t]! * src[(y + t) * ow + x]!;
        out[y * ow + x] = s;
      }
    }
    return out;
  };
  let total = 0;
  for (let c = 0; c < channels; c++) {
    const x = (i: number) => a[i * channels + c]!;
    const y = (i: number) => b[i * channels + c]!;
    const mx = cols(rows(x));
    const my = cols(rows(y));
    const sxx = cols(rows((i) => x(i) * x(i)));
    const syy = cols(rows((i) => y(i) * y(i)));
    const sxy = cols(rows((i) => x(i) * y(i)));
    let sum = 0;
    for (let p = 0; p < mx.length; p++) {
      const ux = mx[p]!;
      const uy = my[p]!;
      const vx = sxx[p]! - ux * ux;
      const vy = syy[p]! - uy * uy;
      const vxy = sxy[p]! - ux * uy;
      sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
    total += sum / mx.length;
  }
  return total / channels;
}
