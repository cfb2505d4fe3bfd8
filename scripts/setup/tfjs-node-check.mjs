#!/usr/bin/env node
/**
 * Checks that @tensorflow/tfjs-node works: prints its backend, runs a conv2d and its gradients
 * (with respect to input and filter) on it and on the pure-JS cpu backend
 * (@tensorflow/tfjs-backend-cpu), and prints the largest absolute differences.
 * Exits 1 if tfjs-node does not load, its backend is not "tensorflow", or the results disagree.
 *
 *   node scripts/setup/tfjs-node-check.mjs
 */
import { createRequire } from "node:module";
import { parseFlags } from "./flags.mjs";

parseFlags({
  name: "tfjs-node-check",
  run: "node scripts/setup/tfjs-node-check.mjs",
  summary: "Checks that @tensorflow/tfjs-node loads and agrees with the pure-JS cpu backend on a conv2d and its gradients; exits 1 if not.",
});

const require = createRequire(import.meta.url);
process.env.TF_CPP_MIN_LOG_LEVEL ??= "2"; // TensorFlow's start-up chatter

let tf;
try {
  tf = require("@tensorflow/tfjs-node");
} catch (e) {
  console.error(`tfjs-node does not load: ${e.message.split("\n")[0]}`);
  console.error("Run `node scripts/setup/tfjs-node.mjs` and read what it says.");
  process.exit(1);
}
require("@tensorflow/tfjs-backend-cpu"); // registers "cpu" (the same tfjs-core instance as tfjs-node's)
tf.env().set("PROD", true); // no "install tfjs-node" hint when the cpu backend runs

console.log(`tfjs-node ${tf.version["tfjs-node"]}, tfjs-core ${tf.version_core}; backend after loading tfjs-node: ${tf.getBackend()}`);
if (tf.getBackend() !== "tensorflow") {
  console.error("FAIL: tfjs-node loaded but its tensorflow backend is not active");
  process.exit(1);
}

/** Deterministic pseudo-random data in [-1, 1). */
function data(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const xShape = [4, 32, 32, 16];
const wShape = [3, 3, 16, 32];
const xData = data(xShape.reduce((a, b) => a * b), 1);
const wData = data(wShape.reduce((a, b) => a * b), 2);

/** y = conv2d(x, w) (stride 1, same); loss = sum(y² / 2); returns y, dloss/dx, dloss/dw and the time. */
function convAndGrads(backend) {
  tf.setBackend(backend);
  const t = performance.now();
  const result = tf.tidy(() => {
    const x = tf.tensor4d(xData, xShape);
    const w = tf.tensor4d(wData, wShape);
    const f = (x, w) => tf.conv2d(x, w, 1, "same").square().sum().div(2);
    const [dx, dw] = tf.grads(f)([x, w]);
    return { y: tf.conv2d(x, w, 1, "same").dataSync(), dx: dx.dataSync(), dw: dw.dataSync() };
  });
  return { ...result, ms: performance.now() - t, backend: tf.getBackend() };
}

const maxAbs = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxAbsDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

convAndGrads("tensorflow"); // warm-up
const tfr = convAndGrads("tensorflow");
const cpu = convAndGrads("cpu");
console.log(`conv2d x[${xShape}] * w[${wShape}] + gradients: tensorflow ${tfr.ms.toFixed(1)} ms, cpu ${cpu.ms.toFixed(1)} ms (ran on ${tfr.backend} / ${cpu.backend})`);

let ok = tfr.backend === "tensorflow" && cpu.backend === "cpu";
for (const key of ["y", "dx", "dw"]) {
  const diff = maxAbsDiff(tfr[key], cpu[key]);
  const rel = diff / maxAbs(cpu[key]);
  const pass = rel < 1e-4;
  ok &&= pass;
  console.log(`${key.padEnd(2)}: max |tensorflow - cpu| = ${diff.toExponential(2)} (largest |value| ${maxAbs(cpu[key]).toFixed(2)}, relative ${rel.toExponential(2)}) ${pass ? "ok" : "MISMATCH"}`);
}
console.log(ok ? "PASS" : "FAIL");
process.exit(ok ? 0 : 1);
