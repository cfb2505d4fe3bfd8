import { Prng } from "../random/prng.ts";
import { type GeneratorConfig, channelsAt, convLayers, rgbLayers } from "./config.ts";

/** How a parameter starts life (StyleGAN2's initialisation). */
export type ParamInit = "normal" | "zeros" | "ones";

export interface ParamSpec {
  name: string;
  shape: number[];
  init: ParamInit;
  /** Standard deviation for "normal" init (mapping weights are N(0, 1/lrMul²), as in StyleGAN2). */
  std?: number;
  /** Buffers (w_avg) are tracked by the trainer, not optimised. */
  trainable: boolean;
}

/** Host-side parameter values by name (what the weight format stores and the loader returns). */
export type ParamValues = Map<string, Float32Array>;

/**
 * Every parameter of the generator, in a fixed order: the single source of truth for names and
 * shapes, used to initialise, to export and to check loaded weights.
 */
export function generatorParamSpecs(cfg: GeneratorConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  let fanIn = cfg.zDim;
  for (let i = 0; i < cfg.mappingLayers; i++) {
    specs.push({ name: `mapping.fc${i}.weight`, shape: [fanIn, cfg.wDim], init: "normal", std: 1 / cfg.mappingLrMul, trainable: true });
    specs.push({ name: `mapping.fc${i}.bias`, shape: [cfg.wDim], init: "zeros", trainable: true });
    fanIn = cfg.wDim;
  }
  specs.push({ name: "mapping.w_avg", shape: [cfg.wDim], init: "zeros", trainable: false });
  specs.push({ name: "synthesis.b4.const", shape: [4, 4, channelsAt(cfg, 4)], init: "normal", trainable: true });
  const convs = convLayers(cfg);
  const rgbs = rgbLayers(cfg);
  for (const res of [...new Set(convs.map((l) => l.res))]) {
    for (const l of convs.filter((c) => c.res === res)) {
      specs.push({ name: `${l.name}.affine.weight`, shape: [cfg.wDim, l.inChannels], init: "normal", trainable: true });
      specs.push({ name: `${l.name}.affine.bias`, shape: [l.inChannels], init: "ones", trainable: true });
      specs.push({ name: `${l.name}.weight`, shape: [3, 3, l.inChannels, l.outChannels], init: "normal", trainable: true });
      specs.push({ name: `${l.name}.bias`, shape: [l.outChannels], init: "zeros", trainable: true });
      specs.push({ name: `${l.name}.noise_strength`, shape: [1], init: "zeros", trainable: true });
    }
    const rgb = rgbs.find((r) => r.res === res)!;
    specs.push({ name: `${rgb.name}.affine.weight`, shape: [cfg.wDim, rgb.inChannels], init: "normal", trainable: true });
    specs.push({ name: `${rgb.name}.affine.bias`, shape: [rgb.inChannels], init: "ones", trainable: true });
    specs.push({ name: `${rgb.name}.weight`, shape: [1, 1, rgb.inChannels, 3], init: "normal", trainable: true });
    specs.push({ name: `${rgb.name}.bias`, shape: [3], init: "zeros", trainable: true });
  }
  return specs;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Freshly initialised parameters, deterministic from `seed` (same values in every runtime). */
export function initParams(specs: ParamSpec[], seed: number): ParamValues {
  const rng = new Prng(seed, 0xffff_0000);
  const out: ParamValues = new Map();
  for (const s of specs) {
    const n = sizeOf(s.shape);
    if (s.init === "normal") {
      const v = rng.normals(n);
      if (s.std !== undefined) for (let i = 0; i < n; i++) v[i]! *= s.std;
      out.set(s.name, v);
    } else {
      out.set(s.name, new Float32Array(n).fill(s.init === "ones" ? 1 : 0));
    }
  }
  return out;
}

/** Total number of scalars. */
export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((a, s) => a + sizeOf(s.shape), 0);
}

