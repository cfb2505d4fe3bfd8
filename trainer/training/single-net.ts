/**
 * What a trainer of one network (the part segmenter, the inversion encoder) keeps between steps, and
 * its checkpoint: the network's variables, Adam, the PRNG, the data order and the step. A checkpoint
 * holds all of them, so a resumed run continues bit for bit; `compact` writes float16 weights and
 * moments with log8 second moments (compact.ts), as the GAN trainer's committed checkpoints.
 *
 * @example
 * class MyTrainer extends SingleNetTrainer<MyConfig> { … }
 * const saved = await readSingleNetCheckpoint(dir, config, "M/");
 * const t = new MyTrainer(config, saved.rng, saved.values).restore(saved);
 */
import type { ParamSpec, ParamValues } from "../../shared/generator/params.ts";
import { Prng, type PrngState } from "../../shared/random/prng.ts";
import { tf } from "../tf-node.ts";
import type { Adam, FusedAdam } from "./adam.ts";
import { type TensorData, configHash, loadCheckpoint, paramValues, saveCheckpoint } from "./checkpoint.ts";
import { compactEncoding } from "./compact.ts";
import { type DataOrder, nextIndices } from "./data-order.ts";

/** A checkpoint read back: the network's values and the state `SingleNetTrainer.restore` sets. */
export interface SingleNetCheckpoint {
  values: ParamValues;
  rng: Prng;
  step: number;
  dataOrder: DataOrder;
  tensors: Map<string, TensorData>;
}

const OPT_PREFIX = "opt/";

/** Variables of different trainers in one process need distinct tfjs names. */
let instances = 0;

export abstract class SingleNetTrainer<C> {
  step = 0;
  protected readonly params: Record<string, tf.Variable>;
  protected dataOrder: DataOrder = { order: [], orderPos: 0 };

  /**
   * @param prefix the checkpoint's key prefix for the network's tensors ("S/", "E/")
   * @param varName the tfjs variable names' stem (made unique per instance)
   */
  protected constructor(
    readonly config: C,
    protected readonly specs: ParamSpec[],
    values: ParamValues,
    protected readonly opt: Adam | FusedAdam,
    protected rng: Prng,
    private readonly prefix: string,
    varName: string,
  ) {
    const id = instances++;
    this.params = Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(values.get(s.name)!, s.shape), true, `${varName}${id}/${s.name}`)]));
  }

  /** Take a checkpoint's step, data order and Adam state (its values and PRNG went to the constructor). */
  restore(saved: SingleNetCheckpoint): this {
    this.step = saved.step;
    this.dataOrder = saved.dataOrder;
    this.opt.load(OPT_PREFIX, saved.tensors);
    return this;
  }

  /** The next `n` indices of a dataset of `size` items, in the run's shuffled order. */
  protected nextIndices(size: number, n: number): number[] {
    return nextIndices(this.dataOrder, size, n, this.rng);
  }

  /** A checkpoint; `compact`: float16 weights and moments, log8 second moments (compact.ts). */
  async save(dir: string, opts: { compact?: boolean } = {}): Promise<void> {
    const tensors = new Map<string, TensorData>();
    for (const [k, v] of Object.entries(this.params)) tensors.set(`${this.prefix}${k}`, { shape: v.shape, data: (await v.data()) as Float32Array });
    for (const [k, v] of await this.opt.state(OPT_PREFIX)) tensors.set(k, v);
    const meta = { step: this.step, rng: this.rng.state(), order: this.dataOrder.order, orderPos: this.dataOrder.orderPos, configHash: await configHash(this.config) };
    await saveCheckpoint(dir, meta, tensors, opts.compact ? compactEncoding : undefined);
  }

  /** The network's current values, by parameter name. */
  async values(): Promise<ParamValues> {
    const out: ParamValues = new Map();
    for (const s of this.specs) out.set(s.name, (await this.params[s.name]!.data()) as Float32Array);
    return out;
  }

  dispose(): void {
    tf.dispose(Object.values(this.params));
    this.opt.dispose();
  }
}

/**
 * Read a checkpoint a `SingleNetTrainer` wrote with `prefix`; refuses one written by another config.
 *
 * @example
 * const saved = await readSingleNetCheckpoint("runs/seg/checkpoints/step-000000100", config, "S/");
 */
export async function readSingleNetCheckpoint(dir: string, config: unknown, prefix: string): Promise<SingleNetCheckpoint> {
  const { meta, tensors } = await loadCheckpoint(dir);
  if (meta.configHash !== (await configHash(config))) throw new Error(`checkpoint ${dir} was written by a different config; resume with the run's own config.json`);
  return {
    values: paramValues(tensors, prefix),
    rng: Prng.fromState(meta.rng as PrngState),
    step: meta.step as number,
    dataOrder: { order: meta.order as number[], orderPos: meta.orderPos as number },
    tensors,
  };
}
