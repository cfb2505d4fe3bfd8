/**
 * Adam (Kingma & Ba) with its whole state explicit, so a checkpoint restores it bit for bit.
 * tfjs's AdamOptimizer recomputes its β-power accumulators on setWeights (pow vs a running product),
 * which makes a resumed run drift in the last bits; it also keys moments by list position.
 * Here moments are keyed by parameter name, and a parameter without a gradient is skipped (as in
 * PyTorch).
 */
import { adamMoments, adamUpdate } from "../../shared/optim/adam.ts";
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
    const hyper = { lr: this.lr, t: this.t, beta1: this.beta1, beta2: this.beta2, eps: this.eps };
    for (const [name, p] of Object.entries(params)) {
      const g = grads[p.name];
      if (!g || !p.trainable) continue;
      const [m, v] = tf.tidy(() => {
        const m0 = this.m.get(name) ?? tf.zerosLike(p);
        const v0 = this.v.get(name) ?? tf.zerosLike(p);
        const [m1, v1] = adamMoments(m0, v0, g, this.beta1, this.beta2);
        p.assign(tf.sub(p, adamUpdate(m1, v1, hyper)));
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

/**
 * The same Adam over one flat vector per optimizer: the gradients are concatenated, the moments and
 * the update are a dozen kernels for all parameters together instead of a dozen per parameter, and
 * the update is split back. Parameters without a gradient this step are masked out, so it equals
 * `Adam` (which skips them) exactly; a test pins the two equal. Its state is saved per parameter
 * name, in `Adam`'s format, so checkpoints do not depend on which of the two wrote them.
 */
export class FusedAdam {
  /** Flat layout over every trainable parameter, fixed at the first step. */
  private layout: { name: string; shape: number[]; size: number }[] | null = null;
  private m: tf.Tensor1D | null = null;
  private v: tf.Tensor1D | null = null;
  private masks = new Map<string, tf.Tensor1D>();
  private pending: Map<string, TensorData> | null = null;
  t = 0;

  constructor(
    public lr: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly eps = 1e-8,
  ) {}

  step(params: Record<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    this.layout ??= Object.entries(params)
      .filter(([, p]) => p.trainable)
      .map(([name, p]) => ({ name, shape: p.shape, size: p.size }));
    const layout = this.layout;
    const total = layout.reduce((a, e) => a + e.size, 0);
    if (!this.m || !this.v) {
      this.m = tf.keep(tf.zeros([total])) as tf.Tensor1D;
      this.v = tf.keep(tf.zeros([total])) as tf.Tensor1D;
      if (this.pending) this.restore(this.pending);
    }
    this.t++;
    const present = layout.map((e) => grads[params[e.name]!.name] !== undefined);
    if (!present.some(Boolean)) return;
    const key = present.map((p) => (p ? 1 : 0)).join("");
    let mask = this.masks.get(key);
    if (!mask && present.some((p) => !p)) {
      mask = tf.keep(tf.concat(layout.map((e, i) => tf.fill([e.size], present[i] ? 1 : 0)))) as tf.Tensor1D;
      this.masks.set(key, mask);
    }
    const [m1, v1, update] = tf.tidy(() => {
      const g = tf.concat(layout.map((e, i) => (present[i] ? tf.reshape(grads[params[e.name]!.name]!, [e.size]) : tf.zeros([e.size]))));
      let [m1, v1] = adamMoments(this.m!, this.v!, g, this.beta1, this.beta2);
      if (mask) {
        // Parameters without a gradient keep their moments (Adam skips them).
        m1 = tf.add(this.m!, tf.mul(tf.sub(m1, this.m!), mask));
        v1 = tf.add(this.v!, tf.mul(tf.sub(v1, this.v!), mask));
      }
      let u = adamUpdate(m1, v1, { lr: this.lr, t: this.t, beta1: this.beta1, beta2: this.beta2, eps: this.eps });
      if (mask) u = tf.mul(u, mask);
      return [m1, v1, u];
    });
    this.m.dispose();
    this.v.dispose();
    this.m = m1 as tf.Tensor1D;
    this.v = v1 as tf.Tensor1D;
    tf.tidy(() => {
      const parts = tf.split(update, layout.map((e) => e.size));
      layout.forEach((e, i) => {
        if (present[i]) params[e.name]!.assign(tf.sub(params[e.name]!, tf.reshape(parts[i]!, e.shape)));
      });
    });
    update.dispose();
  }

  async state(prefix: string): Promise<Map<string, TensorData>> {
    const out = new Map<string, TensorData>();
    out.set(`${prefix}t`, { shape: [], data: Float32Array.of(this.t) });
    if (!this.layout || !this.m || !this.v) {
      for (const [k, d] of this.pending ?? []) if (k !== "t") out.set(`${prefix}${k}`, d);
      return out;
    }
    const [m, v] = [(await this.m.data()) as Float32Array, (await this.v.data()) as Float32Array];
    let off = 0;
    for (const e of this.layout) {
      out.set(`${prefix}m/${e.name}`, { shape: e.shape, data: m.slice(off, off + e.size) });
      out.set(`${prefix}v/${e.name}`, { shape: e.shape, data: v.slice(off, off + e.size) });
      off += e.size;
    }
    return out;
  }

  /** Load `Adam`-format state; applied to the flat moments once the layout is known (the first step). */
  load(prefix: string, tensors: Map<string, TensorData>): void {
    this.dispose();
    this.t = tensors.get(`${prefix}t`)?.data[0] ?? 0;
    this.pending = new Map([...tensors].filter(([k]) => k.startsWith(`${prefix}m/`) || k.startsWith(`${prefix}v/`)).map(([k, d]) => [k.slice(prefix.length), d]));
  }

  private restore(state: Map<string, TensorData>): void {
    const flat = (kind: "m" | "v") => {
      const out = new Float32Array(this.layout!.reduce((a, e) => a + e.size, 0));
      let off = 0;
      for (const e of this.layout!) {
        const d = state.get(`${kind}/${e.name}`);
        if (d) out.set(d.data, off);
        off += e.size;
      }
      return out;
    };
    this.m!.dispose();
    this.v!.dispose();
    this.m = tf.keep(tf.tensor1d(flat("m")));
    this.v = tf.keep(tf.tensor1d(flat("v")));
    this.pending = null;
  }

  dispose(): void {
    tf.dispose([...(this.m ? [this.m] : []), ...(this.v ? [this.v] : []), ...this.masks.values()]);
    this.m = null;
    this.v = null;
    this.masks.clear();
  }
}
