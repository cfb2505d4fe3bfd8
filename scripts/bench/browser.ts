/**
 * npm run bench:browser: the browser client on tfjs's wasm backend in headless chromium, against
 * `wrangler dev` (the browser tests' harness, test/browser/harness.ts: the client bundle, the
 * seeded local R2/KV, Debian's chromium through playwright-core). Each page load is a fresh
 * browser context (empty Cache Storage, so the weights come from the network) with WebGPU hidden,
 * opening the demo page in local mode, which then renders on wasm. The editor's events carry the
 * page's clock (recordEvents), and the table gives, as medians over the page loads:
 * - the weights' arrival: the `progress` event that reports every shard byte received;
 * - weights arrived → `ready`: SHA-256 of the shards, decoding, the generator's tensors;
 * - weights arrived → first image: the first `render` event, the demo's seed drawn on the canvas,
 *   with the backend's first-use costs (the wasm kernels' first calls) in it: #13's target is
 *   under 1 s;
 * then each further edit, timed in the page through its client (the same client the editor uses):
 * a new seed, a one-region resample and a resample with the painted 10% mask (./painted-mask.ts),
 * both edits of the image shown (its base render reused), median over every edit of every load;
 * and, when the model has an encoder, GAN inversion in the page (`client.invert`, the worker's
 * pipeline on the page's backend: decoding, encoder, projector, then the reconstruction's render)
 * of held-out dataset faces (the last ones of the model's dataset, which its encoder never trained
 * on): the first inversion of a load (the encoder's weights fetched), then each face with the
 * encoder alone and with the API's bound of projector steps, with the PSNR each reaches.
 *
 *   npm run bench:browser -- --loads 5 --edits 3 --faces 2
 */
import { encodePng } from "../../shared/png/png.ts";
import { toRgba8 } from "../../shared/generator/generator.ts";
import { MAX_INVERT_STEPS } from "../../shared/inversion/endpoint.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import { command, int } from "../../trainer/cli/args.ts";
import { openEncoderData } from "../../trainer/encoder/data.ts";
import { firstFixedRegion, recordEvents, startHarness, timedEvents, waitForEvents, withoutWebGpu } from "../../test/browser/harness.ts";
import { median } from "../lib/median.ts";
import { paintedMask } from "./painted-mask.ts";

const { loads, edits, faces } = command({
  run: "npm run bench:browser --",
  name: "bench:browser",
  summary: "The browser client on wasm in headless chromium: weights arrived → first image, and each further edit.",
  flags: {
    loads: { value: "N", help: "page loads, each in a fresh browser context (medians over them)", type: int(1, 100), default: 5 },
    edits: { value: "N", help: "edits of each kind per page load, after the first image", type: int(1, 100), default: 3 },
    faces: { value: "N", help: "held-out faces inverted per page load (0: none)", type: int(0, 100), default: 2 },
  },
  examples: ["npm run bench:browser -- --loads 5 --edits 3 --faces 2"],
}).parseOrExit();

/** The times of one page load, ms on the page's clock. */
interface Load {
  weightsArrived: number;
  ready: number;
  firstImage: number;
  newSeed: number[];
  region: number[];
  mask: number[];
  /** The load's first inversion (encoder weights fetched and first used), ms. */
  firstInversion?: number;
  /** Per face: encoder alone, and with MAX_INVERT_STEPS projector steps (ms, PSNR dB). */
  inversions: { encoderMs: number; encoderPsnr: number; projectedMs: number; projectedPsnr: number }[];
}

/** `n` held-out faces of the model's dataset as PNG bytes (what a user would drop on the editor). */
async function heldOutFaces(modelDir: string, n: number): Promise<Uint8Array[]> {
  if (n === 0) return [];
  const { manifest } = await loadModel(fileSource(modelDir));
  const data = await openEncoderData({ heldOut: 200, datasetBatch: 1 }, manifest, "bench:browser");
  const res = manifest.generator.resolution;
  const flat = await data.all.batch(data.heldOut.slice(0, n));
  const per = res * res * 3;
  return Array.from({ length: n }, (_, i) => encodePng(toRgba8({ width: res, height: res, data: flat.slice(i * per, (i + 1) * per) }), res, res));
}

