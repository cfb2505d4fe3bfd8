/**
 * npm run bench:invert: what GAN inversion (#14) costs per picture: the encoder's forward pass and
 * one projector step (with the part segmenter's perceptual term, and pixels only), for the faces64
 * generator as the next default model has it (zero-edge upsampling) and the faces64-encoder config (random weights: time does not depend on them), in Node
 * (tfjs-node's TensorFlow backend, what `npm run invert` uses, and wasm) and inside workerd
 * (wasm, what POST …/invert runs on; wall time on loopback and workerd's CPU time from /proc).
 * A step's time is (time with N steps − time with 0) / N; medians over repeated runs.
 *
 *   npm run bench:invert -- --runs 5 --steps 10
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { EncoderConfig } from "../../shared/encoder/config.ts";
import { Encoder } from "../../shared/encoder/encoder.ts";
import { encoderParamSpecs } from "../../shared/encoder/params.ts";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { project } from "../../shared/inversion/projector.ts";
import { MAX_INVERT_STEPS } from "../../shared/inversion/endpoint.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../../shared/tf.ts";
import { WASM_SIMD_FILE, registerWasm } from "../../shared/wasm-backend.ts";
import { selectBackend } from "../../trainer/backends.ts";
import { command, int } from "../../trainer/cli/args.ts";
import encoderConfig from "../../trainer/configs/faces64-encoder.json";
import parts from "../../trainer/configs/faces64-parts.json";
import pretrain from "../../trainer/configs/faces64-pretrain-ada.json";
import { median } from "../lib/median.ts";
import { startWranglerDev, workerdCpuSeconds } from "../lib/wrangler-dev.ts";

const { runs, steps } = command({
  run: "npm run bench:invert --",
  name: "bench:invert",
  summary: "GAN inversion's cost per picture (encoder, projector step) in Node and inside workerd, faces64.",
  flags: {
    runs: { value: "N", help: "timed runs per row, after a warm-up (medians)", type: int(1, 1000), default: 5 },
    steps: { value: "N", help: "projector steps per timed run (a step's time is the difference to 0 steps, over N)", type: int(1, 1000), default: 10 },
  },
  examples: ["npm run bench:invert -- --runs 5 --steps 10"],
}).parseOrExit();


/** The next default model's generator (zero-edge upsampling: transposed convs), as its pretraining config has it. */
const FACES64 = GeneratorConfig.parse(pretrain.generator);

interface Row {
  encoder: number;
  step: number;
  stepPixels: number;
}

// Node: the shared code on one backend, the same work as the workerd side.
await selectBackend("tensorflow");
registerWasm(WebAssembly.compile(await readFile(createRequire(import.meta.url).resolve(WASM_SIMD_FILE))));
const nodeRows: Record<string, Row> = {};
for (const backend of ["tensorflow", "wasm"]) {
  await tf.setBackend(backend);
  const g = Generator.fromValues(FACES64, initParams(generatorParamSpecs(FACES64), 1));
  const e = Encoder.fromValues(EncoderConfig.parse(encoderConfig.encoder), initParams(encoderParamSpecs(EncoderConfig.parse(encoderConfig.encoder)), 1));
  const segCfg = SegmenterConfig.parse(parts.segmenter);
  const s = Segmenter.fromValues(segCfg, initParams(segmenterParamSpecs(segCfg), 1));
  const timed = async (fn: () => Promise<unknown>) => {
    const t: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await fn();
      if (i > 0) t.push(performance.now() - t0); // run 0 warms up
    }
    return median(t);
  };
  const [img] = await g.render(await g.mapSeeds([1], 1), [1]);
  const encoderMs = await timed(() => e.encode([img!]));
  const [w0] = await e.encode([img!]);
  const projectMs = async (n: number, perceptual: boolean) => timed(() => project(g, [img!], [w0!], { steps: n, featureNet: perceptual ? s : undefined, ...(perceptual ? {} : { weights: { perceptual: 0 } }) }));
  const base = await projectMs(0, true);
  const step = ((await projectMs(steps, true)) - base) / steps;
  const stepPixels = ((await projectMs(steps, false)) - (await projectMs(0, false))) / steps;
  nodeRows[backend] = { encoder: encoderMs, step, stepPixels };
  process.stderr.write(`node ${backend}: encoder ${encoderMs.toFixed(1)} ms, step ${step.toFixed(1)} ms, pixels-only step ${stepPixels.toFixed(1)} ms\n`);
  for (const x of [g, e, s]) x.dispose();
}

