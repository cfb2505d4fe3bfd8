/**
 * The trainer agent (issue #6): claims retraining jobs from the worker, trains with this trainer,
 * measures, exports, uploads, and asks the worker to publish. It heartbeats while it works; if the
 * worker says the lease is lost (the job was cancelled or given to another agent), it stops.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "../../shared/weights/content-id.ts";
import { fetchSource, loadModel } from "../../shared/weights/loader.ts";
import { Generator } from "../../shared/generator/generator.ts";
import type { Job } from "../../shared/jobs/schema.ts";
import { openDataset } from "../data/open.ts";
import { datasetLicenses } from "../data/open.ts";
import { exportModel } from "../export.ts";
import { measureLocality } from "../metrics/masked-mse.ts";
import { openPinnedSegmenter } from "../segmenter/open.ts";
import { generatedImages, realImages } from "../metrics/image-sets.ts";
import { slicedWasserstein } from "../metrics/swd.ts";
import { listCheckpoints, loadCheckpoint, paramValues } from "../training/checkpoint.ts";
import { TrainConfig } from "../training/config.ts";
import { runTraining } from "../training/run.ts";

export interface AgentOptions {
  /** Worker origin, e.g. http://localhost:8787. */
  api: string;
  token: string;
  agentId: string;
  workDir: string;
  backend: string;
  leaseMs?: number;
  /** Locality samples and SWD images measured before upload. */
  metricSamples?: number;
  swdImages?: number;
  log?: (line: string) => void;
}

export class LeaseLost extends Error {}

interface Claimed {
  job: Job;
  activeVersion: string | null;
}

