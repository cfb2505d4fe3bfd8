import { Hono } from "hono";
import type { Context } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { z } from "zod";
import { ModelVersion } from "../../shared/weights/manifest.ts";
import type { AppEnv, Env } from "../env.ts";
import { boundedBody } from "../http/body.ts";
import { ApiError, fromZod } from "../http/errors.ts";
import { JobId, ModelParams, StagedFile, params } from "../http/params.ts";
import { listVersions, modelPrefix, setActiveVersion } from "../models/store.ts";
import { PublishError, publish, stagingPrefix } from "./publish.ts";
import { type JobMessage, RetrainRequest } from "./schema.ts";
import { DELIVERY_HEADER, DeliveryId, SIGNATURE_HEADER, verify } from "./signature.ts";
import { cancel, claim, finish, getJob, heartbeat, holdsLease, jobIdFor, jobLogs, listJobs, log, recordJob } from "./store.ts";

/**
 * Retraining (issue #6): the signed webhook, the trainer agent's endpoints and the admin endpoints.
 * They live outside /v1 so the public CORS policy never covers them; agent and admin routes need
 * separate bearer tokens (wrangler secrets AGENT_TOKEN and ADMIN_TOKEN).
 */
export const jobs = new Hono<AppEnv>();

/** Default lease an agent holds between heartbeats. */
export const LEASE_MS = 120_000;
/** Largest file an agent may upload (a shard is ≤ 4 MiB by default). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/** Largest webhook body (a retraining request is well under 1 KiB). */
export const MAX_WEBHOOK_BYTES = 64 * 1024;
/** Largest JSON body of the agent and admin endpoints (a heartbeat's message is ≤ 4000 chars). */
export const MAX_CONTROL_BYTES = 16 * 1024;

const secretsOf = (env: Env) => (env.WEBHOOK_SECRETS ?? "").split(",").map((s) => s.trim()).filter(Boolean);

jobs.post("/hooks/retrain", boundedBody(MAX_WEBHOOK_BYTES, "webhook bodies"), async (c) => {
  const delivery = DeliveryId.safeParse(c.req.header(DELIVERY_HEADER));
  if (!delivery.success) throw new ApiError(400, "invalid_request", `${DELIVERY_HEADER}: ${delivery.error.issues[0]!.message}`, DELIVERY_HEADER);
  const deliveryId = delivery.data;
  const raw = await c.req.text(); // verified, with the delivery id it is signed for, before it is parsed
  const verdict = await verify(deliveryId, raw, c.req.header(SIGNATURE_HEADER), secretsOf(c.env));
  if (!verdict.ok) throw new ApiError(401, "bad_signature", verdict.reason, SIGNATURE_HEADER);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new ApiError(400, "malformed_body", `body: not JSON (${(e as Error).message})`);
  }
  const parsed = RetrainRequest.safeParse(json);
  if (!parsed.success) throw fromZod(parsed.error);
  const jobId = await jobIdFor(deliveryId);
  const message: JobMessage = { jobId, deliveryId, request: parsed.data };
  await c.env.JOBS_QUEUE.send(message);
  return c.json({ jobId, status: "accepted", statusUrl: `/admin/jobs/${jobId}` }, 202);
});

/** Queue consumer: record each delivery as a job, once (redeliveries and duplicates are no-ops). */
export async function consumeJobs(batch: { messages: readonly { body: unknown; ack(): void; retry(): void }[] }, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const m = msg.body as JobMessage;
    try {
      await recordJob(env.JOBS_DB, m.jobId, m.deliveryId, m.request);
      msg.ack();
    } catch (e) {
      console.error("recording job failed; the queue retries", e);
      msg.retry();
    }
  }
}

/**
 * Bearer tokens (RFC 6750), through Hono's bearerAuth: a missing header is a 401 `unauthorized`, a
 * wrong token a 401 `invalid_token`, a header that is not `Bearer <one token>` a 400
 * `invalid_authorization`; each with the API's error body and a `WWW-Authenticate: Bearer …`
 * challenge saying the same.
 */
const tokenAuth = (which: "AGENT_TOKEN" | "ADMIN_TOKEN") => {
  const who = which === "AGENT_TOKEN" ? "agent" : "admin";
  const error = (code: string, message: string) => ({ error: { code, message, field: "Authorization" } });
  return bearerAuth({
    realm: `linkgan-${who}`,
    verifyToken: async (token, c: Context<AppEnv>) => {
      const expected = c.env[which];
      return typeof expected === "string" && expected.length >= 16 && (await timingSafeEqual(token, expected));
    },
    noAuthenticationHeader: { message: error("unauthorized", `the ${who} endpoints need an "Authorization: Bearer <${which}>" header`) },
    invalidAuthenticationHeader: { message: error("invalid_authorization", 'Authorization: expected "Bearer <token>", one token of A-Z, a-z, 0-9, - . _ ~ + / (then = padding)') },
    invalidToken: { message: error("invalid_token", `the bearer token is not the ${who} token`) },
  });
};

async function body<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new ApiError(400, "malformed_body", "body: not JSON");
  }
  const r = schema.safeParse(json);
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

const Agent = z.object({ agent: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "1–64 chars of A-Z, a-z, 0-9, . _ : -") });

