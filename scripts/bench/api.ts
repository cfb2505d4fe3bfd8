/**
 * npm run bench:api: the edge API on loopback against `wrangler dev` (local R2/KV, the model in
 * weights/ or the tiny fixture): latency p50/p99 of generate and resample on a cache miss (one
 * region, two regions, and a painted 10%-area mask uploaded through POST …/masks as a client
 * uploads one) and of cache hits, of the largest interpolation accepted and, when the model has an
 * encoder, of the largest inversion accepted (POST …/invert with MAX_INVERT_STEPS), with workerd's
 * CPU time per request (what `[limits] cpu_ms` bounds; the first request of a cold isolate, which
 * loads the model, has a row of its own), hit throughput under a bounded load (autocannon, loopback
 * only, ends by itself) beside /healthz's (the floor that wrangler dev's proxy and this machine
 * set), and the memory of the workerd process that runs the isolate.
 *
 *   npm run bench:api -- --model faces64 --requests 30 --duration 10
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import { MAX_INVERT_STEPS } from "../../shared/inversion/endpoint.ts";
import { maskArea } from "../../shared/regions/mask.ts";
import { maskToPng } from "../../shared/render/masks.ts";
import { command, int, str } from "../../trainer/cli/args.ts";
import { fetchOnce, startWranglerDev, workerdCpuSeconds, workerdPids } from "../lib/wrangler-dev.ts";
import { paintedMask } from "./painted-mask.ts";

const args = command({
  run: "npm run bench:api --",
  name: "bench:api",
  summary: "The edge API on loopback against wrangler dev: miss and hit latency, hit throughput, workerd's memory.",
  flags: {
    model: { value: "NAME", help: "the model to measure (else the first one served)", type: str(), default: "faces64" },
    requests: { value: "N", help: "requests per latency row", type: int(1, 10_000), default: 30 },
    duration: { value: "S", help: "seconds of the throughput load", type: int(1, 600), default: 10 },
    connections: { value: "N", help: "connections of the throughput load", type: int(1, 256), default: 8 },
  },
  examples: ["npm run bench:api -- --model faces64 --requests 30 --duration 10"],
}).parseOrExit();
const { requests: n, duration, connections } = args;

execFileSync("node", ["--import", "tsx", "scripts/dev/seed.ts"], { stdio: "inherit" });
const dev = await startWranglerDev("wrangler.toml", { readyPath: "/healthz" });
try {
  const before = workerdMemory(workerdPids(dev));
  const { models } = (await (await dev.fetch("/v1/models")).json()) as { models: { name: string; resolution: number; regions: { name: string }[]; encoder?: unknown }[] };
  const model = models.find((m) => m.name === args.model) ?? models[0];
  if (!model) throw new Error("no model is seeded");
  const api = `${dev.url}/v1/models/${model.name}`;
  // Each request as a different client, so the per-client rate limit measures nothing here.
  let client = 0;
  const ip = () => `10.${(client >> 16) & 255}.${(client >> 8) & 255}.${client++ & 255}`;

  async function timed(url: string, expectTier?: string, init: RequestInit = {}): Promise<number> {
    const t0 = performance.now();
    const res = await fetchOnce(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), "CF-Connecting-IP": ip() } });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
    const tier = res.headers.get("X-LinkGAN-Cache") ?? "";
    if (expectTier && !tier.startsWith(expectTier)) throw new Error(`${url}: expected ${expectTier}, got ${tier}`);
    return ms;
  }
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  };
  const regions = model.regions.slice(0, 2).map((r) => r.name).join(",");
  const region = model.regions[0]?.name ?? "";
  const run = Date.now() % 1_000_000_000; // fresh seeds each run: misses are real misses
  /**
   * One row: `count` requests, their latencies, and workerd's CPU ms per request over the row. When
   * workerd restarted during the row (wrangler dev reloads it when a source file changes), its CPU
   * counters restarted too and the row also timed a cold start: the row says so instead.
   */
  const rows: [string, number[], number | undefined][] = [];
  async function row(name: string, count: number, url: (i: number) => string, expectTier: string, init?: (i: number) => RequestInit): Promise<void> {
    const pids0 = workerdPids(dev).join();
    const cpu0 = workerdCpuSeconds(dev);
    const xs: number[] = [];
    for (let i = 1; i <= count; i++) xs.push(await timed(url(i), expectTier, init?.(i)));
    const restarted = workerdPids(dev).join() !== pids0;
    rows.push([restarted ? `${name} [workerd restarted during this row: not measured]` : name, xs, restarted ? undefined : ((workerdCpuSeconds(dev) - cpu0) * 1000) / count]);
  }
  // The isolate's first render loads the model (shards fetched from R2, SHA-256, tensors): the most
  // CPU one render request takes, so it has a row (of one request) of its own.
  await row("generate, miss, cold isolate (loads the model; 1 request)", 1, () => `${api}/generate?seed=${run}`, "miss");
  await row(`generate, miss (${model.resolution}px)`, n, (i) => `${api}/generate?seed=${run + i}&truncation=0.7`, "miss");
  await row(`resample ${region}, miss (base reused)`, n, (i) => `${api}/resample?seed=${run}&regions=${region}&resampleSeed=${i}`, "miss");
  await row(`resample ${regions}, miss (base reused)`, n, (i) => `${api}/resample?seed=${run}&regions=${regions}&resampleSeed=${n + i}`, "miss");
  // A painted mask (./painted-mask.ts: 10% of the pixels), uploaded as a PNG through POST …/masks
  // (as a client uploads one before a remote edit), then named by its id in each resample; every
  // request a new resampleSeed, so a miss.
  const painted = paintedMask(model.resolution);
  const upload = await fetchOnce(`${api}/masks`, { method: "POST", headers: { "Content-Type": "image/png", "CF-Connecting-IP": ip() }, body: maskToPng(painted) as Uint8Array<ArrayBuffer> });
  if (upload.status !== 201) throw new Error(`mask upload: HTTP ${upload.status} ${await upload.text()}`);
  const mask = (await upload.json()) as { id: string; area: number };
  const maskPct = ((100 * mask.area) / model.resolution ** 2).toFixed(1);
  if (mask.area !== maskArea(painted)) throw new Error(`mask upload: the API counts ${mask.area} pixels inside, the painted mask ${maskArea(painted)}`);
  await row(`resample, painted ${maskPct}% mask (uploaded), miss (base reused)`, n, (i) => `${api}/resample?seed=${run}&mask=${mask.id}&resampleSeed=${2 * n + i}`, "miss");
  // The most work one request may ask for at 64 px (WORK_LIMITS): 16 frames at 2×, 15 renders.
  const frames = Math.min(16, Math.floor((16 * 64 * 64) / model.resolution ** 2));
  await row(`interpolate ${frames} frames at 2×, miss`, Math.max(3, Math.ceil(n / 6)), (i) => `${api}/interpolate?seed=${run}&regions=${regions}&resampleSeed=${3 * n + i}&frames=${frames}&scale=2`, "miss");
  if (model.encoder) {
    // The largest inversion accepted: the encoder and MAX_INVERT_STEPS projector steps. The pictures
    // are the API's own renders of fresh seeds (fetched before the row), so each is a miss.
    const invertCount = Math.max(3, Math.ceil(n / 6));
    const pictures: Uint8Array[] = [];
    for (let i = 0; i <= invertCount; i++) pictures.push(new Uint8Array(await (await fetchOnce(`${api}/generate?seed=${run + 10 * n + i}&truncation=0.7`)).arrayBuffer()));
    const invert = (i: number): RequestInit => ({ method: "POST", headers: { "Content-Type": "image/png" }, body: pictures[i]! as Uint8Array<ArrayBuffer> });
    const invertUrl = `${api}/invert?steps=${MAX_INVERT_STEPS}`;
    await row(`invert, ${MAX_INVERT_STEPS} steps, miss, first (loads the encoder; 1 request)`, 1, () => invertUrl, "miss", () => invert(0));
    await row(`invert, ${MAX_INVERT_STEPS} steps, miss`, invertCount, () => invertUrl, "miss", invert);
  }
  // A hit is keyed by the request (worker/render/key.ts): no model load, no mapping. Unpinned, it
  // still reads the active version from KV; pinned, it reads nothing but the cache.
  const version = ((await (await dev.fetch(`/v1/models/${model.name}`)).json()) as { activeVersion: string }).activeVersion;
  const hitUrl = `${api}/generate?seed=${run + 1}&truncation=0.7`;
  const pinnedHitUrl = `${hitUrl}&version=${version}`; // the same entry: the key holds the version, pinned or not
  // The floor: a route that renders and caches nothing, through the same wrangler dev proxy.
  await row("/healthz (no render, no cache: the floor)", n * 4, () => `${dev.url}/healthz`, "");
  await row("generate, cache hit (active version)", n * 4, () => hitUrl, "hit");
  await row("generate, cache hit (pinned version)", n * 4, () => pinnedHitUrl, "hit");

  const hitLoad = (url: string) =>
    autocannon({ url, connections, duration, requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, "CF-Connecting-IP": ip() } }) }] });
  const loads = [
    ["/healthz, the floor", await hitLoad(`${dev.url}/healthz`)],
    ["active version", await hitLoad(hitUrl)],
    ["pinned version", await hitLoad(pinnedHitUrl)],
  ] as const;

  const after = workerdMemory(workerdPids(dev));
  const health = (await (await dev.fetch("/healthz")).json()) as { memoryTierBytes: number };

  console.log(`\nmodel ${model.name}, wrangler dev on loopback, ${n} requests per row (hits: ${n * 4})\n`);
  console.log("| request | p50 (ms) | p99 (ms) | workerd CPU per request (ms) |\n|---|---|---|---|");
  for (const [name, xs, cpu] of rows) console.log(`| ${name} | ${pct(xs, 50).toFixed(1)} | ${pct(xs, 99).toFixed(1)} | ${cpu?.toFixed(0) ?? "n/a"} |`);
  for (const [name, load] of loads) {
    console.log(`\nthroughput, ${name} (autocannon, ${connections} connections, ${duration} s): ${load.requests.average.toFixed(0)} req/s, latency p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, non-2xx ${load.non2xx}, errors ${load.errors}`);
  }
  const mib = (kb: number) => (kb / 1024).toFixed(1);
  for (const [pid, m] of after) {
    const idle = before.get(pid)?.rss ?? 0;
    console.log(`workerd ${pid}: RSS ${mib(idle)} MiB idle, ${mib(m.rss)} MiB after the run (+${mib(m.rss - idle)}), peak ${mib(m.peak)} MiB`);
  }
  console.log(`memory tier: ${(health.memoryTierBytes / 1024).toFixed(0)} KiB of ${16 * 1024} KiB`);
} finally {
  await dev.stop();
}

/** Resident and peak memory (KiB) of workerd processes (wrangler dev's: workerdPids): the isolate's growth shows as RSS growth. */
function workerdMemory(pids: number[]): Map<string, { rss: number; peak: number }> {
  const out = new Map<string, { rss: number; peak: number }>();
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      out.set(String(pid), { rss: kb("VmRSS"), peak: kb("VmHWM") });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
