/**
 * npm run bench: generation time per image (batch 1) for every shipped config, and the part
 * segmenter's time per image, on tfjs's cpu and wasm (SIMD, one thread) backends, in Node and inside
 * workerd (wrangler dev on loopback), side by side; workerd's CPU time per request (from /proc); then
 * the weight bytes per dtype.
 * Medians over repeated runs after a warm-up: this machine is shared and noisy.
 *
 *   npm run bench -- --runs 9
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { CONFIGS } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { countParams, generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { packModel } from "../../shared/weights/pack.ts";
import type { WeightDtype } from "../../shared/weights/quantize.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../../shared/tf.ts";
import { WASM_SIMD_FILE, registerWasm } from "../../shared/wasm-backend.ts";
import parts from "../../trainer/configs/faces64-parts.json";
import { command, int } from "../../trainer/cli/args.ts";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { featherFor } from "../../shared/render/composite.ts";
import { coneShares, generatorFlops } from "./work.ts";
import { setupNodeCpu } from "../lib/node-tf.ts";
import { median } from "../lib/median.ts";
import { startWranglerDev, workerdCpuSeconds } from "../lib/wrangler-dev.ts";

const { runs } = command({
  run: "npm run bench --",
  name: "bench",
  summary: "Generation and segmentation time per image on the cpu and wasm backends, in Node and inside workerd, and the weight bytes per dtype.",
  flags: { runs: { value: "N", help: "timed runs per row, after a warm-up (medians)", type: int(1, 1000), default: 7 } },
  examples: ["npm run bench -- --runs 9"],
}).parseOrExit();

const BACKENDS = ["cpu", "wasm"] as const;
type Backend = (typeof BACKENDS)[number];


await setupNodeCpu();
// Node compiles the same SIMD binary the worker imports (Node may compile at run time; Workers may not).
registerWasm(WebAssembly.compile(await readFile(createRequire(import.meta.url).resolve(WASM_SIMD_FILE))));

/** Milliseconds per image, Node, one backend. */
const node: Record<Backend, Record<string, number>> = { cpu: {}, wasm: {} };
const nodeSegment = {} as Record<Backend, number>;
const segCfg = SegmenterConfig.parse(parts.segmenter);
for (const backend of BACKENDS) {
  await tf.setBackend(backend);
  for (const [name, cfg] of Object.entries(CONFIGS)) {
    const g = Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 1));
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      const [w] = await g.mapSeeds([i + 1], 1);
      await g.render([w!], [i + 1]);
      if (i > 0) times.push(performance.now() - t0); // run 0 warms up
    }
    g.dispose();
    node[backend][name] = median(times);
    process.stderr.write(`node ${backend} ${name}: ${node[backend][name]!.toFixed(1)} ms\n`);
  }
  // The part segmenter (#7) on one faces64 image: what a semantic mask adds to a render miss.
  const g = Generator.fromValues(CONFIGS.faces64, initParams(generatorParamSpecs(CONFIGS.faces64), 1));
  const s = Segmenter.fromValues(segCfg, initParams(segmenterParamSpecs(segCfg), 1));
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const [img] = await g.render(await g.mapSeeds([i + 1], 1), [i + 1]);
    const t0 = performance.now();
    await s.labels([img!]);
    if (i > 0) times.push(performance.now() - t0);
  }
  g.dispose();
  s.dispose();
  nodeSegment[backend] = median(times);
  process.stderr.write(`node ${backend} segmenter: ${nodeSegment[backend].toFixed(1)} ms\n`);
}