const h = await startHarness();
try {
  const model = h.model;
  const region = firstFixedRegion(model);
  const mask = paintedMask(model.resolution);
  const maskPct = ((100 * mask.data.reduce((a, b) => a + b, 0)) / model.resolution ** 2).toFixed(1);
  const results: Load[] = [];
  const facePngs = model.encoder ? await heldOutFaces(`weights/${model.name}`, faces) : [];
  if (faces > 0 && !model.encoder) console.log(`${model.name} has no encoder: inversion not timed`);
  for (let l = 0; l < loads; l++) {
    const ctx = await h.browser.newContext();
    try {
      await withoutWebGpu(ctx);
      const page = await ctx.newPage();
      await recordEvents(page);
      await page.goto(`${h.url}/?model=${model.name}&mode=local`);
      await waitForEvents(page, "render", 1);
      const arrived = (await timedEvents(page, "progress")).find((e) => (e.detail.fraction as number) >= 1);
      const [ready] = await timedEvents(page, "ready");
      const [first] = await timedEvents(page, "render");
      if (!arrived || !ready || !first) throw new Error("the page reported no weights arrival, ready or render event");
      const backend = (ready.detail.backend as { chosen?: string } | undefined)?.chosen;
      if (ready.detail.mode !== "local" || backend !== "wasm") throw new Error(`expected local mode on wasm, got ${String(ready.detail.mode)} on ${backend}`);
      if ((ready.detail.weights as { shardsFetched: number }).shardsFetched === 0) throw new Error("the weights came from Cache Storage, not the network");
      const timed = await page.evaluate(
        async ([k, regionName, size, data]) => {
          const c = document.querySelector("linkgan-editor")!.client!;
          const painted = { size, data: Uint8Array.from(data) };
          const out = { newSeed: [] as number[], region: [] as number[], mask: [] as number[] };
          // Edits of the image shown (the demo's seed 7, ψ 0.7), as the editor makes them. No named
          // functions in here: tsx's transform would wrap them in a helper the page does not have.
          for (let i = 0; i < k; i++) {
            let t0 = performance.now();
            await c.generate({ seed: 500_000 + i, truncation: 0.7 });
            out.newSeed.push(performance.now() - t0);
            t0 = performance.now();
            await c.resample({ seed: 7, truncation: 0.7, regions: [regionName], resampleSeed: 100 + i });
            out.region.push(performance.now() - t0);
            t0 = performance.now();
            await c.resample({ seed: 7, truncation: 0.7, mask: painted, resampleSeed: 200 + i });
            out.mask.push(performance.now() - t0);
          }
          return out;
        },
        [edits, region, mask.size, Array.from(mask.data)] as const,
      );
      const inverted = await page.evaluate(
        async ([pngs, bound]) => {
          const c = document.querySelector("linkgan-editor")!.client!;
          const out = { first: undefined as number | undefined, inversions: [] as { encoderMs: number; encoderPsnr: number; projectedMs: number; projectedPsnr: number }[] };
          if (pngs.length === 0) return out;
          let t0 = performance.now();
          await c.invert(Uint8Array.from(pngs[0]!), { steps: 0 });
          out.first = performance.now() - t0;
          for (const png of pngs) {
            t0 = performance.now();
            const e = await c.invert(Uint8Array.from(png), { steps: 0 });
            const encoderMs = performance.now() - t0;
            t0 = performance.now();
            const p = await c.invert(Uint8Array.from(png), { steps: bound });
            out.inversions.push({ encoderMs, encoderPsnr: e.inversion.psnr, projectedMs: performance.now() - t0, projectedPsnr: p.inversion.psnr });
          }
          return out;
        },
        [facePngs.map((b) => Array.from(b)), MAX_INVERT_STEPS] as const,
      );
      results.push({ weightsArrived: arrived.at, ready: ready.at - arrived.at, firstImage: first.at - arrived.at, ...timed, firstInversion: inverted.first, inversions: inverted.inversions });
      console.log(`[load ${l + 1}/${loads}] weights arrived at ${arrived.at.toFixed(0)} ms, first image ${(first.at - arrived.at).toFixed(0)} ms later`);
    } finally {
      await ctx.close();
    }
  }

  const med = (f: (r: Load) => number) => median(results.map(f)).toFixed(0);
  const all = (f: (r: Load) => number[]) => median(results.flatMap(f)).toFixed(0);
  console.log(
    `\nmodel ${model.name} (${model.resolution} px), chromium ${h.browser.version()} headless, wasm backend (WebGPU hidden, local mode), wrangler dev on loopback; ${loads} page loads, each in a fresh context (weights from the network); edits: ${edits} of each kind per load\n`,
  );
  console.log("| measurement | median (ms) |\n|---|---|");
  console.log(`| page start → weights arrived (backend start, manifest, shards) | ${med((r) => r.weightsArrived)} |`);
  console.log(`| weights arrived → ready (SHA-256, decoding, tensors) | ${med((r) => r.ready)} |`);
  console.log(`| **weights arrived → first image** (first render, wasm first use included) | ${med((r) => r.firstImage)} |`);
  console.log(`| further edit: a new seed (generate) | ${all((r) => r.newSeed)} |`);
  console.log(`| further edit: resample ${region} (base reused) | ${all((r) => r.region)} |`);
  console.log(`| further edit: resample, painted ${maskPct}% mask (base reused) | ${all((r) => r.mask)} |`);
  if (facePngs.length) {
    const inv = (f: (i: Load["inversions"][number]) => number) => median(results.flatMap((r) => r.inversions.map(f)));
    console.log(`| first inversion of a load (encoder weights fetched, first use) | ${med((r) => r.firstInversion ?? Number.NaN)} |`);
    console.log(`| invert a held-out face: encoder alone, reconstruction rendered (PSNR ${inv((i) => i.encoderPsnr).toFixed(2)} dB) | ${inv((i) => i.encoderMs).toFixed(0)} |`);
    console.log(`| invert a held-out face: encoder + ${MAX_INVERT_STEPS} projector steps (PSNR ${inv((i) => i.projectedPsnr).toFixed(2)} dB) | ${inv((i) => i.projectedMs).toFixed(0)} |`);
    console.log(`| one projector step ((encoder + ${MAX_INVERT_STEPS} steps − encoder alone) / ${MAX_INVERT_STEPS}) | ${inv((i) => (i.projectedMs - i.encoderMs) / MAX_INVERT_STEPS).toFixed(0)} |`);
  }
  console.log(`\nweights arrived → first image per load (ms): ${results.map((r) => r.firstImage.toFixed(0)).join(", ")}`);
} finally {
  await h.stop();
}
