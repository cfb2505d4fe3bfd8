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
 * both edits of the image shown (its base render reused), median over every edit of every load.
 *
 *   npm run bench:browser -- --loads 5 --edits 3
 */
import { command, int } from "../../trainer/cli/args.ts";
import { firstFixedRegion, recordEvents, startHarness, timedEvents, waitForEvents, withoutWebGpu } from "../../test/browser/harness.ts";
import { median } from "../lib/median.ts";
import { paintedMask } from "./painted-mask.ts";

const { loads, edits } = command({
  run: "npm run bench:browser --",
  name: "bench:browser",
  summary: "The browser client on wasm in headless chromium: weights arrived → first image, and each further edit.",
  flags: {
    loads: { value: "N", help: "page loads, each in a fresh browser context (medians over them)", type: int(1, 100), default: 5 },
    edits: { value: "N", help: "edits of each kind per page load, after the first image", type: int(1, 100), default: 3 },
  },
  examples: ["npm run bench:browser -- --loads 5 --edits 3"],
}).parseOrExit();

/** The times of one page load, ms on the page's clock. */
interface Load {
  weightsArrived: number;
  ready: number;
  firstImage: number;
  newSeed: number[];
  region: number[];
  mask: number[];
}

const h = await startHarness();
try {
  const model = h.model;
  const region = firstFixedRegion(model);
  const mask = paintedMask(model.resolution);
  const maskPct = ((100 * mask.data.reduce((a, b) => a + b, 0)) / model.resolution ** 2).toFixed(1);
  const results: Load[] = [];
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
      results.push({ weightsArrived: arrived.at, ready: ready.at - arrived.at, firstImage: first.at - arrived.at, ...timed });
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
  console.log(`\nweights arrived → first image per load (ms): ${results.map((r) => r.firstImage.toFixed(0)).join(", ")}`);
} finally {
  await h.stop();
}