// What sparse recompute of a region edit could save (#13), measured on Node wasm: each faces64
// block's time, as the difference between generating the same network cut at 64, 32, 16 and 8 px
// (the blocks below a resolution are the same layers with the same channels; 8 px, the smallest
// config, holds the mapping and the 4 and 8 px blocks), against the share
// of that block's FLOPs inside a 10%-area mask's dependence cone (./work.ts). Time saved is at most
// the cone-outside share of each block's time: per-op overhead does not shrink with a crop.
await tf.setBackend("wasm");
// The cuts take turns within each round, so this shared machine's load falls on all of them alike;
// more rounds than the other rows, as each block's time is a difference of two medians.
const cuts = [8, 16, 32, 64].map((res) => {
  const cfg = GeneratorConfig.parse({ ...CONFIGS.faces64, resolution: res });
  return { res, g: Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 1)), times: [] as number[] };
});
for (let i = 0; i <= Math.max(15, runs); i++) {
  for (const c of cuts) {
    const t0 = performance.now();
    await c.g.render(await c.g.mapSeeds([i + 1], 1), [i + 1]);
    if (i > 0) c.times.push(performance.now() - t0);
  }
}
const cutTimes = new Map(cuts.map((c) => [c.res, median(c.times)]));
for (const c of cuts) c.g.dispose();
// One 3×3 conv of the 64 px block's shape alone: what wasm's kernel reaches here (the "peak").
const convPeak = (() => {
  const c = CONFIGS.faces64.channelMax;
  const x = tf.randomNormal([1, 64, 64, c]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, c, c]) as tf.Tensor4D;
  const times: number[] = [];
  for (let i = 0; i <= Math.max(15, runs); i++) {
    const t0 = performance.now();
    const y = tf.conv2d(x, k, 1, "same");
    y.dataSync();
    y.dispose();
    if (i > 0) times.push(performance.now() - t0);
  }
  tf.dispose([x, k]);
  return (2 * 64 * 64 * c * c * 9) / median(times) / 1e6;
})();

