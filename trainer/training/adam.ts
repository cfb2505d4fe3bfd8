/**
 * Adam (Kingma & Ba) with its whole state explicit, so a checkpoint restores it bit for bit.
 * tfjs's AdamOptimizer recomputes its β-power accumulators on setWeights (pow vs a running product),
 * which makes a resumed run drift in the last bits; it also keys moments by list position.
 * Here moments are keyed by parameter name, and a parameter without a gradient is skipped (as in
 * PyTorch).
 */
import { tf } from "../tf-node.ts";
import type { TensorData } from "./checkpoint.ts";

export class Adam {
  private m = new Map<string, tf.Tensor>();
  private v = new Map<string, tf.Tensor>();
  t = 0;

  constructor(
    /** Mutable so a schedule can change it between steps. */
    public lr: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly eps = 1e-8,
  ) {}

  /** One update of `params` (by name) with `grads` keyed by each variable's tfjs name. */
  step(params: Record<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[p.name];
      if (!g || !p.trainable) continue;
      const [m, v] = tf.tidy(() => {
        const m0 = this.m.get(name) ?? tf.zerosLike(p);
        const v0 = this.v.get(name) ?? tf.zerosLike(p);
        const m1 = tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v0, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        p.assign(tf.sub(p, tf.mul(tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), this.eps)), this.lr)));
        return [m1, v1];
      });
      this.m.get(name)?.dispose();
      this.v.get(name)?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
    }
  }

  async state(prefix: string): Promise<Map<string, TensorData>> {
    const out = new Map<string, TensorData>();
    out.set(`${prefix}t`, { shape: [], data: Float32Array.of(this.t) });
    for (const [k, t] of this.m) out.set(`${prefix}m/${k}`, { shape: t.shape, data: (await t.data()) as Float32Array });
    for (const [k, t] of this.v) out.set(`${prefix}v/${k}`, { shape: t.shape, data: (await t.data()) as Float32Array });
    return out;
  }

  load(prefix: string, tensors: Map<string, TensorData>): void {
    this.dispose();
    this.t = tensors.get(`${prefix}t`)?.data[0] ?? 0;
    for (const [k, d] of tensors) {
      if (k.startsWith(`${prefix}m/`)) this.m.set(k.slice(prefix.length + 2), tf.tensor(d.data, d.shape));
      if (k.startsWith(`${prefix}v/`)) this.v.set(k.slice(prefix.length + 2), tf.tensor(d.data, d.shape));
    }
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
    this.m.clear();
    this.v.clear();
  }
}
