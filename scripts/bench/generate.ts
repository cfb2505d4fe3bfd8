/**
 * npm run bench: generation time per image (batch 1, cpu backend) for every shipped config, and the
 * part segmenter's time per image, in Node and inside workerd (wrangler dev on loopback), side by
 * side; then the weight bytes per dtype.
 * Medians over repeated runs after a warm-up: this machine is shared and noisy.
 *
 *   npm run bench -- --runs 9
 */
import { CONFIGS } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { countParams, generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { packModel } from "../../shared/weights/pack.ts";
import type { WeightDtype } from "../../shared/weights/quantize.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import parts from "../../trainer/configs/faces64-parts.json";
import { command, int } from "../../trainer/cli/args.ts";
import { setupNodeCpu } from "../lib/node-tf.ts";
import { startWranglerDev } from "../lib/wrangler-dev.ts";

const { runs } = command({
  run: "npm run bench --",
  name: "bench",
  summary: "Generation and segmentation time per image in Node and inside workerd, and the weight bytes per dtype.",
  flags: { runs: { value: "N", help: "timed runs per row, after a warm-up (medians)", type: int(1, 1000), default: 7 } },
  examples: ["npm run bench -- --runs 9"],
}).parseOrExit();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

await setupNodeCpu();
const node: Record<string, number> = {};
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
  node[name] = median(times);
  process.stderr.write(`node ${name}: ${node[name]!.toFixed(1)} ms\n`);
}

// The part segmenter (#7) on one faces64 image: what a semantic mask adds to a render miss.
const segCfg = SegmenterConfig.parse(parts.segmenter);
let nodeSegment: number;
{
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
  nodeSegment = median(times);
  process.stderr.write(`node segmenter: ${nodeSegment.toFixed(1)} ms\n`);
}

const workerd: Record<string, number> = {};
let workerdSegment = 0;
const dev = await startWranglerDev("scripts/bench/wrangler.toml", { readyPath: "/?config=tiny" });
try {
  for (const name of Object.keys(CONFIGS)) {
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      const res = await fetch(`${dev.url}/?config=${name}&seed=${i + 1}`);
      if (!res.ok) throw new Error(`workerd ${name}: HTTP ${res.status} ${await res.text()}`);
      await res.json();
      if (i > 0) times.push(performance.now() - t0);
    }
    workerd[name] = median(times);
    process.stderr.write(`workerd ${name}: ${workerd[name]!.toFixed(1)} ms\n`);
  }
  const withLabels: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const res = await fetch(`${dev.url}/?config=faces64&seed=${i + 1}&segment=1`);
    if (!res.ok) throw new Error(`workerd segmenter: HTTP ${res.status} ${await res.text()}`);
    await res.json();
    if (i > 0) withLabels.push(performance.now() - t0);
  }
  workerdSegment = median(withLabels) - workerd.faces64!;
  process.stderr.write(`workerd segmenter: ${workerdSegment.toFixed(1)} ms\n`);
} finally {
  await dev.stop();
}

console.log(`\nGeneration time per image, batch 1, tfjs cpu backend (median of ${runs} after 1 warm-up)\n`);
console.log("| config | resolution | params | Node (ms) | workerd (ms) | workerd / Node |");
console.log("|---|---|---|---|---|---|");
for (const [name, cfg] of Object.entries(CONFIGS)) {
  const n = node[name]!;
  const w = workerd[name]!;
  console.log(`| ${name} | ${cfg.resolution}² | ${countParams(generatorParamSpecs(cfg)).toLocaleString("en")} | ${n.toFixed(1)} | ${w.toFixed(1)} | ${(w / n).toFixed(2)} |`);
}

console.log(`\nPart segmenter (faces64-parts architecture, ${countParams(segmenterParamSpecs(segCfg)).toLocaleString("en")} params, random weights) on one 64² image, same backend (median of ${runs}; workerd: median of generate+segment minus median of generate)\n`);
console.log("| network | Node (ms) | workerd (ms) | workerd / Node |");
console.log("|---|---|---|---|");
console.log(`| segmenter | ${nodeSegment.toFixed(1)} | ${workerdSegment.toFixed(1)} | ${(workerdSegment / nodeSegment).toFixed(2)} |`);

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