/** One HTTP call to the worker's agent endpoints; errors carry the worker's message. */
async function call(o: AgentOptions, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(o.api + path, {
    method,
    headers: { Authorization: `Bearer ${o.token}`, ...(body instanceof Uint8Array ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
  });
  if (res.status === 409) throw new LeaseLost(`${path}: ${await res.text()}`);
  if (!res.ok && res.status !== 204) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Claim one job, or null when none is waiting. */
export async function claimJob(o: AgentOptions): Promise<Claimed | null> {
  const res = await call(o, "POST", "/agent/claim", { agent: o.agentId, leaseMs: o.leaseMs ?? 120_000 });
  return res.status === 204 ? null : ((await res.json()) as Claimed);
}

/** The training config of a job: its preset or the active version's recorded config, then the job's dataset and overrides. */
async function jobConfig(c: Claimed, manifest: Record<string, unknown> | null): Promise<TrainConfig> {
  const req = c.job.request;
  let base: unknown;
  if (req.preset) {
    base = JSON.parse(await readFile(join("trainer/configs", `${req.preset}.json`), "utf8").catch(() => {
      throw new Error(`preset "${req.preset}": no trainer/configs/${req.preset}.json on this agent`);
    }));
  } else {
    const recorded = (manifest?.provenance as { config?: Record<string, unknown> } | undefined)?.config;
    if (!recorded) throw new Error(`model "${c.job.model}" records no training config in its active version; name a "preset"`);
    const { steps: _s, kimg: _k, ...rest } = recorded;
    base = rest;
  }
  const b = base as Record<string, unknown>;
  const merged = { ...b, ...req.config, linkgan: { ...(b.linkgan as object), ...req.config.linkgan }, dataset: req.dataset };
  const parsed = TrainConfig.safeParse(merged);
  if (!parsed.success) throw new Error(`job config is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

/**
 * Run one claimed job to the end: train, measure, export, upload, complete. Any failure is reported
 * to the worker with its message (unless the lease was lost, when the worker already moved on).
 */
export async function runJob(o: AgentOptions, c: Claimed): Promise<{ version: string; published: boolean } | null> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { job } = c;
  const runDir = join(o.workDir, `${job.id}-a${job.attempts}`);
  let status = "starting";
  let lost: LeaseLost | null = null;
  const report = (s: string) => {
    status = s;
    void beat(); // each phase change reaches the job's log at once
  };
  const beat = async () => {
    try {
      await call(o, "POST", `/agent/jobs/${job.id}/heartbeat`, { agent: o.agentId, leaseMs: o.leaseMs ?? 120_000, message: status });
    } catch (e) {
      if (e instanceof LeaseLost) lost = e;
      else log(`heartbeat failed (will retry): ${(e as Error).message}`);
    }
  };
  await beat();
  const timer = setInterval(beat, Math.max(1000, (o.leaseMs ?? 120_000) / 4));
  try {
    const versionUrl = c.activeVersion ? `${o.api}/v1/models/${job.model}/versions/${c.activeVersion}/` : null;
    const manifest = versionUrl ? ((await (await fetch(`${versionUrl}manifest.json`)).json()) as Record<string, unknown>) : null;
    const config = await jobConfig(c, manifest);
    let initial: Map<string, Float32Array> | undefined;
    if (job.request.mode === "fine-tune") {
      if (!versionUrl) throw new Error(`fine-tune: model "${job.model}" has no active version`);
      const loaded = await loadModel(fetchSource(versionUrl));
      if (canonicalJson(loaded.manifest.generator) !== canonicalJson(config.generator)) throw new Error("fine-tune: the config's generator differs from the active version's");
      initial = loaded.values;
    }
    report(`training ${config.totalKimg} kimg (${job.request.mode})`);
    log(`${job.id}: ${status} in ${runDir}`);
    const data = await openDataset(config.dataset!, config.generator.resolution);
    await runTraining({ runDir, config, data, fineTuneFromWeights: initial, quiet: true, afterStep: () => { if (lost) throw lost; } });
    report("measuring locality and SWD");
    const ckpt = (await listCheckpoints(runDir)).at(-1)!;
    const { meta, tensors } = await loadCheckpoint(ckpt);
    const values = paramValues(tensors, "Gema/");
    const g = Generator.fromValues(config.generator, values);
    // Semantic regions: measured with, and bundled with, the segmenter the config pins.
    const pinned = config.segmenter ? await openPinnedSegmenter(config.segmenter) : undefined;
    const locality = await measureLocality(g, config.regions, { samples: o.metricSamples ?? 200, segmenter: pinned?.segmenter });
    pinned?.segmenter.dispose();
    const real = await realImages(data, o.swdImages ?? 256);
    const fake = await generatedImages(g, real.length);
    g.dispose();
    const swd = slicedWasserstein(real, fake, config.generator.resolution);
    report("exporting and uploading");
    const exportDir = join(runDir, "export");
    const packed = await exportModel({
      name: job.model,
      dir: exportDir,
      config,
      values,
      card: {
        title: `${job.model} (retrained by job ${job.id})`,
        description: `Retrained by the trainer agent for job ${job.id} (${job.request.mode}${c.activeVersion ? ` from ${c.activeVersion}` : ""}).`,
        datasets: datasetLicenses(config.dataset!),
        metrics: { locality, swd, samples: o.metricSamples ?? 200, swdImages: real.length, pixelRange: "[-1, 1]" },
      },
      provenance: { backend: o.backend, run: runDir, steps: meta.step as number, kimg: meta.kimg as number, ...(c.activeVersion ? { parent: c.activeVersion } : {}) },
      ...(pinned ? { segmenter: { config: pinned.segmenter.config, values: pinned.values } } : {}),
    });
    for (const s of packed.shards) await call(o, "PUT", `/agent/jobs/${job.id}/files/${s.path}`, s.bytes, { "LinkGAN-Agent": o.agentId });
    await call(o, "PUT", `/agent/jobs/${job.id}/files/manifest.json`, new TextEncoder().encode(JSON.stringify(packed.manifest)), { "LinkGAN-Agent": o.agentId });
    if (lost) throw lost;
    const done = (await (await call(o, "POST", `/agent/jobs/${job.id}/complete`, { agent: o.agentId })).json()) as { version: string; published: boolean; gate: { failures: string[] } };
    log(`${job.id}: version ${done.version} ${done.published ? "published" : `stored, not published (${done.gate.failures.join("; ")})`}`);
    return done;
  } catch (e) {
    if (e instanceof LeaseLost) {
      log(`${job.id}: lease lost, stopping: ${e.message}`);
      return null;
    }
    log(`${job.id}: failed: ${(e as Error).message}`);
    await call(o, "POST", `/agent/jobs/${job.id}/fail`, { agent: o.agentId, error: (e as Error).message.slice(0, 4000) }).catch(() => {});
    return null;
  } finally {
    clearInterval(timer);
  }
}
