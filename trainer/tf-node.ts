/**
 * The trainer's tfjs: `@tensorflow/tfjs`'s Node bundle registers every gradient and chained op on the
 * shared tfjs-core instance (tfjs-core's own Node build registers none). Backends are chosen in
 * backends.ts.
 */
import "@tensorflow/tfjs";
import { useConvInputGradientAsConv } from "../shared/gradients/conv2d.ts";
export { tf } from "../shared/tf.ts";

// As in the worker: one definition of Conv2D's input gradient (the same values and time on tfjs-node).
useConvInputGradientAsConv();
