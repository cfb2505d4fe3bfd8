/**
 * npm run bench:train: training throughput (img/s) and peak memory per backend, for the shipped
 * config (faces64) and the tiny one, on random data. Each (backend, config) runs in its own process
 * (tfjs backends and their memory are per process). Steps include LinkGAN steps (3 regions, every
 * 8th step) and one R1 step, in their normal proportions.
 *
 *   npm run bench:train -- --steps 16
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { Prng } from "../../shared/random/prng.ts";
import { type BackendName, selectBackend } from "../../trainer/backends.ts";
import { TrainConfig } from "../../trainer/training/config.ts";
import { Trainer } from "../../trainer/training/trainer.ts";
import { tf } from "../../trainer/tf-node.ts";

const { values } = parseArgs({ options: { steps: { type: "string", default: "16" }, child: { type: "string" }, batch: { type: "string", default: "16" } } });
const steps = Number(values.steps);
const batch = Number(values.batch);

async function child(backend: BackendName, name: ConfigName): Promise<void> {
  await selectBackend(backend);
  const g = CONFIGS[name];
  const res = g.resolution;
  const w = g.wDim;
  const third = Math.floor(w / 8);
  const box = (x: number, y: number) => ({ kind: "box" as const, x, y, width: 0.3, height: 0.2 });
  const cfg = TrainConfig.parse({
    generator: g,
    discriminator: { channelBase: g.channelBase, channelMax: g.channelMax },
    regions: [
      { name: "a", axes: { start: 0, end: third }, mask: box(0.1, 0.3) },
      { name: "b", axes: { start: third, end: 2 * third }, mask: box(0.6, 0.3) },
      { name: "c", axes: { start: 2 * third, end: 3 * third }, mask: box(0.35, 0.7) },
    ],
    links: "on",
    batch,
    r1Interval: 16,
    totalKimg: 1,
  });
  const data = {
    size: 256,
    resolution: res,
    async batch(idx: number[]) {
      const o = new Float32Array(idx.length * res * res * 3);
      for (const [i, k] of idx.entries()) o.set(new Prng(k, 3).normals(res * res * 3).map(Math.tanh), i * res * res * 3);
      return o;
    },
  };
  const t = Trainer.create(cfg, data);
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 50);
  await t.trainStep(); // warm-up (also the step-0 LinkGAN and R1 phases)
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) await t.trainStep();
  const secs = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  console.log(JSON.stringify({ imgPerSec: (steps * batch) / secs, msPerStep: (secs * 1000) / steps, peakRssMB: peak / 2 ** 20, tfMB: tf.memory().numBytes / 2 ** 20 }));
  t.dispose();
}

if (values.child) {
  const [backend, name] = values.child.split(":") as [BackendName, ConfigName];
  await child(backend, name);
} else {
  const rows: string[] = [];
  const plan: [BackendName, ConfigName][] = [
    ["tensorflow", "tiny"],
    ["tensorflow", "faces64"],
    ["cpu", "tiny"],
    ["webgpu", "tiny"],
  ];
  for (const [backend, name] of plan) {
    process.stderr.write(`${backend} ${name} …\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/bench/train.ts", "--child", `${backend}:${name}`, "--steps", String(steps), "--batch", String(batch)], { encoding: "utf8" });
    const line = r.stdout.trim().split("\n").at(-1) ?? "";
    if (r.status !== 0 || !line.startsWith("{")) {
      rows.push(`| ${backend} | ${name} | not available: ${(r.stderr.trim().split("\n").filter((l) => /Error|error/.test(l)).at(-1) ?? `exit ${r.status}`).slice(0, 120)} | | |`);
      continue;
    }
    const m = JSON.parse(line);
    rows.push(`| ${backend} | ${name} | ${m.imgPerSec.toFixed(1)} | ${m.msPerStep.toFixed(0)} | ${m.peakRssMB.toFixed(0)} |`);
  }
  console.log(`\nTraining throughput, batch ${batch}, ${steps} steps after a warm-up (LinkGAN every 8 steps with 3 regions, R1 every 16)\n`);
  console.log("| backend | config | img/s | ms/step | peak RSS (MiB) |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(r);
}
