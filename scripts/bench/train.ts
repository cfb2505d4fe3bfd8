/**
 * npm run bench:train: training throughput (img/s) and peak memory per backend, for the shipped
 * config (faces64) and the tiny one, on random data. Each (backend, config) runs in its own process
 * (tfjs backends and their memory are per process). Steps include LinkGAN steps (3 regions, every
 * 8th step) and one R1 step, in their normal proportions.
 *
 * Beside them, a plain pretraining step mix ("faces64-pretrain": trainer/configs/sweep/
 * faces64-pretrain-g1.json with zero upsampling edges; links off, DiffAugment on, R1 every 16) runs
 * on tfjs-node and in PyTorch (scripts/bench/torch_reference.py, the same networks and step on the
 * CPU; a benchmark reference only, checked equal by torch-reference-check.ts), when python3 has torch
 * (scripts/bench/requirements-reference.txt), and the two img/s are compared.
 *
 *   npm run bench:train -- --steps 16
 *   npm run bench:train -- --steps 16 --only tensorflow:faces64-pretrain,pytorch
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { randomTrainingData } from "../lib/random-data.ts";
import { type BackendName, selectBackend } from "../../trainer/backends.ts";
import { TrainConfig } from "../../trainer/training/config.ts";
import { Trainer } from "../../trainer/training/trainer.ts";
import { tf } from "../../trainer/tf-node.ts";
import { command, int, list, str } from "../../trainer/cli/args.ts";

const values = command({
  run: "npm run bench:train --",
  name: "bench:train",
  summary: "Training throughput (img/s) and peak memory per backend, on random data, beside a PyTorch reference when python3 has torch.",
  flags: {
    steps: { value: "N", help: "timed steps per row", type: int(1, 10_000), default: 16 },
    batch: { value: "N", help: "batch size", type: int(1, 256), default: 16 },
    only: { value: "ROWS", help: 'rows to run: "backend:config" and/or "pytorch", comma-separated', type: list(), defaultText: "all" },
    "torch-threads": { value: "N", help: "PyTorch's intra-op threads (torch.set_num_threads); TensorFlow uses every core by default", type: int(1, 1024), default: availableParallelism() },
    child: { value: "BACKEND:CONFIG", help: "(internal) measure one row in this process", type: str() },
  },
  examples: ["npm run bench:train -- --steps 16 --only tensorflow:faces64-pretrain,pytorch"],
}).parseOrExit();
const { steps, batch } = values;

/** The plain pretraining config both sides of the tfjs/PyTorch comparison run. */
const PRETRAIN_CONFIG = "trainer/configs/sweep/faces64-pretrain-g1.json";
type BenchConfig = ConfigName | "faces64-pretrain";

/** faces64-pretrain-g1 as it is (links off, DiffAugment on, R1 every 16), with zero upsampling edges. */
function pretrainConfig(): TrainConfig {
  const raw = JSON.parse(readFileSync(PRETRAIN_CONFIG, "utf8"));
  return TrainConfig.parse({ ...raw, generator: { ...raw.generator, upsampleEdges: "zero" }, batch });
}

function linkedConfig(name: ConfigName): TrainConfig {
  const g = CONFIGS[name];
  const w = g.wDim;
  const third = Math.floor(w / 8);
  const box = (x: number, y: number) => ({ kind: "box" as const, x, y, width: 0.3, height: 0.2 });
  return TrainConfig.parse({
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
}

async function child(backend: BackendName, name: BenchConfig): Promise<void> {
  await selectBackend(backend);
  const cfg = name === "faces64-pretrain" ? pretrainConfig() : linkedConfig(name);
  const res = cfg.generator.resolution;
  const data = randomTrainingData(res);
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

interface Measured {
  imgPerSec: number;
  msPerStep: number;
  peakRssMB: number;
}

/** The last stdout line of a child as JSON, or why there is none. */
function lastJson<T>(r: ReturnType<typeof spawnSync>): T | string {
  const line = String(r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  if (r.status === 0 && line.startsWith("{")) return JSON.parse(line) as T;
  return (String(r.stderr ?? "").trim().split("\n").filter((l) => /Error|error/.test(l)).at(-1) ?? `exit ${r.status}`).slice(0, 120);
}

const row = (backend: string, name: string, m: Measured) => `| ${backend} | ${name} | ${m.imgPerSec.toFixed(1)} | ${m.msPerStep.toFixed(0)} | ${m.peakRssMB.toFixed(0)} |`;

/** The PyTorch reference row: the same networks and pretraining step, when python3 has torch. */
function torchRow(): { row: string; m?: Measured } {
  const has = spawnSync("python3", ["-c", "import torch"], { encoding: "utf8" });
  if (has.error || has.status !== 0) {
    return { row: "| pytorch (reference) | faces64-pretrain | not installed: pip install -r scripts/bench/requirements-reference.txt (see the comment there) | | |" };
  }
  process.stderr.write("pytorch faces64-pretrain …\n");
  const args = ["scripts/bench/torch_reference.py", "--config", PRETRAIN_CONFIG, "--upsample-edges", "zero", "--batch", String(batch), "--steps", String(steps), "--threads", String(values["torch-threads"])];
  const r = spawnSync("python3", args, { encoding: "utf8" });
  const m = lastJson<Measured & { torch: string; threads: number }>(r);
  if (typeof m === "string") return { row: `| pytorch (reference) | faces64-pretrain | failed: ${m} | | |` };
  return { row: row(`pytorch ${m.torch} (reference, ${m.threads} threads)`, "faces64-pretrain", m), m };
}

if (values.child) {
  const [backend, name] = values.child.split(":") as [BackendName, BenchConfig];
  await child(backend, name);
} else {
  const rows: string[] = [];
  const plan: [BackendName, BenchConfig][] = [
    ["tensorflow", "tiny"],
    ["tensorflow", "faces64"],
    ["tensorflow", "faces64-pretrain"],
    ["cpu", "tiny"],
    ["webgpu", "tiny"],
  ];
  const only = values.only;
  const wanted = (key: string) => !only || only.includes(key);
  let tfjsPretrain: Measured | undefined;
  for (const [backend, name] of plan) {
    if (!wanted(`${backend}:${name}`)) continue;
    process.stderr.write(`${backend} ${name} …\n`);
    const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/bench/train.ts", "--child", `${backend}:${name}`, "--steps", String(steps), "--batch", String(batch)], { encoding: "utf8" });
    const m = lastJson<Measured>(r);
    if (typeof m === "string") {
      rows.push(`| ${backend} | ${name} | not available: ${m} | | |`);
      continue;
    }
    if (backend === "tensorflow" && name === "faces64-pretrain") tfjsPretrain = m;
    rows.push(row(backend, name, m));
  }
  const torch = wanted("pytorch") ? torchRow() : undefined;
  if (torch) rows.push(torch.row);
  console.log(`\nTraining throughput, batch ${batch}, ${steps} steps after a warm-up (tiny, faces64: LinkGAN every 8 steps with 3 regions, R1 every 16)\n`);
  console.log("| backend | config | img/s | ms/step | peak RSS (MiB) |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log(`\nfaces64-pretrain: ${PRETRAIN_CONFIG} with upsampleEdges "zero": links off, DiffAugment on, R1 every 16 (the step the PyTorch reference implements).`);
  if (tfjsPretrain && torch?.m) {
    console.log(`tfjs-node / PyTorch img/s on faces64-pretrain: ${(tfjsPretrain.imgPerSec / torch.m.imgPerSec).toFixed(2)}×`);
  }
}