/** Wall ms per request (loopback) and workerd's CPU ms per request, workerd, one backend. */
const workerd: Record<Backend, Record<string, { wall: number; cpu: number }>> = { cpu: {}, wasm: {} };
const workerdSegment = {} as Record<Backend, number>;
const dev = await startWranglerDev("scripts/bench/wrangler.toml", { readyPath: "/?config=tiny" });
try {
  const request = async (query: string) => {
    const res = await dev.fetch(`/?${query}`);
    if (!res.ok) throw new Error(`workerd ${query}: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { backend: string };
    if (!query.includes(`backend=${body.backend}`)) throw new Error(`workerd ${query}: rendered on ${body.backend}`);
  };
  for (const backend of BACKENDS) {
    for (const name of Object.keys(CONFIGS)) {
      await request(`config=${name}&backend=${backend}&seed=1`); // warm-up: builds the generator
      const times: number[] = [];
      const cpu0 = workerdCpuSeconds(dev);
      for (let i = 1; i <= runs; i++) {
        const t0 = performance.now();
        await request(`config=${name}&backend=${backend}&seed=${i + 1}`);
        times.push(performance.now() - t0);
      }
      const cpu = ((workerdCpuSeconds(dev) - cpu0) * 1000) / runs;
      workerd[backend][name] = { wall: median(times), cpu };
      process.stderr.write(`workerd ${backend} ${name}: ${median(times).toFixed(1)} ms (CPU ${cpu.toFixed(0)} ms/request)\n`);
    }
    const withLabels: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await request(`config=faces64&backend=${backend}&seed=${i + 1}&segment=1`);
      if (i > 0) withLabels.push(performance.now() - t0);
    }
    workerdSegment[backend] = median(withLabels) - workerd[backend].faces64!.wall;
    process.stderr.write(`workerd ${backend} segmenter: ${workerdSegment[backend].toFixed(1)} ms\n`);
  }
} finally {
  await dev.stop();
}

const ratio = (a: number, b: number) => (a / b).toFixed(1);
console.log(`\nGeneration time per image, batch 1, tfjs cpu and wasm (SIMD, one thread) backends (median of ${runs} after 1 warm-up; workerd CPU: mean per request, from /proc)\n`);
console.log("| config | resolution | params | GFLOP | Node cpu (ms) | Node wasm (ms) | Node cpu / wasm | workerd cpu (ms) | workerd wasm (ms) | workerd cpu / wasm | workerd CPU per request, cpu / wasm (ms) | effective GFLOP/s, Node cpu / wasm, workerd cpu / wasm (from its CPU time) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const [name, cfg] of Object.entries(CONFIGS)) {
  const [nc, nw] = [node.cpu[name]!, node.wasm[name]!];
  const [wc, ww] = [workerd.cpu[name]!, workerd.wasm[name]!];
  const flops = generatorFlops(cfg).total;
  // workerd's from its CPU time per request: its wall time on loopback also waits for this loaded machine.
  const gflops = (ms: number) => (flops / ms / 1e6).toFixed(1);
  console.log(
    `| ${name} | ${cfg.resolution}² | ${countParams(generatorParamSpecs(cfg)).toLocaleString("en")} | ${(flops / 1e9).toFixed(3)} | ${nc.toFixed(1)} | ${nw.toFixed(1)} | ${ratio(nc, nw)} | ${wc.wall.toFixed(1)} | ${ww.wall.toFixed(1)} | ${ratio(wc.wall, ww.wall)} | ${wc.cpu.toFixed(0)} / ${ww.cpu.toFixed(0)} | ${gflops(nc)} / ${gflops(nw)} / ${gflops(wc.cpu)} / ${gflops(ww.cpu)} |`,
  );
}

{
  // The 10%-area mask: a centred square of 10% of the pixels, plus the composite's feather on each side.
  const res = CONFIGS.faces64.resolution;
  const side = Math.round(Math.sqrt(0.1) * res);
  const [lo, hi] = [Math.floor((res - side) / 2) - featherFor(res), Math.floor((res - side) / 2) + side + featherFor(res)];
  const shares = coneShares(CONFIGS.faces64, [lo, lo, hi, hi]);
  const flops = generatorFlops(CONFIGS.faces64);
  const full = cutTimes.get(64)!;
  console.log(`\nA 10%-area region edit at 64 px, Node wasm (median of ${Math.max(15, runs)}, the cuts in turn): a ${side}×${side} mask (${((100 * side * side) / res / res).toFixed(1)}%), ${hi - lo}×${hi - lo} with the feather. Block time: faces64 cut at that resolution minus cut at half; cone share: that block's FLOPs inside the mask's dependence cone. Sparse recompute would save at most the outside share of each block's time.\n`);
  console.log("| block | GFLOP | time (ms) | effective GFLOP/s | cone share of FLOPs | time outside the cone, at most (ms) |");
  console.log("|---|---|---|---|---|---|");
  let saved = 0;
  let needed = flops.mapping;
  for (const r of [8, 16, 32, 64]) {
    const t = cutTimes.get(r)! - (r === 8 ? 0 : cutTimes.get(r / 2)!);
    const blocks = r === 8 ? [4, 8] : [r];
    const f = blocks.reduce((a, b) => a + flops.byRes.get(b)!, 0);
    const inCone = blocks.reduce((a, b) => a + flops.byRes.get(b)! * shares.get(b)!, 0);
    const outside = t * (1 - inCone / f);
    saved += outside;
    needed += inCone;
    console.log(`| ${r === 8 ? "mapping, 4² and 8²" : `${r}²`} | ${(f / 1e9).toFixed(3)} | ${t.toFixed(1)} | ${(f / t / 1e6).toFixed(1)} | ${(inCone / f).toFixed(2)} | ${outside.toFixed(1)} |`);
  }
  console.log(
    `\nFull render ${full.toFixed(1)} ms (${(flops.total / full / 1e6).toFixed(1)} GFLOP/s effective; one 64² ${CONFIGS.faces64.channelMax}→${CONFIGS.faces64.channelMax} 3×3 conv alone: ${convPeak.toFixed(1)} GFLOP/s). The edit's cone holds ${((100 * needed) / flops.total).toFixed(0)}% of the FLOPs; with sparse recompute an edit would take at least ${(full - saved).toFixed(1)} ms, ${((full - saved) / full).toFixed(2)}× a full render, if the time of each block fell with its FLOPs.`,
  );
}

console.log(`\nPart segmenter (faces64-parts architecture, ${countParams(segmenterParamSpecs(segCfg)).toLocaleString("en")} params, random weights) on one 64² image (median of ${runs}; workerd: median of generate+segment minus median of generate)\n`);
console.log("| network | Node cpu (ms) | Node wasm (ms) | Node cpu / wasm | workerd cpu (ms) | workerd wasm (ms) | workerd cpu / wasm |");
console.log("|---|---|---|---|---|---|---|");
console.log(
  `| segmenter | ${nodeSegment.cpu.toFixed(1)} | ${nodeSegment.wasm.toFixed(1)} | ${ratio(nodeSegment.cpu, nodeSegment.wasm)} | ${workerdSegment.cpu.toFixed(1)} | ${workerdSegment.wasm.toFixed(1)} | ${ratio(workerdSegment.cpu, workerdSegment.wasm)} |`,
);

console.log("\nWeight bytes per dtype (shards; int8 adds its per-channel scales, 4 B each, in the manifest)\n");
console.log("| config | float32 | float16 | int8 (+scales) | int8 / float32 |");
console.log("|---|---|---|---|---|");
for (const [name, cfg] of Object.entries(CONFIGS)) {
  const values = initParams(generatorParamSpecs(cfg), 1);
  const bytes: Record<string, number> = {};
  let scales = 0;
  for (const dtype of ["float32", "float16", "int8"] as WeightDtype[]) {
    const p = await packModel({ name, generator: cfg, regions: [], card: { title: name, description: "", datasets: [], metrics: {} }, provenance: { trainer: "bench" }, values, dtype });
    bytes[dtype] = p.shards.reduce((a, s) => a + s.bytes.length, 0);
    if (dtype === "int8") for (const e of p.manifest.weightsManifest[0]!.weights) if (e.quantization?.dtype === "int8") scales += e.quantization.scales.length * 4;
  }
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
  console.log(`| ${name} | ${kb(bytes.float32!)} | ${kb(bytes.float16!)} | ${kb(bytes.int8!)} (+${kb(scales)}) | ${((bytes.int8! + scales) / bytes.float32!).toFixed(3)} |`);
}

// Quantization error, measured on the only weights that render in-range images today: the test
// fixture (random init with ToRGB scaled into [−1, 1]; see test/fixtures/tiny.ts). The trained model
// replaces this row once it ships.
{
  const { TINY, tinyValues } = await import("../../test/fixtures/tiny.ts");
  const { loadModel, memorySource } = await import("../../shared/weights/loader.ts");
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  const renderAll = async (dtype: WeightDtype) => {
    const p = await packModel({ name: "tiny-fixture", generator: TINY, regions: [], card: { title: "fixture", description: "", datasets: [], metrics: {} }, provenance: { trainer: "bench" }, values: tinyValues(1), dtype });
    const m = await loadModel(memorySource(p.manifest, Object.fromEntries(p.shards.map((s) => [s.path, s.bytes]))));
    const g = Generator.fromValues(m.manifest.generator, m.values);
    const imgs = await g.render(await g.mapSeeds(seeds, 1), seeds);
    g.dispose();
    return imgs.flatMap((i) => Array.from(i.data));
  };
  const ref = await renderAll("float32");
  console.log("\nQuantization error: PSNR vs float32, images in [−1, 1] (peak-to-peak 2), tiny fixture, 8 seeds\n");
  console.log("| dtype | PSNR (dB) |");
  console.log("|---|---|");
  for (const dtype of ["float16", "int8"] as WeightDtype[]) {
    const got = await renderAll(dtype);
    const mse = got.reduce((a, v, i) => a + (v - ref[i]!) ** 2, 0) / got.length;
    console.log(`| ${dtype} | ${(10 * Math.log10(4 / mse)).toFixed(1)} |`);
  }
}
