import { tf } from "../tf.ts";

/**
 * A stride-2 transposed convolution, `tf.conv2dTranspose(x, filter, [n, 2h, 2w, cout], 2, "same")`,
 * computed as one ordinary 3×3 convolution with four times the output channels (one set per output
 * phase: even or odd row × even or odd column) followed by a depth-to-space interleave.
 *
 * Why: tfjs's wasm backend (what the worker renders on) runs Conv2D through XNNPACK, but
 * Conv2DBackpropInput, the kernel behind conv2dTranspose and behind every conv2d's input gradient,
 * as a plain loop: on faces64 it was about 8 times slower per call than Conv2D, and the largest
 * share of a render and of a projector step. The same taps, rearranged (polyphase decomposition):
 * output o = 2m + p takes input i with tap o + pad − 2i, that is input m + j with tap
 * p + pad − 2j for j ∈ {−1, 0, 1}: a 3×3 correlation per phase. Filters of 4 taps (pad 1) and 6
 * (pad 2) fit in it, which are the two this project uses (the ToRGB skip and the upsampling conv).
 * Only conv2d, matMul, reshape and transpose: it differentiates on every backend, twice too.
 *
 * filter: [kt, kt, Cout, Cin] (conv2dTranspose's layout), kt ∈ {4, 6}. x: [N, H, W, Cin].
 *
 * @example
 * const y = conv2dTranspose2x(x, filter); // equals tf.conv2dTranspose(x, filter, [n, 2h, 2w, cout], 2, "same")
 */
export function conv2dTranspose2x(x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  if (x.shape[3] !== filter.shape[3]) throw new Error(`conv2dTranspose2x: the filter takes ${filter.shape[3]} channels, x has ${x.shape[3]}`);
  // On tfjs-node, TensorFlow's own transposed conv is the faster one: at batch 32, forward and
  // backward took 272 ms against the phases' 392 at 16 px (640 against 760 at 32 px), which
  // training would pay every step. Everywhere else (wasm, cpu, webgpu) the phases.
  if (tf.getBackend() === "tensorflow") {
    const [n, h, w] = x.shape;
    return tf.conv2dTranspose(x, filter, [n, 2 * h, 2 * w, filter.shape[2]], 2, "same");
  }
  return tf.tidy(() => conv2dPhases(x, phaseKernel(filter)));
}

/**
 * The 3×3 kernel [3, 3, Cin, 4·Cout] of `conv2dTranspose2x`'s convolution, from a transposed
 * conv's filter [kt, kt, Cout, Cin] (kt ∈ {4, 6}). It depends on the filter alone, so a model held
 * for inference computes it once (Generator does).
 *
 * @example
 * const k3 = phaseKernel(filter); conv2dPhases(x, k3); // = conv2dTranspose2x(x, filter)
 */
export function phaseKernel(filter: tf.Tensor4D): tf.Tensor4D {
  const [kt, kt2, cout, cin] = filter.shape;
  if (kt !== kt2 || (kt !== 4 && kt !== 6)) throw new Error(`conv2dTranspose2x: expected a 4×4 or 6×6 filter, got ${kt}×${kt2}`);
  return tf.tidy(() => {
    // The rearrangement as a product with a 0/1 selection matrix: a matMul runs on XNNPACK on wasm,
    // where the same gather was as slow as the conv itself.
    const kernel = tf.matMul(selection(kt), tf.reshape(filter, [kt * kt, cout * cin]));
    // [ky, kx, py, px, cout, cin] → [ky, kx, cin, py, px, cout] → the conv's [3, 3, cin, 4·cout].
    return tf.reshape(tf.transpose(tf.reshape(kernel, [3, 3, 2, 2, cout, cin]), [0, 1, 5, 2, 3, 4]), [3, 3, cin, 4 * cout]) as tf.Tensor4D;
  });
}

/**
 * The 3×3 kernel of `phaseKernel` for a constant filter given as values (no tensor ops: for a
 * fixed filter such as the ToRGB skip's upsampling).
 */
export function phaseKernelValues(filter: Float32Array, kt: 4 | 6, cout: number, cin: number): Float32Array {
  const taps = phaseTaps(kt);
  const out = new Float32Array(9 * cin * 4 * cout);
  taps.forEach((t, row) => {
    if (t < 0) return;
    const k = row >> 2; // ky·3 + kx
    const phase = row & 3; // py·2 + px
    for (let o = 0; o < cout; o++) for (let i = 0; i < cin; i++) out[(k * cin + i) * 4 * cout + phase * cout + o] = filter[(t * cout + o) * cin + i]!;
  });
  return out;
}

/**
 * The convolution with a `phaseKernel` and the depth-to-space interleave of its four phases:
 * x [N, H, W, Cin] → [N, 2H, 2W, Cout].
 */
export function conv2dPhases(x: tf.Tensor4D, k3: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const cout = k3.shape[3] / 4;
  return tf.tidy(() => {
    const phases = tf.conv2d(x, k3, 1, "same"); // [n, h, w, (py, px, cout)]
    // Depth to space: [n, h, w, py, px, c] → [n, h, py, w, px, c] → [n, 2h, 2w, c].
    return tf.reshape(tf.transpose(tf.reshape(phases, [n, h, w, 2, 2, cout]), [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * w, cout]) as tf.Tensor4D;
  });
}

/** [36, kt·kt]: row (ky, kx, py, px) selects the filter tap that phase takes at that kernel position (none: a zero row). */
function selection(kt: number): tf.Tensor2D {
  const taps = phaseTaps(kt);
  const m = new Float32Array(taps.length * kt * kt);
  taps.forEach((t, row) => {
    if (t >= 0) m[row * kt * kt + t] = 1;
  });
  return tf.tensor2d(m, [taps.length, kt * kt]);
}

/** For each (ky, kx, py, px), the flat index of the filter tap it takes (−1 for a tap outside the filter). */
function phaseTaps(kt: number): number[] {
  const pad = (kt - 2) / 2;
  const tap = (p: number, k: number) => p + pad + 2 - 2 * k; // j = k − 1
  const out: number[] = [];
  for (let ky = 0; ky < 3; ky++)
    for (let kx = 0; kx < 3; kx++)
      for (let py = 0; py < 2; py++)
        for (let px = 0; px < 2; px++) {
          const [ty, tx] = [tap(py, ky), tap(px, kx)];
          out.push(ty >= 0 && ty < kt && tx >= 0 && tx < kt ? ty * kt + tx : -1);
        }
  return out;
}
