import "../../test/gradients.ts";
import { beforeAll, describe, expect, it } from "vitest";
import { tf } from "../tf.ts";
import { useConvInputGradientAsConv } from "./conv2d.ts";

// Runs in Node and in workerd. test/gradients.ts registers tfjs's gradients and this one.

const rnd = (shape: [number, number, number, number], s: number) => tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898 + s) * 1.3), shape);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

describe("Conv2D's input gradient as a convolution", () => {
  // The cpu backend has every kernel these need (wasm has no filter gradient); another file in
  // the same workerd isolate may have left wasm active.
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("is registered (idempotently) in place of tfjs's", () => {
    const before = tf.getGradient("Conv2D");
    useConvInputGradientAsConv();
    expect(tf.getGradient("Conv2D")).toBe(before);
  });

  const cases: [string, number, "same" | "valid", number][] = [
    ["3×3 same", 3, "same", 1],
    ["1×1 same", 1, "same", 1],
    ["3×3 valid", 3, "valid", 1],
    ["3×3 same, stride 2 (tfjs's own gradient)", 3, "same", 2],
  ];
  for (const [what, k, pad, stride] of cases) {
    it(`${what}: equals Conv2DBackpropInput, the gradient tfjs defines`, () => {
      const x = rnd([2, 7, 6, 3], 1);
      const w = rnd([k, k, 3, 5], 2);
      const out = tf.conv2d(x, w, stride, pad);
      const u = rnd(out.shape, 3);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(t as tf.Tensor4D, w, stride, pad), u)))(x);
      const reference = tf.conv2dTranspose(u, w, x.shape, stride, pad);
      expect(maxDiff(grad, reference)).toBeLessThan(1e-4);
    });
  }

  it("differentiates twice: an R1-style penalty's filter gradient equals the one through Conv2DBackpropInput", () => {
    const x = rnd([2, 6, 6, 3], 4);
    const w = rnd([3, 3, 3, 4], 5);
    const u = rnd([2, 6, 6, 4], 6);
    const penalty = (f: tf.Tensor) => {
      const gx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(t as tf.Tensor4D, f as tf.Tensor4D, 1, "same"), u)))(x);
      return tf.sum(tf.square(gx));
    };
    const reference = (f: tf.Tensor) => tf.sum(tf.square(tf.conv2dTranspose(u, f as tf.Tensor4D, x.shape, 1, "same")));
    const a = tf.grad(penalty)(w);
    const b = tf.grad(reference)(w);
    expect(maxDiff(a, b) / tf.max(tf.abs(b)).dataSync()[0]!).toBeLessThan(1e-4);
  });
});
