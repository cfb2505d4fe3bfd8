import { tf } from "../tf.ts";
import { type ParamSpec, type ParamValues, sizeOf } from "./params.ts";

/**
 * Check that `values` holds every parameter of `specs` at its size, then upload them as float32
 * tensors on the active backend (extra values, e.g. another network's in the same shards, are
 * ignored). `network` names the network in the errors. What the Generator, Segmenter and Encoder
 * classes build themselves from.
 *
 * @example
 * const params = uploadParams(segmenterParamSpecs(cfg), loaded.values, "segmenter");
 */
export function uploadParams(specs: ParamSpec[], values: ParamValues, network: string): Record<string, tf.Tensor> {
  for (const s of specs) {
    const v = values.get(s.name);
    if (!v) throw new Error(`${network} parameter missing: ${s.name}`);
    if (v.length !== sizeOf(s.shape)) throw new Error(`${network} parameter ${s.name}: expected ${sizeOf(s.shape)} values for shape [${s.shape}], got ${v.length}`);
  }
  return Object.fromEntries(specs.map((s) => [s.name, tf.tensor(values.get(s.name)!, s.shape, "float32")]));
}