async function leasedJob(c: Context<AppEnv>, id: string, agent: string) {
  const job = await getJob(c.env.JOBS_DB, id);
  if (!job) throw new ApiError(404, "unknown_job", `no job "${id}"`, "id");
  if (!(await holdsLease(c.env.JOBS_DB, id, agent))) throw new ApiError(409, "lease_lost", `agent "${agent}" holds no live lease on ${id} (state ${job.state})`, "agent");
  return job;
}

jobs.use("/agent/*", tokenAuth("AGENT_TOKEN"));
// Authenticated first: an unauthenticated body is never read.
jobs.use("/agent/claim", boundedBody(MAX_CONTROL_BYTES, "agent request bodies"));
for (const action of ["heartbeat", "complete", "fail"]) jobs.use(`/agent/jobs/:id/${action}`, boundedBody(MAX_CONTROL_BYTES, "agent request bodies"));
const jobParam = params(z.object({ id: JobId }));

jobs.post("/agent/claim", async (c) => {
  const { agent, leaseMs } = await body(c, Agent.extend({ leaseMs: z.number().int().min(5_000).max(3_600_000).default(LEASE_MS) }));
  const job = await claim(c.env.JOBS_DB, agent, leaseMs);
  if (!job) return c.body(null, 204);
  const current = await c.env.MODELS.get(`active:${job.model}`);
  return c.json({ job, activeVersion: current, uploadPrefix: `/agent/jobs/${job.id}/files/` });
});

jobs.post("/agent/jobs/:id/heartbeat", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const { agent, leaseMs, message } = await body(c, Agent.extend({ leaseMs: z.number().int().min(5_000).max(3_600_000).default(LEASE_MS), message: z.string().max(4000).optional() }));
  if (!(await heartbeat(c.env.JOBS_DB, id, agent, leaseMs))) throw new ApiError(409, "lease_lost", `agent "${agent}" holds no live lease on ${id}`, "agent");
  if (message) await log(c.env.JOBS_DB, id, message);
  return c.json({ ok: true });
});

jobs.put("/agent/jobs/:id/files/:name", params(z.object({ id: JobId, name: StagedFile })), boundedBody(MAX_UPLOAD_BYTES, "agent uploads"), async (c) => {
  const { id, name } = c.req.valid("param");
  const agent = Agent.safeParse({ agent: c.req.header("LinkGAN-Agent") ?? "" });
  if (!agent.success) throw new ApiError(400, "invalid_request", `LinkGAN-Agent: ${agent.error.issues[0]!.message}`, "LinkGAN-Agent");
  const job = await leasedJob(c, id, agent.data.agent);
  const bytes = await c.req.arrayBuffer();
  await c.env.WEIGHTS.put(stagingPrefix(job) + name, bytes);
  return c.json({ stored: name, bytes: bytes.byteLength }, 201);
});

jobs.post("/agent/jobs/:id/complete", jobParam, async (c) => {
  const { agent } = await body(c, Agent);
  const job = await leasedJob(c, c.req.valid("param").id, agent);
  try {
    const { version, gate } = await publish(c.env, job);
    const outcome = gate.passed
      ? { state: "succeeded" as const, version, published: true, result: { gate } }
      : { state: "failed" as const, version, published: false, error: `quality gate: ${gate.failures.join("; ")}`, result: { gate } };
    await finish(c.env.JOBS_DB, job.id, agent, outcome);
    return c.json({ version, published: gate.passed, gate });
  } catch (e) {
    if (!(e instanceof PublishError)) throw e;
    await log(c.env.JOBS_DB, job.id, `upload rejected: ${e.message}`);
    throw new ApiError(422, "upload_rejected", e.message);
  }
});

jobs.post("/agent/jobs/:id/fail", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const { agent, error } = await body(c, Agent.extend({ error: z.string().min(1).max(4000) }));
  await leasedJob(c, id, agent);
  await finish(c.env.JOBS_DB, id, agent, { state: "failed", error });
  return c.json({ ok: true });
});

jobs.use("/admin/*", tokenAuth("ADMIN_TOKEN"));
jobs.use("/admin/*", boundedBody(MAX_CONTROL_BYTES, "admin request bodies"));

jobs.get("/admin/jobs", async (c) => c.json({ jobs: await listJobs(c.env.JOBS_DB) }));

jobs.get("/admin/jobs/:id", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const job = await getJob(c.env.JOBS_DB, id);
  if (!job) throw new ApiError(404, "unknown_job", `no job "${id}" (a delivery is recorded within seconds of its 202)`, "id");
  return c.json({ job, logs: await jobLogs(c.env.JOBS_DB, job.id) });
});

jobs.post("/admin/jobs/:id/cancel", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await cancel(c.env.JOBS_DB, id))) throw new ApiError(409, "not_cancellable", `job "${id}" is unknown or already over`, "id");
  return c.json({ ok: true });
});

const modelParam = params(ModelParams);

jobs.get("/admin/models/:model/versions", modelParam, async (c) => {
  const { model } = c.req.valid("param");
  return c.json({ model, active: await c.env.MODELS.get(`active:${model}`), versions: await listVersions(c.env, model) });
});

/** Rollback (or roll forward): make any stored version active. */
jobs.post("/admin/models/:model/activate", modelParam, async (c) => {
  const { model } = c.req.valid("param");
  const { version } = await body(c, z.object({ version: ModelVersion }));
  if (!(await c.env.WEIGHTS.head(`${modelPrefix(model, version)}manifest.json`))) throw new ApiError(404, "unknown_version", `model "${model}" has no stored version "${version}"`, "version");
  await setActiveVersion(c.env, model, version);
  return c.json({ model, active: version });
});
