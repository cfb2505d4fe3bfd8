/**
 * The training state and one training step. Everything random is drawn from one seeded PRNG whose
 * state is checkpointed, so a resumed run continues exactly as if it had not stopped.
 */
import { numWs, convLayers } from "../../shared/generator/config.ts";
import { synthesis } from "../../shared/generator/network.ts";
import { type ParamSpec, type ParamValues, generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { Prng, type PrngState } from "../../shared/random/prng.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { canonicalJson } from "../../shared/weights/content-id.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { type LinkedRegion, semanticMask } from "../loss/linkgan.ts";
import { type LossConfig, type Nets, type StepRandom, dMainLoss, dRegLoss, gMainLoss, gPlLoss, mixedWs } from "../loss/stylegan2.ts";
import { type DiscriminatorConfig, discriminatorParamSpecs } from "../networks/discriminator.ts";
import { Augmenter } from "../augment/diffaugment.ts";
import { tf } from "../tf-node.ts";
import { FusedAdam } from "./adam.ts";
import { type TensorData, configHash, loadCheckpoint, paramValues, saveCheckpoint } from "./checkpoint.ts";
import { compactEncoding } from "./compact.ts";
import { type TrainConfig, TrainConfig as TrainConfigSchema, r1GammaOf } from "./config.ts";
import { type DataOrder, nextIndices } from "./data-order.ts";

/** Images for training: RGB floats in [−1, 1], index-addressable so the order is reproducible. */
export interface TrainingData {
  readonly size: number;
  readonly resolution: number;
  /** Images `indices` as one [N, H, W, 3] Float32Array. */
  batch(indices: number[]): Promise<Float32Array>;
}

/** Scalars logged by a step (only the phases that ran). */
export type StepMetrics = Record<string, number>;

/** What one step's phases share: its data and randomness, and what one phase leaves for the next. */
interface StepContext {
  reals: tf.Tensor4D;
  random: StepRandom;
  /** Whether Gmain adds LinkGAN's terms at this step. */
  link: boolean;
  lossCfg: LossConfig;
  /** Record a scalar for the step's metrics. */
  note(key: string, t: tf.Tensor): void;
  /** Gmain's LinkGAN-perturbed images, which Dmain shows D as fakes too. */
  perturbed?: tf.Tensor4D;
  /** Dmain's fakes, made before its gradient tape. */
  fakes?: tf.Tensor4D | undefined;
}

/** One phase of a training step: which network's optimizer takes which variables' gradients of which loss, and how often. */
interface Phase {
  name: "Gmain" | "Greg" | "Dmain" | "Dreg";
  /** Runs at the steps that are multiples of it. */
  interval: number;
  opt: FusedAdam;
  /** The network's variables by name (what the optimizer updates). */
  params: Record<string, tf.Variable>;
  /** The variables differentiated. */
  vars: tf.Variable[];
  /** The metric under which the phase's loss value is logged. */
  valueKey?: string;
  /** Before the gradient tape. */
  prepare?(ctx: StepContext): void;
  /** The loss, inside the gradient tape. */
  loss(ctx: StepContext): tf.Scalar;
  /** After the update. */
  after?(ctx: StepContext): void;
}

export class Trainer {
  step = 0;
  private plMean = 0;
  private emaG: Record<string, tf.Tensor> = {};
  private readonly dCfg: DiscriminatorConfig;
  private readonly nets: Nets;
  private readonly optG: FusedAdam;
  private readonly optD: FusedAdam;
  private readonly gSpecs: ParamSpec[];
  private readonly masks: LinkedRegion[];
  private readonly augmenter: Augmenter;
  private readonly phases: Phase[];
  private dataOrder: DataOrder = { order: [], orderPos: 0 };

  private constructor(
    readonly config: TrainConfig,
    readonly data: TrainingData,
    private rng: Prng,
    gValues: ParamValues,
    dValues: ParamValues,
    segmenter?: Segmenter,
  ) {
    const c = config;
    if (data.resolution !== c.generator.resolution) throw new Error(`dataset resolution ${data.resolution} ≠ generator resolution ${c.generator.resolution}`);
    if (data.size < c.batch) throw new Error(`dataset has ${data.size} images, fewer than one batch (${c.batch})`);
    if (c.links === "on" && c.regions.length === 0) throw new Error("links are on but no regions are configured");
    this.dCfg = { ...c.discriminator, resolution: c.generator.resolution };
    this.gSpecs = generatorParamSpecs(c.generator);
    // Variable names are global in tfjs: make them unique per trainer.
    const id = instances++;
    const vars = (specs: ParamSpec[], values: ParamValues, prefix: string) =>
      Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(values.get(s.name)!, s.shape), s.trainable, `t${id}/${prefix}/${s.name}`)]));
    // Augmentation draws from the run's PRNG (its calls happen in a fixed order), so resuming is exact.
    this.augmenter = new Augmenter(c.augment, rng);
    this.nets = { gCfg: c.generator, dCfg: this.dCfg, G: vars(this.gSpecs, gValues, "G"), D: vars(discriminatorParamSpecs(this.dCfg), dValues, "D"), augment: this.augmenter.apply };
    for (const s of this.gSpecs) this.emaG[s.name] = tf.keep(tf.clone(this.nets.G[s.name]!));
    // Lazy regularization (StyleGAN2): a phase run every k steps scales lr by c and β by ^c, c = k/(k+1).
    const cG = c.plWeight > 0 ? c.plInterval / (c.plInterval + 1) : 1;
    const cD = c.r1Interval / (c.r1Interval + 1);
    this.optG = new FusedAdam(c.lr * cG, 0, 0.99 ** cG);
    this.optD = new FusedAdam(c.lr * cD, 0, 0.99 ** cD);
    this.masks = c.regions.map((r) => {
      if (r.mask.kind === "semantic") {
        if (!segmenter) throw new Error(`region ${r.name}: a semantic mask needs the config's segmenter, loaded (openPinnedSegmenter)`);
        if (segmenter.config.resolution !== c.generator.resolution) throw new Error(`segmenter resolution ${segmenter.config.resolution} ≠ generator resolution ${c.generator.resolution}`);
        return { name: r.name, axes: r.axes, mask: semanticMask(segmenter, r.mask.class) };
      }
      const m = rasterizeMask(r.mask, c.generator.resolution);
      return { name: r.name, axes: r.axes, mask: tf.keep(tf.tensor4d(Float32Array.from(m.data), [1, m.size, m.size, 1])) };
    });
    this.phases = this.buildPhases();
  }

  /** A fresh run: parameters initialised from the config's seed. */
  static create(config: TrainConfig, data: TrainingData, segmenter?: Segmenter): Trainer {
    const g = initParams(generatorParamSpecs(config.generator), config.seed);
    const d = initParams(discriminatorParamSpecs({ ...config.discriminator, resolution: config.generator.resolution }), config.seed + 1);
    return new Trainer(config, data, new Prng(config.seed, 1), g, d, segmenter);
  }

  /**
   * Fine-tune a published generator (e.g. the active version of a model): G and its EMA start from
   * `gValues`, D is initialised fresh from the config's seed.
   */
  static fromGenerator(config: TrainConfig, data: TrainingData, gValues: ParamValues, segmenter?: Segmenter): Trainer {
    const d = initParams(discriminatorParamSpecs({ ...config.discriminator, resolution: config.generator.resolution }), config.seed + 1);
    return new Trainer(config, data, new Prng(config.seed, 1), gValues, d, segmenter);
  }

  /**
   * Continue from a checkpoint. With `fineTune`, only the networks come from it (a new run with its
   * own config, e.g. links on after pretraining with links off); otherwise everything does, and the
   * config must be the one that wrote it.
   */
  static async resume(dir: string, config: TrainConfig, data: TrainingData, opts: { fineTune?: boolean; segmenter?: Segmenter } = {}): Promise<Trainer> {
    const { meta, tensors } = await loadCheckpoint(dir);
    const useEma = opts.fineTune === true;
    const t = new Trainer(config, data, opts.fineTune ? new Prng(config.seed, 1) : Prng.fromState(meta.rng as PrngState), paramValues(tensors, useEma ? "Gema/" : "G/"), paramValues(tensors, "D/"), opts.segmenter);
    if (opts.fineTune) return t;
    // The checkpoint keeps the config that wrote it. Compared after parsing with today's schema, so a
    // field added later with a default (which must keep old configs' behaviour) does not strand a run.
    const written = meta.config !== undefined ? TrainConfigSchema.safeParse(meta.config) : undefined;
    const same = written?.success ? canonicalJson(written.data) === canonicalJson(config) : meta.configHash === (await configHash(config));
    if (!same) throw new Error(`checkpoint ${dir} was written by a different config; resume with the run's own config.json, or fine-tune from it`);
    t.step = meta.step as number;
    t.plMean = meta.plMean as number;
    t.dataOrder = { order: meta.order as number[], orderPos: meta.orderPos as number };
    if (meta.augment) t.augmenter.load(meta.augment as ReturnType<Augmenter["state"]>);
    for (const s of t.gSpecs) {
      t.emaG[s.name]!.dispose();
      t.emaG[s.name] = tf.keep(tf.tensor(tensors.get(`Gema/${s.name}`)!.data, s.shape));
    }
    t.optG.load("optG/", tensors);
    t.optD.load("optD/", tensors);
    return t;
  }

  /**
   * Write a checkpoint. `compact`: network weights as float16, Adam's second moments as log8, and its
   * first moments left out (with β1 = 0, StyleGAN2's setting, the next step does not read them):
   * about a quarter of the bytes, for committing a run in progress (checkpoint.ts).
   */
  async save(dir: string, opts: { compact?: boolean } = {}): Promise<void> {
    const tensors = new Map<string, TensorData>();
    // Reads are async: tfjs-backend-webgpu cannot read tensors synchronously in Node.
    const put = async (name: string, t: tf.Tensor) => tensors.set(name, { shape: t.shape, data: (await t.data()) as Float32Array });
    for (const [k, v] of Object.entries(this.nets.G)) await put(`G/${k}`, v);
    for (const [k, v] of Object.entries(this.emaG)) await put(`Gema/${k}`, v);
    for (const [k, v] of Object.entries(this.nets.D)) await put(`D/${k}`, v);
    for (const [k, v] of [...(await this.optG.state("optG/")), ...(await this.optD.state("optD/"))]) {
      if (opts.compact && /^opt[GD]\/m\//.test(k) && this.optG.beta1 === 0 && this.optD.beta1 === 0) continue;
      tensors.set(k, v);
    }
    const meta = { step: this.step, kimg: this.kimg, plMean: this.plMean, rng: this.rng.state(), order: this.dataOrder.order, orderPos: this.dataOrder.orderPos, augment: this.augmenter.state(), config: this.config, configHash: await configHash(this.config) };
    await saveCheckpoint(dir, meta, tensors, opts.compact ? compactEncoding : undefined);
  }

  /** The augmentation probability now (fixed, or adapted by ADA). */
  get augmentP(): number {
    return this.augmenter.enabled ? this.augmenter.p : 0;
  }

  get kimg(): number {
    return (this.step * this.config.batch) / 1000;
  }

  /** The EMA generator's parameters (what gets exported and sampled). */
  async emaValues(): Promise<ParamValues> {
    const out: ParamValues = new Map();
    for (const s of this.gSpecs) out.set(s.name, (await this.emaG[s.name]!.data()) as Float32Array);
    return out;
  }

  private nextIndices(n: number): number[] {
    return nextIndices(this.dataOrder, this.data.size, n, this.rng);
  }

  private drawRandom(link: boolean, plStep: boolean): StepRandom {
    const { batch: n, generator: g } = this.config;
    const rng = this.rng;
    const nw = numWs(g);
    const z = tf.tensor2d(rng.normals(n * g.zDim), [n, g.zDim]);
    const zMix = tf.tensor2d(rng.normals(n * g.zDim), [n, g.zDim]);
    const cutoff = 1 + Math.floor(rng.uniform() * (nw - 1));
    const mixCutoff = rng.uniform() < this.config.styleMixing ? cutoff : nw;
    const noise = convLayers(g).map((l) => tf.tensor4d(rng.normals(n * l.res * l.res), [n, l.res, l.res, 1]));
    const r: StepRandom = { z, zMix, mixCutoff, noise };
    if (link) {
      const k = this.masks.length;
      const m = Math.min(n, this.config.linkgan.samples ?? n);
      const dim = this.config.linkgan.mode === "replace" ? g.zDim : g.wDim;
      r.pIn = tf.tensor3d(rng.normals(k * m * dim), [k, m, dim]);
      r.pOut = tf.tensor3d(rng.normals(k * m * dim), [k, m, dim]);
    }
    if (plStep) r.plNoise = tf.tensor4d(rng.normals(n * g.resolution ** 2 * 3), [n, g.resolution, g.resolution, 3]);
    return r;
  }

  /**
   * The phases of a step, in order (StyleGAN2-ADA's list): each trains one network every `interval`
   * steps on its own loss. Gmain carries LinkGAN's terms on link steps; Greg (path length) is in the
   * list only when its weight is above 0.
   */
  private buildPhases(): Phase[] {
    const c = this.config;
    const G = this.nets.G;
    const D = this.nets.D;
    const gVars = this.gSpecs.filter((p) => p.trainable).map((p) => G[p.name] as tf.Variable);
    const dVars = Object.values(D) as tf.Variable[];
    const phases: Phase[] = [
      {
        name: "Gmain",
        interval: 1,
        opt: this.optG,
        params: G,
        vars: gVars,
        valueKey: "G/loss",
        loss: (ctx) => {
          const res = gMainLoss(this.nets, ctx.random, ctx.link ? { cfg: c.linkgan, regions: this.masks } : undefined);
          ctx.note("G/adv", res.adv);
          if (res.link) {
            ctx.note("G/link", res.link.total);
            for (const t of res.link.perRegion) {
              ctx.note(`link/${t.name}/in`, t.lIn);
              ctx.note(`link/${t.name}/out`, t.lOut);
            }
          }
          if (res.perturbed) ctx.perturbed = tf.keep(res.perturbed);
          return res.loss;
        },
        // Track w_avg (StyleGAN2: β = 0.995) from this batch's w.
        after: (ctx) =>
          tf.tidy(() => {
            const wMean = tf.mean(mixedWs(this.nets, { ...ctx.random, mixCutoff: numWs(c.generator) }), [0, 1]);
            const avg = G["mapping.w_avg"] as tf.Variable;
            avg.assign(tf.add(wMean, tf.mul(tf.sub(avg, wMean), 0.995)));
          }),
      },
    ];
    if (c.plWeight > 0) {
      phases.push({
        name: "Greg",
        interval: c.plInterval,
        opt: this.optG,
        params: G,
        vars: gVars,
        valueKey: "G/pl",
        loss: (ctx) => {
          const res = gPlLoss(this.nets, ctx.random, this.plMean, ctx.lossCfg);
          ctx.note("plMean", res.plMean);
          return res.loss;
        },
      });
    }
    phases.push(
      {
        name: "Dmain",
        interval: 1,
        opt: this.optD,
        params: D,
        vars: dVars,
        valueKey: "D/loss",
        // Fakes from the updated G, made outside the gradient tape (no gradient reaches G), plus LinkGAN's perturbed images.
        prepare: (ctx) => {
          ctx.fakes = tf.tidy(() => {
            const f = synthesis(G, c.generator, mixedWs(this.nets, ctx.random), ctx.random.noise);
            return ctx.perturbed ? tf.concat([f, ctx.perturbed], 0) : f;
          }) as tf.Tensor4D;
        },
        loss: (ctx) => {
          const res = dMainLoss(this.nets, ctx.reals, ctx.fakes!);
          ctx.note("D/real", res.real);
          ctx.note("D/fake", res.fake);
          ctx.note("D/realSign", res.realSign);
          return res.loss;
        },
        after: (ctx) => {
          ctx.fakes?.dispose();
          ctx.fakes = undefined;
        },
      },
      {
        name: "Dreg",
        interval: c.r1Interval,
        opt: this.optD,
        params: D,
        // R1 does not reach D's output bias.
        vars: dVars.filter((v) => !v.name.endsWith("out.bias")),
        loss: (ctx) => {
          const res = dRegLoss(this.nets, ctx.reals, ctx.lossCfg);
          ctx.note("D/r1", res.r1);
          return res.loss;
        },
      },
    );
    return phases;
  }

  /** One training step: the phases due at this step (Gmain, Greg, Dmain, Dreg), then G's EMA. Returns the step's scalars. */
  async trainStep(): Promise<StepMetrics> {
    const c = this.config;
    const s = this.step;
    const due = this.phases.filter((p) => s % p.interval === 0);
    const link = c.links === "on" && s % c.linkgan.interval === 0;
    const lossCfg: LossConfig = { r1Gamma: r1GammaOf(c), r1Interval: c.r1Interval, plWeight: c.plWeight, plInterval: c.plInterval, plDecay: 0.01, styleMixing: c.styleMixing };
    const indices = this.nextIndices(c.batch);
    const realsData = await this.data.batch(indices);
    const random = this.drawRandom(link, due.some((p) => p.name === "Greg"));
    // Scalars are kept as tensors during the phases and read once at the end (async: webgpu in Node
    // cannot read synchronously, and one read per step is cheaper than one per scalar).
    const pending: Record<string, tf.Tensor> = {};
    const ctx: StepContext = {
      reals: tf.tensor4d(realsData, [c.batch, c.generator.resolution, c.generator.resolution, 3]),
      random,
      link,
      lossCfg,
      note: (key, t) => {
        pending[key] = tf.keep(tf.clone(t));
      },
    };
    for (const phase of due) {
      phase.prepare?.(ctx);
      const { value, grads } = tf.variableGrads(() => phase.loss(ctx), phase.vars);
      phase.opt.step(phase.params, grads);
      if (phase.valueKey) ctx.note(phase.valueKey, value);
      tf.dispose([value, ...Object.values(grads)]);
      phase.after?.(ctx);
    }
    // EMA of G, with StyleGAN2's ramp-up of the half-life.
    const nimg = (s + 1) * c.batch;
    const emaNimg = Math.min(c.emaKimg * 1000, c.emaRampup > 0 ? nimg * c.emaRampup : Number.POSITIVE_INFINITY);
    const beta = 0.5 ** (c.batch / Math.max(emaNimg, 1e-8));
    tf.tidy(() => {
      for (const p of this.gSpecs) {
        const cur = this.nets.G[p.name]!;
        const next = p.trainable ? tf.add(cur, tf.mul(tf.sub(this.emaG[p.name]!, cur), beta)) : tf.clone(cur);
        this.emaG[p.name]!.dispose();
        this.emaG[p.name] = tf.keep(next);
      }
    });
    const r = random;
    tf.dispose([ctx.reals, r.z, r.zMix, ...r.noise, ...(r.pIn ? [r.pIn, r.pOut!] : []), ...(r.plNoise ? [r.plNoise] : []), ...(ctx.perturbed ? [ctx.perturbed] : [])]);
    this.step++;
    const metrics: StepMetrics = {};
    for (const [k, t] of Object.entries(pending)) {
      const v = (await t.data())[0]!;
      t.dispose();
      if (k === "plMean") this.plMean = v;
      else metrics[k] = v;
    }
    // ADA: adapt the augmentation probability every 4 steps from sign(D(real)).
    if (metrics["D/realSign"] !== undefined) this.augmenter.observe(metrics["D/realSign"], c.batch);
    if (this.step % 4 === 0) this.augmenter.adjust(4 * c.batch);
    if (this.augmenter.enabled) metrics["augment/p"] = this.augmenter.p;
    return metrics;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.nets.G), ...Object.values(this.nets.D), ...Object.values(this.emaG), ...this.masks.flatMap((m) => (typeof m.mask === "function" ? [] : [m.mask]))]);
    this.optG.dispose();
    this.optD.dispose();
  }
}



let instances = 0;
