import { describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { selectBackend } from "../backends.ts";
import { tf } from "../tf-node.ts";
import { TF_LEAKY_RELU_GRAD } from "./leaky-relu-grad.ts";

describe("LeakyRelu's gradient as TensorFlow's LeakyReluGrad", () => {
  it("equals tfjs's where(x > 0, dy, α·dy) on the tensorflow backend, and the cpu backend keeps that formula", async () => {
    const before = tf.getBackend();
    const x = new Prng(1).normals(4096);
    x[0] = 0; // the kink: both give α·dy at exactly 0
    const dy = new Prng(2).normals(4096);
    const grad = () => {
      const xt = tf.tensor1d(x);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), tf.tensor1d(dy))))(xt);
      return g.dataSync();
    };
    try {
      await selectBackend("tensorflow");
      expect(tf.getKernel(TF_LEAKY_RELU_GRAD, "tensorflow")).toBeDefined();
      const viaTf = grad();
      const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
      for (let i = 0; i < x.length; i++) expect(near(viaTf[i]!, x[i]! > 0 ? dy[i]! : 0.2 * dy[i]!), `at x = ${x[i]}: ${viaTf[i]}`).toBe(true);
      await tf.setBackend("cpu");
      const viaCpu = grad();
      for (let i = 0; i < x.length; i++) expect(near(viaCpu[i]!, viaTf[i]!), `cpu at x = ${x[i]}`).toBe(true);
    } finally {
      await tf.setBackend(before);
    }
  });
});
