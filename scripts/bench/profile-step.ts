/**
 * Where a training step's time goes, per tfjs kernel (tf.profile), on tfjs-node:
 *
 *   node --import tsx scripts/bench/profile-step.ts [--config FILE] [--batch N] [--steps N] (--help lists the flags)
 *
 * Random data, the config's networks and phases (default: the sweep's pretraining config with zero
 * upsampling edges, the step bench:train compares with PyTorch), skipping
 * step 0 (its R1 phase is timed only when a measured step is a multiple of r1Interval). Prints the
 * wall time and the summed kernel time per step, the kernel count, and the costliest kernels.
 */
import { readFileSync } from "node:fs";
import { randomTrainingData } from "../lib/random-data.ts";
import { selectBackend } from "../../trainer/backends.ts";
import { command, int, oneOf, str } from "../../trainer/cli/args.ts";
import { tf } from "../../trainer/tf-node.ts";
import { TrainConfig } from "../../trainer/training/config.ts";
import { Trainer } from "../../trainer/training/trainer.ts";

const a = command({
  run: "node --import tsx scripts/bench/profile-step.ts",
  name: "profile-step",
  summary: "Where a training step's time goes, per tfjs kernel, on tfjs-node (random data).",
  flags: {
    config: { value: "FILE", help: "training config", type: str(), default: "trainer/configs/sweep/faces64-pretrain-g1.json" },
    batch: { value: "N", help: "batch size", type: int(1, 256), defaultText: "the config's" },
    steps: { value: "N", help: "measured steps", type: int(1, 1000), default: 2 },
    shapes: { switch: true, help: "one row per kernel and output shape" },
    top: { value: "N", help: "rows of the costliest kernels", type: int(1, 10_000), default: 25 },
    "upsample-edges": { value: "E", help: "zero | replicate | config (as the config says)", type: oneOf(["zero", "replicate", "config"]), default: "zero" },
  },
}).parseOrExit();
await selectBackend("tensorflow");
const raw = JSON.parse(readFileSync(a.config, "utf8"));
delete raw.dataset;
const edges = a["upsample-edges"];
if (edges !== "config") raw.generator = { ...raw.generator, upsampleEdges: edges };
const cfg = TrainConfig.parse({ ...raw, ...(a.batch ? { batch: a.batch } : {}) });
if (cfg.regions.some((r) => r.mask.kind === "semantic")) throw new Error(`${a.config}: semantic regions need a segmenter; profile a config without them`);
const res = cfg.generator.resolution;
const data = randomTrainingData(res);
const t = Trainer.create(cfg, data);
t.step = 1;
await t.trainStep(); // warm-up
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
const steps = a.steps;
const t0 = performance.now();
for (let s = 0; s < steps; s++) {
  const prof = await tf.profile(async () => {
    await t.trainStep();
  });
  for (const k of prof.kernels) {
    const ms = await k.kernelTimeMs;
    const key = a.shapes ? `${k.name} ${JSON.stringify(k.outputShapes)}` : k.name;
    const e = agg.get(key) ?? { ms: 0, n: 0 };
    e.ms += typeof ms === "number" ? ms : 0;
    e.n++;
    agg.set(key, e);
    total += typeof ms === "number" ? ms : 0;
  }
}
const wall = (performance.now() - t0) / steps;
const count = [...agg.values()].reduce((x, e) => x + e.n, 0) / steps;
console.log(`${a.config}, batch ${cfg.batch}: wall ${wall.toFixed(0)} ms/step (profiled), kernel time ${(total / steps).toFixed(0)} ms/step, ${count.toFixed(0)} kernels/step\n`);
console.log("| kernel | ms/step | calls/step |");
console.log("|---|---|---|");
for (const [k, v] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, a.top)) console.log(`| ${k} | ${(v.ms / steps).toFixed(1)} | ${(v.n / steps).toFixed(1)} |`);
