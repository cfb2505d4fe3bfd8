/**
 * The trainer's tfjs: `@tensorflow/tfjs`'s Node bundle registers every gradient and chained op on the
 * shared tfjs-core instance (tfjs-core's own Node build registers none). Backends are chosen in
 * backends.ts.
 */
import "@tensorflow/tfjs";
export { tf } from "../shared/tf.ts";
