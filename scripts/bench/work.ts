/**
 * The arithmetic of one generator image, counted from its config (no tensors): FLOPs per synthesis
 * block, for the bench's effective GFLOP/s, and the share of that work a region edit needs when each
 * layer is computed only over the mask's dependence cone (#13's sparse recompute), to bound what
 * sparse recompute could save against the measured time of each block.
 */
import { type GeneratorConfig, blockResolutions, convLayers, rgbLayers } from "../../shared/generator/config.ts";

/** FLOPs of one image (multiply-add = 2): the mapping, and per synthesis resolution its convs, affines and toRGB. */
export interface GeneratorFlops {
  mapping: number;
  /** Synthesis FLOPs by block resolution (4, 8, …). */
  byRes: Map<number, number>;
  total: number;
}

/**
 * FLOPs of one image: dense layers (mapping, the style affines), each modulated 3×3 conv at its
 * output resolution (an upsampling conv counted as a 3×3 conv at the higher resolution, the nominal
 * StyleGAN2 count), each 1×1 toRGB. Elementwise work (modulation, demodulation, noise, bias,
 * activation, the skip path's upsampling) is left out: it is small in FLOPs, and dividing the
 * nominal count by the measured time is what "effective GFLOP/s" means here.
 *
 * @example
 * generatorFlops(CONFIGS.faces64).total / 1e9; // ≈ 0.65 GFLOP per image
 */
export function generatorFlops(cfg: GeneratorConfig): GeneratorFlops {
  const mapping = 2 * cfg.zDim * cfg.wDim + 2 * (cfg.mappingLayers - 1) * cfg.wDim * cfg.wDim;
  const byRes = new Map<number, number>(blockResolutions(cfg).map((r) => [r, 0]));
  const add = (res: number, f: number) => byRes.set(res, byRes.get(res)! + f);
  for (const l of convLayers(cfg)) add(l.res, 2 * l.res * l.res * l.inChannels * l.outChannels * 9 + 2 * cfg.wDim * l.inChannels);
  for (const r of rgbLayers(cfg)) add(r.res, 2 * r.res * r.res * r.inChannels * 3 + 2 * cfg.wDim * r.inChannels);
  return { mapping, byRes, total: mapping + [...byRes.values()].reduce((a, b) => a + b, 0) };
}

/** A half-open interval of pixel rows or columns. */
type Span = [number, number];
const grow = ([lo, hi]: Span, by: number, size: number): Span => [Math.max(0, lo - by), Math.min(size, hi + by)];
/** What a 2× upsample (reach 1 at the lower resolution) needs of its input for an output span. */
const halve = ([lo, hi]: Span, size: number): Span => grow([Math.floor(lo / 2), Math.ceil(hi / 2)], 1, size);
const union = (a: Span, b: Span): Span => [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
const len = ([lo, hi]: Span) => hi - lo;

/**
 * The share of each block's synthesis FLOPs that a region edit needs, when every layer is computed
 * only over the bounding box its outputs in `box` depend on: walking back from the output, a 3×3
 * conv grows the box by 1, a 2× upsample halves it and grows it by 1, and the toRGB skip path
 * needs the image over the box too; boxes are clamped at the image border. `box` is in output
 * pixels, half-open: [x0, y0, x1, y1].
 *
 * @example
 * coneShares(CONFIGS.faces64, [22, 22, 42, 42]).get(64); // ≈ 0.11: of the 64 px block, for a 20×20 box
 */
export function coneShares(cfg: GeneratorConfig, box: [number, number, number, number]): Map<number, number> {
  const flops = generatorFlops(cfg).byRes;
  const out = new Map<number, number>();
  let img: [Span, Span] = [
    [box[0], box[2]],
    [box[1], box[3]],
  ];
  let x = img;
  for (const res of [...blockResolutions(cfg)].reverse()) {
    const at = (s: [Span, Span]) => len(s[0]) * len(s[1]);
    const conv1In: [Span, Span] = [grow(x[0], 1, res), grow(x[1], 1, res)];
    // FLOPs of this block by layer (same formulas as generatorFlops), each over its output box.
    const c = convLayers(cfg).filter((l) => l.res === res);
    const rgb = rgbLayers(cfg).find((r) => r.res === res)!;
    const perPixel = (l: (typeof c)[number]) => 2 * l.inChannels * l.outChannels * 9;
    let needed = 2 * rgb.inChannels * 3 * at(img) + 2 * cfg.wDim * rgb.inChannels;
    const conv1 = c.find((l) => !l.up)!;
    needed += perPixel(conv1) * at(x) + 2 * cfg.wDim * conv1.inChannels;
    const conv0 = c.find((l) => l.up);
    if (conv0) needed += perPixel(conv0) * at(conv1In) + 2 * cfg.wDim * conv0.inChannels;
    out.set(res, needed / flops.get(res)!);
    if (res === 4) break;
    const half = res / 2;
    img = [halve(img[0], half), halve(img[1], half)];
    const conv0In: [Span, Span] = [halve(grow(conv1In[0], 1, res), half), halve(grow(conv1In[1], 1, res), half)];
    x = [union(conv0In[0], img[0]), union(conv0In[1], img[1])];
  }
  return out;
}
