/**
 * Registers tfjs's gradients for a test, in whichever runtime runs it (tfjs-core alone registers
 * none): in workerd (and any bundle) tfjs-core's own `register_all_gradients` module; in Node the
 * `@tensorflow/tfjs` package, whose Node build is the only one that registers them there (tfjs-core's
 * ESM files cannot be imported by Node directly). The projector (shared/inversion) needs them.
 */
import { useConvInputGradientAsConv } from "../shared/gradients/conv2d.ts";

const inWorkerd = typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers";
if (inWorkerd) await import("@tensorflow/tfjs-core/dist/register_all_gradients");
else await import("@tensorflow/tfjs");
// As the worker and the trainer do: Conv2D's input gradient as a convolution (shared/gradients).
useConvInputGradientAsConv();
