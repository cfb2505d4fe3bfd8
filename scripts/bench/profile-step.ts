/**
 * Where a training step's time goes, per tfjs kernel (tf.profile), on tfjs-node:
 *
 *   node --import tsx scripts/bench/profile-step.ts [--config FILE] [--batch N] [--steps N] [--shapes] [--top N]
 *                                                   [--upsample-edges zero|replicate|config]
 *
 * Random data, the config's networks and phases (default: the sweep's pretraining config with zero
 * upsampling edges, the step bench:train compares with PyTorch), skipping
 * step 0 (its R1 phase is timed only when a measured step is a multiple of r1Interval). Prints the
 * wall time and the summed kernel time per step, the kernel count, and the costliest kernels.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { randomTrainingData } from "../lib/random-data.ts";
import { selectBackend } from "../../trainer/backends.ts";
import { tf } from "../../trainer/tf-node.ts";
import { TrainConfig } from "../../trainer/training/config.ts";
import { Trainer } from "../../trainer/training/trainer.ts";

const { values: a } = parseArgs({
  options: {
    config: { type: "string", default: "trainer/configs/sweep/faces64-pretrain-g1.json" },
    batch: { type: "string" },
    steps: { type: "string", default: "2" },
    shapes: { type: "boolean", default: false },
    top: { type: "string", default: "25" },
    "upsample-edges": { type: "string", default: "zero" },
  },
});
await selectBackend("tensorflow");
const raw = JSON.parse(readFileSync(a.config!, "utf8"));
delete raw.dataset;
const edges = a["upsample-edges"];
if (edges !== "config") raw.generator = { ...raw.generator, upsampleEdges: edges };
const cfg = TrainConfig.parse({ ...raw, ...(a.batch ? { batch: Number(a.batch) } : {}) });
if (cfg.regions.some((r) => r.mask.kind === "semantic")) throw new Error(`${a.config}: semantic regions need a segmenter; profile a config without them`);
const res = cfg.generator.resolution;
const data = randomTrainingData(res);
const t = Trainer.create(cfg, data);
t.step = 1;
await t.trainStep(); // warm-up
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
const steps = Number(a.steps);
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
for (const [k, v] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, Number(a.top))) console.log(`| ${k} | ${(v.ms / steps).toFixed(1)} | ${(v.n / steps).toFixed(1)} |`);
