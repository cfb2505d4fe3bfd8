import type { ParamSpec } from "../generator/params.ts";
import type { SegmenterConfig } from "./config.ts";

/** Every segmenter parameter name starts with this, so it can share a weight file with a generator. */
export const SEGMENTER_PREFIX = "segmenter.";

/** One 3×3 conv of the U-Net: its parameter name stem and channel counts. */
export interface SegConv {
  name: string;
  inChannels: number;
  outChannels: number;
}

/**
 * The U-Net's 3×3 convs in order. Encoder level l: two convs (`down{l}`); decoder level l (from the
 * bottleneck up): upsample, concatenate the encoder's level-l features, two convs (`up{l}`).
 */
export function segmenterConvs(cfg: SegmenterConfig): { down: SegConv[][]; up: SegConv[][] } {
  const ch = cfg.channels;
  const down = ch.map((c, l) => [
    { name: `${SEGMENTER_PREFIX}down${l}.conv0`, inChannels: l === 0 ? 3 : ch[l - 1]!, outChannels: c },
    { name: `${SEGMENTER_PREFIX}down${l}.conv1`, inChannels: c, outChannels: c },
  ]);
  const up: SegConv[][] = [];
  for (let l = ch.length - 2; l >= 0; l--) {
    up.push([
      { name: `${SEGMENTER_PREFIX}up${l}.conv0`, inChannels: ch[l + 1]! + ch[l]!, outChannels: ch[l]! },
      { name: `${SEGMENTER_PREFIX}up${l}.conv1`, inChannels: ch[l]!, outChannels: ch[l]! },
    ]);
  }
  return { down, up };
}

/**
 * Every segmenter parameter in a fixed order (the single source of truth for names and shapes). Convs
 * start He-normal (std √(2/fanIn)) for the ReLUs, biases at zero.
 */
export function segmenterParamSpecs(cfg: SegmenterConfig): ParamSpec[] {
  const { down, up } = segmenterConvs(cfg);
  const specs: ParamSpec[] = [];
  const conv = (c: SegConv, k: number, std: number) => {
    specs.push({ name: `${c.name}.weight`, shape: [k, k, c.inChannels, c.outChannels], init: "normal", std, trainable: true });
    specs.push({ name: `${c.name}.bias`, shape: [c.outChannels], init: "zeros", trainable: true });
  };
  for (const c of [...down.flat(), ...up.flat()]) conv(c, 3, Math.sqrt(2 / (9 * c.inChannels)));
  conv({ name: `${SEGMENTER_PREFIX}head`, inChannels: cfg.channels[0]!, outChannels: cfg.classes.length }, 1, Math.sqrt(1 / cfg.channels[0]!));
  return specs;
}
