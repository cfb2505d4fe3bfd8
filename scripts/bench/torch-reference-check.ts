/**
 * Does scripts/bench/torch_reference.py compute what the project computes? A benchmark reference is
 * only worth its number if it runs the same networks, so this writes the project's parameters,
 * inputs and outputs (cpu backend) for a small config into a temp folder and has the Python script
 * recompute them in PyTorch (`--check DIR`), which prints the differences and exits non-zero when
 * one exceeds 1e-4. Benchmark tooling only: needs python3 with torch (requirements-reference.txt).
 *
 *   node --import tsx scripts/bench/torch-reference-check.ts [--keep]
 *
 * Written (DIR/index.json + DIR/tensors.bin, float32 little-endian): every G and D parameter
 * ("G/…", "D/…"), the inputs ("in/…": z, zMix, a random W+ batch, noise maps, reals) and the
 * outputs ("out/…"): mapping w; synthesis images from w and from the W+ batch (noise given);
 * D logits on the reals; the R1 penalty; Gmain's and Dmain's losses; and the gradients of Gmain
 * (w.r.t. G), Dmain and R1 (w.r.t. D), all with augmentation off (identity); and, on its own, the
 * reals through DiffAugment with parameters drawn here ("in/aug/…", every transform applied).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GeneratorConfig, convLayers, numWs } from "../../shared/generator/config.ts";
import { mapping, synthesis } from "../../shared/generator/network.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { Prng } from "../../shared/random/prng.ts";
import { TINY, tinyValues } from "../../test/fixtures/tiny.ts";
import { AugmentConfig, augment, drawAugmentParams } from "../../trainer/augment/diffaugment.ts";
import { selectBackend } from "../../trainer/backends.ts";
import { command } from "../../trainer/cli/args.ts";
import { type Nets, dMainLoss, gMainLoss, r1Penalty } from "../../trainer/loss/stylegan2.ts";
import { DiscriminatorConfig, discriminator, discriminatorParamSpecs } from "../../trainer/networks/discriminator.ts";
import { tf } from "../../trainer/tf-node.ts";

const values = command({
  run: "node --import tsx scripts/bench/torch-reference-check.ts",
  name: "torch-reference-check",
  summary: "Checks the PyTorch benchmark reference against the tfjs networks and losses on the tiny config.",
  flags: { keep: { switch: true, help: "keep the temporary folder of exchanged tensors" } },
}).parseOrExit();

await selectBackend("cpu");
const N = 4;
const gCfg = GeneratorConfig.parse({ ...TINY, upsampleEdges: "zero" });
// D matching TINY's widths; mbstd group 2 so that the batch of 4 forms two groups (the group layout matters).
const dCfg = DiscriminatorConfig.parse({ resolution: gCfg.resolution, channelBase: gCfg.channelBase, channelMax: gCfg.channelMax, mbstdGroup: 2 });

// G: the test fixture's values (initParams, plus non-zero noise strengths, biases and w_avg so every
// input matters). D: initParams, plus non-zero biases for the same reason.
const gSpecs = generatorParamSpecs(gCfg);
const gValues = tinyValues(1);
const dSpecs = discriminatorParamSpecs(dCfg);
const dValues = initParams(dSpecs, 2);
const bump = new Prng(2, 12345);
for (const [name, v] of dValues) if (name.endsWith(".bias")) for (let i = 0; i < v.length; i++) v[i]! += 0.2 * bump.normal();

const vars = (specs: typeof gSpecs, vals: typeof gValues, prefix: string) =>
  Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(vals.get(s.name)!, s.shape), s.trainable, `check/${prefix}/${s.name}`)]));
const G = vars(gSpecs, gValues, "G");
const D = vars(dSpecs, dValues, "D");
const nets: Nets = { gCfg, dCfg, G, D };

const res = gCfg.resolution;
const nw = numWs(gCfg);
const z = tf.tensor2d(new Prng(3).normals(N * gCfg.zDim), [N, gCfg.zDim]);
const zMix = tf.tensor2d(new Prng(4).normals(N * gCfg.zDim), [N, gCfg.zDim]);
const wsPlus = tf.tensor3d(new Prng(5).normals(N * nw * gCfg.wDim), [N, nw, gCfg.wDim]);
const noise = convLayers(gCfg).map((l, i) => tf.tensor4d(new Prng(6, 1 + i).normals(N * l.res * l.res), [N, l.res, l.res, 1]));
const reals = tf.tensor4d(new Prng(7).normals(N * res * res * 3).map(Math.tanh), [N, res, res, 3]);
const mixCutoff = 3;

const tensors: { name: string; t: tf.Tensor }[] = [];
const put = (name: string, t: tf.Tensor): void => {
  tensors.push({ name, t });
};
for (const s of gSpecs) put(`G/${s.name}`, G[s.name]!);
for (const s of dSpecs) put(`D/${s.name}`, D[s.name]!);
put("in/z", z);
put("in/zMix", zMix);
put("in/wsPlus", wsPlus);
for (const [i, m] of noise.entries()) put(`in/noise/${i}`, m);
put("in/reals", reals);

const w = mapping(G, gCfg, z);
const images = synthesis(G, gCfg, w, noise);
put("out/w", w);
put("out/images", images);
put("out/imagesWPlus", synthesis(G, gCfg, wsPlus, noise));
put("out/dReals", discriminator(D, dCfg, reals));
put("out/r1", r1Penalty(nets, reals));
// DiffAugment with every transform applied: its drawn parameters go along, the result is compared.
const aug = drawAugmentParams(AugmentConfig.parse({}), 1, N, res, new Prng(8));
put("in/aug/brightness", tf.tensor1d(aug.brightness));
put("in/aug/saturation", tf.tensor1d(aug.saturation));
put("in/aug/contrast", tf.tensor1d(aug.contrast));
put("in/aug/dy", tf.tensor1d(Float32Array.from(aug.dy)));
put("in/aug/dx", tf.tensor1d(Float32Array.from(aug.dx)));
put("in/aug/cutoutMask", tf.tensor3d(aug.cutoutMask!, [N, res, res]));
put("out/augmentedReals", augment(reals, aug));

const named = (all: Record<string, tf.Variable>, grads: tf.NamedTensorMap, group: string) => {
  for (const [name, v] of Object.entries(all)) if (grads[v.name]) put(`out/${group}/${name}`, grads[v.name]!);
};
const gTrainable = gSpecs.filter((s) => s.trainable).map((s) => G[s.name]!);
const gMain = tf.variableGrads(() => gMainLoss(nets, { z, zMix, mixCutoff, noise }).loss, gTrainable);
put("out/gLoss", gMain.value);
named(G, gMain.grads, "gradG");
const dMain = tf.variableGrads(() => dMainLoss(nets, reals, images).loss, Object.values(D));
put("out/dLoss", dMain.value);
named(D, dMain.grads, "gradD");
// As the trainer's R1 phase: every D variable but out.bias (whose R1 gradient is zero).
const r1 = tf.variableGrads(() => r1Penalty(nets, reals), Object.values(D).filter((v) => !v.name.endsWith("out.bias")));
named(D, r1.grads, "gradR1");

const dir = mkdtempSync(join(tmpdir(), "torch-reference-check-"));
const index: { name: string; shape: number[]; offset: number }[] = [];
const chunks: Buffer[] = [];
let offset = 0;
for (const { name, t } of tensors) {
  const data = Float32Array.from(await t.data());
  const buf = Buffer.alloc(4 * data.length);
  for (let i = 0; i < data.length; i++) buf.writeFloatLE(data[i]!, 4 * i);
  index.push({ name, shape: t.shape, offset });
  chunks.push(buf);
  offset += buf.length;
}
writeFileSync(join(dir, "tensors.bin"), Buffer.concat(chunks));
writeFileSync(join(dir, "index.json"), JSON.stringify({ generator: gCfg, discriminator: dCfg, batch: N, mixCutoff, tensors: index }, null, 1));
console.error(`wrote ${index.length} tensors (${(offset / 2 ** 20).toFixed(1)} MiB) to ${dir}`);

const py = spawnSync("python3", ["scripts/bench/torch_reference.py", "--check", dir], { stdio: "inherit" });
if (!values.keep) rmSync(dir, { recursive: true, force: true });
if (py.error) {
  console.error(`could not run python3: ${py.error.message}; install torch as scripts/bench/requirements-reference.txt says`);
  process.exit(2);
}
process.exit(py.status ?? 1);
