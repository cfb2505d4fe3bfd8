import { describe, expect, it } from "vitest";
import { tf } from "../tf.ts";
import { adamMoments, adamUpdate } from "./adam.ts";

describe("Adam's arithmetic", () => {
  it("matches the textbook recurrence, step by step, on plain numbers", () => {
    const [beta1, beta2, eps, lr] = [0.9, 0.999, 1e-8, 0.05];
    const grads = [
      [0.5, -2, 0],
      [0.25, 1, -3],
      [-1, 0.5, 0.125],
    ];
    let m: tf.Tensor = tf.zeros([3]);
    let v: tf.Tensor = tf.zeros([3]);
    let mRef = [0, 0, 0];
    let vRef = [0, 0, 0];
    for (const [i, g] of grads.entries()) {
      const t = i + 1;
      [m, v] = adamMoments(m, v, tf.tensor1d(g), beta1, beta2);
      mRef = mRef.map((x, j) => beta1 * x + (1 - beta1) * g[j]!);
      vRef = vRef.map((x, j) => beta2 * x + (1 - beta2) * g[j]! ** 2);
      const want = mRef.map((x, j) => (lr * (x / (1 - beta1 ** t))) / (Math.sqrt(vRef[j]! / (1 - beta2 ** t)) + eps));
      const got = adamUpdate(m, v, { lr, t, beta1, beta2, eps }).dataSync();
      for (const [j, x] of want.entries()) expect(got[j]).toBeCloseTo(x, 6);
    }
    // The first step of a bias-corrected Adam moves every parameter with a gradient by about lr.
    expect(Math.abs(adamUpdate(...adamMoments(tf.zeros([1]), tf.zeros([1]), tf.tensor1d([7]), beta1, beta2), { lr, t: 1, beta1, beta2, eps }).dataSync()[0]!)).toBeCloseTo(lr, 6);
  });
});
