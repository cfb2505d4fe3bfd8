import { sha256Hex } from "../../shared/weights/content-id.ts";
import type { D1Database } from "@cloudflare/workers-types/index.ts";
import type { Job, JobState, RetrainRequest } from "../../shared/jobs/schema.ts";

/**
 * The job store on D1 (SQLite: a single writer, so every conditional UPDATE below is atomic). States:
 * queued → claimed → running → succeeded | failed | cancelled. A claim holds a lease; an expired
 * lease makes the job claimable again until `MAX_ATTEMPTS`, then it fails with the reason.
 */
export const MAX_ATTEMPTS = 3;

interface Row {
  id: string;
  delivery_id: string;
  model: string;
  request: string;
  state: JobState;
  attempts: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  version: string | null;
  published: number;
  error: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  deliveryId: r.delivery_id,
  model: r.model,
  request: JSON.parse(r.request) as RetrainRequest,
  state: r.state,
  attempts: r.attempts,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  version: r.version,
  published: r.published === 1,
  error: r.error,
  result: r.result ? (JSON.parse(r.result) as Record<string, unknown>) : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The job id of a delivery: the same delivery always names the same job. */
export async function jobIdFor(deliveryId: string): Promise<string> {
  return `job_${(await sha256Hex(`delivery:${deliveryId}`)).slice(0, 20)}`;
}

/** Record a job once; a redelivered message (same delivery id) changes nothing. Returns whether it was new. */
export async function recordJob(db: D1Database, jobId: string, deliveryId: string, request: RetrainRequest, now = Date.now()): Promise<boolean> {
  const r = await db
    .prepare("INSERT OR IGNORE INTO jobs (id, delivery_id, model, request, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)")
    .bind(jobId, deliveryId, request.model, JSON.stringify(request), now, now)
    .run();
  if (r.meta.changes) await log(db, jobId, "queued", now);
  return r.meta.changes > 0;
}

export async function getJob(db: D1Database, id: string): Promise<Job | null> {
  const r = await db.prepare("SELECT * FROM jobs WHERE id = ?").bind(id).first<Row>();
  return r ? toJob(r) : null;
}

export async function listJobs(db: D1Database, limit = 50): Promise<Job[]> {
  const { results } = await db.prepare("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?").bind(limit).all<Row>();
  return results.map(toJob);
}

export async function jobLogs(db: D1Database, id: string): Promise<{ at: number; message: string }[]> {
  const { results } = await db.prepare("SELECT at, message FROM job_logs WHERE job_id = ? ORDER BY at, rowid").bind(id).all<{ at: number; message: string }>();
  return results;
}

export async function log(db: D1Database, id: string, message: string, now = Date.now()): Promise<void> {
  await db.prepare("INSERT INTO job_logs (job_id, at, message) VALUES (?, ?, ?)").bind(id, now, message.slice(0, 4000)).run();
}

/**
 * Claim the oldest claimable job for `agent` with a lease of `leaseMs`: a queued job, or one whose
 * lease expired with attempts left. Jobs whose lease expired on their last attempt fail first.
 */
export async function claim(db: D1Database, agent: string, leaseMs: number, now = Date.now()): Promise<Job | null> {
  const expired = await db
    .prepare("UPDATE jobs SET state = 'failed', error = ?, lease_owner = NULL, updated_at = ? WHERE state IN ('claimed', 'running') AND lease_expires_at < ? AND attempts >= ? RETURNING id")
    .bind(`lease expired on attempt ${MAX_ATTEMPTS} of ${MAX_ATTEMPTS}: the agent stopped heartbeating`, now, now, MAX_ATTEMPTS)
    .all<{ id: string }>();
  for (const { id } of expired.results) await log(db, id, "failed: lease expired on the last attempt", now);
  const r = await db
    .prepare(
      `UPDATE jobs SET state = 'claimed', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, updated_at = ?
       WHERE id = (SELECT id FROM jobs WHERE state = 'queued' OR (state IN ('claimed', 'running') AND lease_expires_at < ?) ORDER BY created_at LIMIT 1)
       RETURNING *`,
    )
    .bind(agent, now + leaseMs, now, now)
    .first<Row>();
  if (!r) return null;
  await log(db, r.id, `claimed by ${agent} (attempt ${r.attempts})`, now);
  return toJob(r);
}

/** Extend `agent`'s lease (and mark the job running). False when the agent no longer holds it. */
export async function heartbeat(db: D1Database, id: string, agent: string, leaseMs: number, now = Date.now()): Promise<boolean> {
  const r = await db
    .prepare("UPDATE jobs SET state = 'running', lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND state IN ('claimed', 'running') AND lease_expires_at >= ?")
    .bind(now + leaseMs, now, id, agent, now)
    .run();
  return r.meta.changes > 0;
}

/** Whether `agent` holds a live lease on job `id`. */
export async function holdsLease(db: D1Database, id: string, agent: string, now = Date.now()): Promise<boolean> {
  const r = await db.prepare("SELECT 1 AS ok FROM jobs WHERE id = ? AND lease_owner = ? AND state IN ('claimed', 'running') AND lease_expires_at >= ?").bind(id, agent, now).first();
  return r !== null;
}

/** End a job held by `agent`. */
export async function finish(
  db: D1Database,
  id: string,
  agent: string,
  outcome: { state: "succeeded" | "failed"; version?: string; published?: boolean; error?: string; result?: unknown },
  now = Date.now(),
): Promise<boolean> {
  const r = await db
    .prepare("UPDATE jobs SET state = ?, version = ?, published = ?, error = ?, result = ?, lease_owner = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND state IN ('claimed', 'running')")
    .bind(outcome.state, outcome.version ?? null, outcome.published ? 1 : 0, outcome.error ?? null, outcome.result === undefined ? null : JSON.stringify(outcome.result), now, id, agent)
    .run();
  if (r.meta.changes) await log(db, id, `${outcome.state}${outcome.error ? `: ${outcome.error}` : ""}`, now);
  return r.meta.changes > 0;
}

export async function cancel(db: D1Database, id: string, now = Date.now()): Promise<boolean> {
  const r = await db.prepare("UPDATE jobs SET state = 'cancelled', lease_owner = NULL, updated_at = ? WHERE id = ? AND state IN ('queued', 'claimed', 'running')").bind(now, id).run();
  if (r.meta.changes) await log(db, id, "cancelled by an admin", now);
  return r.meta.changes > 0;
}
