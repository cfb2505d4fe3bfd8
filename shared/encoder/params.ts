import type { ParamSpec } from "../generator/params.ts";
import { type EncoderConfig, hiddenOf } from "./config.ts";

/** Every encoder parameter name starts with this, so it can share a weight file with a generator. */
export const ENCODER_PREFIX = "encoder.";

/** Slope of the encoder's leaky ReLUs, and the He gain that goes with it. */
export const ENCODER_LRELU_SLOPE = 0.2;
const heGain = Math.sqrt(2 / (1 + ENCODER_LRELU_SLOPE ** 2));

/**
 * Every encoder parameter in a fixed order (the single source of truth for names and shapes):
 * - `stem`: 3×3 conv, RGB → channels[0], at full resolution;
 * - `block{l}` for l = 1…L−1, a residual block from level l−1 to level l: `conv0` (3×3, stride 2),
 *   `conv1` (3×3) and `skip` (2×2 average pool, then 1×1, no bias);
 * - `fc` (4·4·channels[L−1] → hidden, leaky ReLU) and `out` (hidden → wDim, linear).
 * Convs and `fc` start He-normal for the leaky ReLUs, biases at zero. `out` starts small (std
 * 0.1/√hidden), so a fresh encoder answers close to its bias: the trainer sets that bias to the
 * generator's w_avg, so training starts from the average face.
 */
export function encoderParamSpecs(cfg: EncoderConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  const conv = (name: string, k: number, cin: number, cout: number, bias = true) => {
    specs.push({ name: `${ENCODER_PREFIX}${name}.weight`, shape: [k, k, cin, cout], init: "normal", std: heGain / Math.sqrt(k * k * cin), trainable: true });
    if (bias) specs.push({ name: `${ENCODER_PREFIX}${name}.bias`, shape: [cout], init: "zeros", trainable: true });
  };
  const ch = cfg.channels;
  conv("stem", 3, 3, ch[0]!);
  for (let l = 1; l < ch.length; l++) {
    conv(`block${l}.conv0`, 3, ch[l - 1]!, ch[l]!);
    conv(`block${l}.conv1`, 3, ch[l]!, ch[l]!);
    conv(`block${l}.skip`, 1, ch[l - 1]!, ch[l]!, false);
  }
  const flat = 16 * ch.at(-1)!;
  const hidden = hiddenOf(cfg);
  specs.push({ name: `${ENCODER_PREFIX}fc.weight`, shape: [flat, hidden], init: "normal", std: heGain / Math.sqrt(flat), trainable: true });
  specs.push({ name: `${ENCODER_PREFIX}fc.bias`, shape: [hidden], init: "zeros", trainable: true });
  specs.push({ name: `${ENCODER_PREFIX}out.weight`, shape: [hidden, cfg.wDim], init: "normal", std: 0.1 / Math.sqrt(hidden), trainable: true });
  specs.push({ name: `${ENCODER_PREFIX}out.bias`, shape: [cfg.wDim], init: "zeros", trainable: true });
  return specs;
}
