/**
 * The one place shared code imports TensorFlow.js from. Only `@tensorflow/tfjs-core` functional ops
 * are used (never chained ops like `x.sum()`), so every backend (cpu in the worker, webgpu in the
 * browser, tensorflow in the trainer) runs the same maths. The runtime registers its backend, and
 * the trainer registers gradients by importing `@tensorflow/tfjs` (its Node bundle is the only build
 * of tfjs that registers them in Node; tfjs-core's own Node build does not).
 */
import * as tf from "@tensorflow/tfjs-core";

export { tf };