// workerd: the bench worker (scripts/bench/worker.ts) on wasm; wall time and CPU time per request.
const dev = await startWranglerDev("scripts/bench/wrangler.toml", { readyPath: "/?config=tiny" });
const wall: Record<string, number> = {};
const cpu: Record<string, number> = {};
try {
  const run = async (label: string, query: string) => {
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const c0 = workerdCpuSeconds(dev);
      const t0 = performance.now();
      const res = await dev.fetch(`/?config=faces64&edges=${FACES64.upsampleEdges}&backend=wasm&seed=1&${query}`);
      if (!res.ok) throw new Error(`workerd ${query}: HTTP ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { backend: string };
      if (body.backend !== "wasm") throw new Error(`workerd ${query}: rendered on ${body.backend}`);
      if (i > 0) {
        times.push(performance.now() - t0);
        cpus.push((workerdCpuSeconds(dev) - c0) * 1000);
      }
    }
    wall[label] = median(times);
    cpu[label] = median(cpus);
    process.stderr.write(`workerd ${label}: ${wall[label]!.toFixed(1)} ms (CPU ${cpu[label]!.toFixed(0)} ms)\n`);
  };
  await run("generate", "");
  await run("encoder", "invert=1&encodeOnly=1");
  await run("encode", "invert=1&steps=0");
  await run("steps", `invert=1&steps=${steps}`);
  await run("encodePixels", "invert=1&steps=0&perceptual=0");
  await run("stepsPixels", `invert=1&steps=${steps}&perceptual=0`);
} finally {
  await dev.stop();
}
// Each invert=1 request renders the picture first (a generate), then encodes it.
const workerdRow = (m: Record<string, number>): Row => ({ encoder: m.encoder! - m.generate!, step: (m.steps! - m.encode!) / steps, stepPixels: (m.stepsPixels! - m.encodePixels!) / steps });
const [ww, wc] = [workerdRow(wall), workerdRow(cpu)];

console.log(`\nGAN inversion per picture, faces64 with the faces64-encoder config (random weights), batch 1; median of ${runs} after 1 warm-up; a step is (${steps} steps − 0) / ${steps}\n`);
console.log("| | Node tensorflow (ms) | Node wasm (ms) | workerd wasm (ms) | workerd wasm CPU (ms) |");
console.log("|---|---|---|---|---|");
const f = (v: number) => v.toFixed(1);
console.log(`| encoder | ${f(nodeRows.tensorflow!.encoder)} | ${f(nodeRows.wasm!.encoder)} | ${f(ww.encoder)} | ${f(wc.encoder)} |`);
console.log(`| projector step, pixels + segmenter features | ${f(nodeRows.tensorflow!.step)} | ${f(nodeRows.wasm!.step)} | ${f(ww.step)} | ${f(wc.step)} |`);
console.log(`| projector step, pixels only | ${f(nodeRows.tensorflow!.stepPixels)} | ${f(nodeRows.wasm!.stepPixels)} | ${f(ww.stepPixels)} | ${f(wc.stepPixels)} |`);
console.log(`\nPOST …/invert at its bound (${MAX_INVERT_STEPS} steps with the segmenter's features), workerd CPU: about ${f(cpu.encode! - cpu.generate! + MAX_INVERT_STEPS * wc.step)} ms (a generate miss: ${f(cpu.generate!)} ms).`);
process.exit(0);
