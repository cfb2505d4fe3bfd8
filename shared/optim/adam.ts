/**
 * Adam's arithmetic (Kingma & Ba), once for every optimizer in the project: the trainer's `Adam` and
 * `FusedAdam` (trainer/training/adam.ts), which keep their state across steps and checkpoints, and
 * the inversion projector, which keeps it for one projection.
 *
 * @example
 * const [m1, v1] = adamMoments(m, v, grad, 0.9, 0.999);
 * const w1 = tf.sub(w, adamUpdate(m1, v1, { lr: 0.1, t: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8 }));
 */
import { tf } from "../tf.ts";

/** The moments after one gradient: m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g². */
export function adamMoments(m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, beta1: number, beta2: number): [tf.Tensor, tf.Tensor] {
  return [tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)), tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2))];
}

/** The step to subtract at step t (from 1), bias-corrected: lr · m̂ / (√v̂ + ε). */
export function adamUpdate(m: tf.Tensor, v: tf.Tensor, o: { lr: number; t: number; beta1: number; beta2: number; eps: number }): tf.Tensor {
  return tf.div(tf.mul(m, o.lr / (1 - o.beta1 ** o.t)), tf.add(tf.sqrt(tf.div(v, 1 - o.beta2 ** o.t)), o.eps));
}
