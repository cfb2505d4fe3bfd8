import { sha256Hex, versionOf } from "../../shared/weights/content-id.ts";
import { Manifest } from "../../shared/weights/manifest.ts";
import { describeZodError } from "../../shared/validation.ts";
import type { Env } from "../env.ts";
import { activeVersion, modelPrefix, readManifest, setActiveVersion } from "../models/store.ts";
import type { Gate, Job } from "../../shared/jobs/schema.ts";

/**
 * Publishing an uploaded version: everything is checked before anything becomes visible. The agent
 * uploads into a staging prefix of its attempt; `publish` validates the manifest, verifies every
 * shard's size and SHA-256, copies the version into place (shards first, manifest last), runs the
 * quality gate against the active version, and only then moves the active pointer (one KV write).
 */
export const stagingPrefix = (job: Job) => `staging/${job.id}/a${job.attempts}/`;

export class PublishError extends Error {}

interface Locality {
  region: string;
  ratio: number;
}
interface CardMetrics {
  locality?: Locality[];
  swd?: { mean: number } | null;
}

/** The locality and SWD a card records (flat, or under "linked" when it also holds a baseline). */
export function cardMetrics(metrics: Record<string, unknown>): CardMetrics {
  const m = (metrics.linked ?? metrics) as CardMetrics;
  return { locality: Array.isArray(m.locality) ? m.locality : undefined, swd: m.swd ?? undefined };
}

export interface GateResult {
  passed: boolean;
  against: string | null;
  failures: string[];
  candidate: CardMetrics;
  active: CardMetrics | null;
}

/** The gate: no region's MSE_o/MSE_i and not the SWD may regress past the tolerances. */
export function runGate(gate: Gate, candidate: CardMetrics, active: CardMetrics | null, against: string | null): GateResult {
  const failures: string[] = [];
  if (!candidate.locality?.length) failures.push("the new version's card has no locality metrics");
  for (const l of candidate.locality ?? []) {
    if (gate.maxRatio !== undefined && l.ratio > gate.maxRatio) failures.push(`${l.region}: MSE_o/MSE_i ${l.ratio.toFixed(3)} > maxRatio ${gate.maxRatio}`);
    const prev = active?.locality?.find((p) => p.region === l.region);
    if (prev && l.ratio > prev.ratio * (1 + gate.ratioTolerance)) {
      failures.push(`${l.region}: MSE_o/MSE_i ${l.ratio.toFixed(3)} regresses past ${prev.ratio.toFixed(3)} × ${1 + gate.ratioTolerance}`);
    }
  }
  if (candidate.swd && active?.swd && candidate.swd.mean > active.swd.mean * (1 + gate.swdTolerance)) {
    failures.push(`SWD ${candidate.swd.mean.toFixed(2)} regresses past ${active.swd.mean.toFixed(2)} × ${1 + gate.swdTolerance}`);
  }
  return { passed: failures.length === 0, against, failures, candidate, active };
}

/** Verify and store the staged version of `job`; activate it if it passes the gate. */
export async function publish(env: Env, job: Job): Promise<{ version: string; gate: GateResult }> {
  const staging = stagingPrefix(job);
  const obj = await env.WEIGHTS.get(`${staging}manifest.json`);
  if (!obj) throw new PublishError("manifest.json was not uploaded");
  let raw: unknown;
  try {
    raw = JSON.parse(await obj.text());
  } catch (e) {
    throw new PublishError(`manifest.json is not JSON: ${(e as Error).message}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) throw new PublishError(`manifest.json: ${describeZodError(parsed.error)}`);
  const m = parsed.data;
  if (m.name !== job.model) throw new PublishError(`manifest.json names model "${m.name}", the job is for "${job.model}"`);
  if ((await versionOf(raw as object)) !== m.version) throw new PublishError(`manifest.json: version ${m.version} is not its content id`);
  const shards: [string, ArrayBuffer][] = [];
  for (const s of m.shards) {
    const o = await env.WEIGHTS.get(staging + s.path);
    if (!o) throw new PublishError(`shard ${s.path} was not uploaded`);
    const bytes = await o.arrayBuffer();
    if (bytes.byteLength !== s.bytes) throw new PublishError(`shard ${s.path}: ${bytes.byteLength} bytes, the manifest says ${s.bytes} (truncated or padded upload)`);
    if ((await sha256Hex(new Uint8Array(bytes))) !== s.sha256) throw new PublishError(`shard ${s.path}: SHA-256 does not match the manifest (corrupt upload)`);
    shards.push([s.path, bytes]);
  }
  const prefix = modelPrefix(m.name, m.version);
  if (!(await env.WEIGHTS.head(`${prefix}manifest.json`))) {
    for (const [path, bytes] of shards) await env.WEIGHTS.put(prefix + path, bytes);
    await env.WEIGHTS.put(`${prefix}manifest.json`, JSON.stringify(raw), { httpMetadata: { contentType: "application/json" } });
  }
  const current = await activeVersion(env, m.name).catch(() => null);
  const active = current ? cardMetrics((await readManifest(env, m.name, current)).card.metrics) : null;
  const gate = runGate(job.request.gate, cardMetrics(m.card.metrics), active, current);
  if (gate.passed) await setActiveVersion(env, m.name, m.version);
  const listed = await env.WEIGHTS.list({ prefix: staging });
  await env.WEIGHTS.delete(listed.objects.map((o) => o.key));
  return { version: m.version, gate };
}
