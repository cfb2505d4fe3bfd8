import { OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { timingSafeEqual } from "hono/utils/buffer";
import { ModelVersion } from "../../shared/weights/manifest.ts";
import type { AppEnv, Env } from "../env.ts";
import { boundedBody } from "../http/body.ts";
import { ApiError, ErrorBody, fromZod } from "../http/errors.ts";
import { JobId, ModelParams, StagedFile, params } from "../http/params.ts";
import { listVersions, modelPrefix, setActiveVersion } from "../models/store.ts";
import { PublishError, publish, stagingPrefix } from "./publish.ts";
import { Job as JobSchema, type JobMessage, JobState, RetrainRequest as RetrainRequestSchema } from "../../shared/jobs/schema.ts";

// The shared job contract under its names in the OpenAPI document.
const RetrainRequest = RetrainRequestSchema.openapi("RetrainRequest");
const Job = JobSchema.openapi("Job");
import { DELIVERY_HEADER, DeliveryId, SIGNATURE_HEADER, TOLERANCE_SECONDS, verify } from "./signature.ts";
import { cancel, claim, finish, getJob, heartbeat, holdsLease, jobIdFor, jobLogs, listJobs, log, recordJob } from "./store.ts";

/**
 * Retraining (issue #6): the signed webhook, the trainer agent's endpoints and the admin endpoints.
 * They live outside /v1 so the public CORS policy never covers them; agent and admin routes need
 * separate bearer tokens (wrangler secrets AGENT_TOKEN and ADMIN_TOKEN).
 *
 * Each route is declared in the API's one OpenAPI document (`doc` below, beside its handler) with
 * the zod schemas the handler parses with. The handlers validate by hand rather than through
 * `openapi()`'s validators because the order matters: the webhook verifies its signature over the
 * raw bytes before parsing them, and an unauthenticated agent or admin body is never read.
 */
export const jobs = new OpenAPIHono<AppEnv>();

jobs.openAPIRegistry.registerComponent("securitySchemes", "webhookSignature", {
  type: "apiKey",
  in: "header",
  name: SIGNATURE_HEADER,
  description: `\`t=<unix seconds>,v2=<hex>\`: HMAC-SHA256 with one of the WEBHOOK_SECRETS over \`<t>.<${DELIVERY_HEADER}>.<raw body>\`, t within ${TOLERANCE_SECONDS} s of the server's clock. Several v2 values (and secrets) allow rotation.`,
});
jobs.openAPIRegistry.registerComponent("securitySchemes", "agentToken", { type: "http", scheme: "bearer", description: "The trainer agent's token (wrangler secret AGENT_TOKEN)." });
jobs.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer", description: "The operator's token (wrangler secret ADMIN_TOKEN)." });

const json = <S extends z.ZodType>(schema: S, description: string) => ({ content: { "application/json": { schema } }, description });
const err = (description: string) => json(ErrorBody, description);
/** A bearer route's answers without a valid token: bearerAuth's, in the API's error body. */
const bearerErrors = {
  400: err("invalid_authorization: the Authorization header is not `Bearer <one token>`; malformed_body, invalid_request: the body is not JSON or fails its schema (the field is named)"),
  401: err("unauthorized: no Authorization header; invalid_token: not this endpoint's token (with a WWW-Authenticate challenge)"),
  413: err("body_too_large"),
};
/** Declare a route in the OpenAPI document (the tag groups it on the docs page). */
const doc = (route: RouteConfig) => jobs.openAPIRegistry.registerPath(route);

/** Default lease an agent holds between heartbeats. */
export const LEASE_MS = 120_000;
/** Largest file an agent may upload (a shard is ≤ 4 MiB by default). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;
/** Largest webhook body (a retraining request is well under 1 KiB). */
export const MAX_WEBHOOK_BYTES = 64 * 1024;
/** Largest JSON body of the agent and admin endpoints (a heartbeat's message is ≤ 4000 chars). */
export const MAX_CONTROL_BYTES = 16 * 1024;

const secretsOf = (env: Env) => (env.WEBHOOK_SECRETS ?? "").split(",").map((s) => s.trim()).filter(Boolean);

const Accepted = z.object({ jobId: z.string().openapi({ example: "job_0123456789abcdef0123" }), status: z.literal("accepted"), statusUrl: z.string().openapi({ example: "/admin/jobs/job_0123456789abcdef0123" }) });
doc({
  method: "post",
  path: "/hooks/retrain",
  tags: ["retraining: webhook"],
  summary: "Ask for a retraining job (signed webhook, as CI or a data pipeline sends it)",
  description: `The signature is checked over the raw body before it is parsed. Re-sending a delivery (same ${DELIVERY_HEADER}) makes no second job.`,
  security: [{ webhookSignature: [] }],
  request: {
    headers: z.object({ [DELIVERY_HEADER]: DeliveryId.openapi({ description: "The sender's id of this delivery (retries reuse it); signed with the body", example: "ci-run-1234" }) }),
    body: { content: { "application/json": { schema: RetrainRequest } }, required: true },
  },
  responses: {
    202: json(Accepted, "Accepted: the job is recorded within seconds (follow statusUrl with the admin token)"),
    400: err(`invalid_request: a missing or malformed ${DELIVERY_HEADER}, or a body failing the schema (the field is named); malformed_body: not JSON`),
    401: err(`bad_signature: missing, malformed, stale or wrong ${SIGNATURE_HEADER} (the reason is given)`),
    413: err(`body_too_large: over ${MAX_WEBHOOK_BYTES} bytes`),
  },
});
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

async function readBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
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

const Agent = z.object({ agent: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, "1–64 chars of A-Z, a-z, 0-9, . _ : -").openapi({ description: "The agent's id (its lease is held under it)", example: "trainer-1" }) });
const LeaseMs = z.number().int().min(5_000).max(3_600_000).default(LEASE_MS).openapi({ description: "How long the lease lasts without another heartbeat" });
const Ok = z.object({ ok: z.literal(true) });
const JobIdParams = z.object({ id: JobId.openapi({ param: { name: "id", in: "path" }, example: "job_0123456789abcdef0123" }) });
const body = <S extends z.ZodType>(schema: S) => ({ body: { content: { "application/json": { schema } }, required: true } });
const agentRoute = { tags: ["retraining: agent"], security: [{ agentToken: [] }] };
const adminRoute = { tags: ["retraining: admin"], security: [{ adminToken: [] }] };
const unknownJob = err("unknown_job");
const leaseLost = err("lease_lost: this agent holds no live lease on the job");

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
const jobParam = params(JobIdParams);

const ClaimBody = Agent.extend({ leaseMs: LeaseMs });
const Claimed = z.object({
  job: Job,
  activeVersion: z.string().nullable().openapi({ description: "The model's active version when claimed (fine-tune starts from it)" }),
  uploadPrefix: z.string().openapi({ example: "/agent/jobs/job_0123456789abcdef0123/files/" }),
});
doc({
  ...agentRoute,
  method: "post",
  path: "/agent/claim",
  summary: "Claim the oldest queued job (or one whose lease expired) under a lease",
  request: body(ClaimBody),
  responses: { 200: json(Claimed, "A job, leased to this agent"), 204: { description: "No job is waiting" }, ...bearerErrors },
});
jobs.post("/agent/claim", async (c) => {
  const { agent, leaseMs } = await readBody(c, ClaimBody);
  const job = await claim(c.env.JOBS_DB, agent, leaseMs);
  if (!job) return c.body(null, 204);
  const current = await c.env.MODELS.get(`active:${job.model}`);
  return c.json({ job, activeVersion: current, uploadPrefix: `/agent/jobs/${job.id}/files/` });
});

const HeartbeatBody = Agent.extend({ leaseMs: LeaseMs, message: z.string().max(4000).optional().openapi({ description: "A progress line for the job's log" }) });
doc({
  ...agentRoute,
  method: "post",
  path: "/agent/jobs/{id}/heartbeat",
  summary: "Extend the lease (and log a progress line)",
  request: { params: JobIdParams, ...body(HeartbeatBody) },
  responses: { 200: json(Ok, "Lease extended"), ...bearerErrors, 409: leaseLost },
});
jobs.post("/agent/jobs/:id/heartbeat", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const { agent, leaseMs, message } = await readBody(c, HeartbeatBody);
  if (!(await heartbeat(c.env.JOBS_DB, id, agent, leaseMs))) throw new ApiError(409, "lease_lost", `agent "${agent}" holds no live lease on ${id}`, "agent");
  if (message) await log(c.env.JOBS_DB, id, message);
  return c.json({ ok: true });
});

const AgentHeader = z.object({ "LinkGAN-Agent": Agent.shape.agent });
doc({
  ...agentRoute,
  method: "put",
  path: "/agent/jobs/{id}/files/{name}",
  summary: "Upload one file of the new version (manifest.json or a shard) into the job's staging area",
  request: {
    params: JobIdParams.extend({ name: StagedFile.openapi({ param: { name: "name", in: "path" }, example: "group1-shard1of1.bin" }) }),
    headers: AgentHeader,
    body: { content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } }, required: true },
  },
  responses: {
    201: json(z.object({ stored: z.string(), bytes: z.number().int() }), "Stored"),
    ...bearerErrors,
    404: unknownJob,
    409: leaseLost,
    413: err(`body_too_large: over ${MAX_UPLOAD_BYTES} bytes`),
  },
});
jobs.put("/agent/jobs/:id/files/:name", params(z.object({ id: JobId, name: StagedFile })), boundedBody(MAX_UPLOAD_BYTES, "agent uploads"), async (c) => {
  const { id, name } = c.req.valid("param");
  const agent = AgentHeader.safeParse({ "LinkGAN-Agent": c.req.header("LinkGAN-Agent") ?? "" });
  if (!agent.success) throw new ApiError(400, "invalid_request", `LinkGAN-Agent: ${agent.error.issues[0]!.message}`, "LinkGAN-Agent");
  const job = await leasedJob(c, id, agent.data["LinkGAN-Agent"]);
  const bytes = await c.req.arrayBuffer();
  await c.env.WEIGHTS.put(stagingPrefix(job) + name, bytes);
  return c.json({ stored: name, bytes: bytes.byteLength }, 201);
});

const GateResult = z
  .object({ passed: z.boolean(), against: z.string().nullable(), failures: z.array(z.string()), candidate: z.record(z.string(), z.unknown()), active: z.record(z.string(), z.unknown()).nullable() })
  .openapi("GateResult", { description: "The quality gate's verdict against the active version's card metrics" });
doc({
  ...agentRoute,
  method: "post",
  path: "/agent/jobs/{id}/complete",
  summary: "Finish the job: verify the staged version, run the quality gate, publish (activate) it when it passes",
  request: { params: JobIdParams, ...body(Agent) },
  responses: {
    200: json(z.object({ version: z.string(), published: z.boolean(), gate: GateResult }), "Verified; published when the gate passed"),
    ...bearerErrors,
    404: unknownJob,
    409: leaseLost,
    422: err("upload_rejected: the staged files are not a loadable model version (the reason is given)"),
  },
});
jobs.post("/agent/jobs/:id/complete", jobParam, async (c) => {
  const { agent } = await readBody(c, Agent);
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

const FailBody = Agent.extend({ error: z.string().min(1).max(4000).openapi({ description: "Why the job failed (kept in the job)" }) });
doc({
  ...agentRoute,
  method: "post",
  path: "/agent/jobs/{id}/fail",
  summary: "Give the job up as failed",
  request: { params: JobIdParams, ...body(FailBody) },
  responses: { 200: json(Ok, "Recorded"), ...bearerErrors, 404: unknownJob, 409: leaseLost },
});
jobs.post("/agent/jobs/:id/fail", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const { agent, error } = await readBody(c, FailBody);
  await leasedJob(c, id, agent);
  await finish(c.env.JOBS_DB, id, agent, { state: "failed", error });
  return c.json({ ok: true });
});

jobs.use("/admin/*", tokenAuth("ADMIN_TOKEN"));
jobs.use("/admin/*", boundedBody(MAX_CONTROL_BYTES, "admin request bodies"));

doc({
  ...adminRoute,
  method: "get",
  path: "/admin/jobs",
  summary: "The newest jobs (up to 50)",
  responses: { 200: json(z.object({ jobs: z.array(Job) }), "Jobs, newest first"), ...bearerErrors },
});
jobs.get("/admin/jobs", async (c) => c.json({ jobs: await listJobs(c.env.JOBS_DB) }));

doc({
  ...adminRoute,
  method: "get",
  path: "/admin/jobs/{id}",
  summary: `One job (${JobState.options.join(", ")}) and its log`,
  request: { params: JobIdParams },
  responses: {
    200: json(z.object({ job: Job, logs: z.array(z.object({ at: z.number().openapi({ description: "Unix milliseconds" }), message: z.string() })) }), "The job"),
    ...bearerErrors,
    404: err("unknown_job (a delivery is recorded within seconds of its 202)"),
  },
});
jobs.get("/admin/jobs/:id", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  const job = await getJob(c.env.JOBS_DB, id);
  if (!job) throw new ApiError(404, "unknown_job", `no job "${id}" (a delivery is recorded within seconds of its 202)`, "id");
  return c.json({ job, logs: await jobLogs(c.env.JOBS_DB, job.id) });
});

doc({
  ...adminRoute,
  method: "post",
  path: "/admin/jobs/{id}/cancel",
  summary: "Cancel a job that is not over",
  request: { params: JobIdParams },
  responses: { 200: json(Ok, "Cancelled"), ...bearerErrors, 409: err("not_cancellable: unknown or already over") },
});
jobs.post("/admin/jobs/:id/cancel", jobParam, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await cancel(c.env.JOBS_DB, id))) throw new ApiError(409, "not_cancellable", `job "${id}" is unknown or already over`, "id");
  return c.json({ ok: true });
});

const modelParam = params(ModelParams);

doc({
  ...adminRoute,
  method: "get",
  path: "/admin/models/{model}/versions",
  summary: "A model's stored versions and the active one",
  request: { params: ModelParams },
  responses: { 200: json(z.object({ model: z.string(), active: z.string().nullable(), versions: z.array(z.string()) }), "Versions, oldest name first"), ...bearerErrors },
});
jobs.get("/admin/models/:model/versions", modelParam, async (c) => {
  const { model } = c.req.valid("param");
  return c.json({ model, active: await c.env.MODELS.get(`active:${model}`), versions: await listVersions(c.env, model) });
});

const ActivateBody = z.object({ version: ModelVersion.openapi({ example: "v0123456789abcdef" }) });
doc({
  ...adminRoute,
  method: "post",
  path: "/admin/models/{model}/activate",
  summary: "Roll back (or forward): make any stored version active",
  request: { params: ModelParams, ...body(ActivateBody) },
  responses: { 200: json(z.object({ model: z.string(), active: z.string() }), "Activated"), ...bearerErrors, 404: err("unknown_version") },
});
/** Rollback (or roll forward): make any stored version active. */
jobs.post("/admin/models/:model/activate", modelParam, async (c) => {
  const { model } = c.req.valid("param");
  const { version } = await readBody(c, ActivateBody);
  if (!(await c.env.WEIGHTS.head(`${modelPrefix(model, version)}manifest.json`))) throw new ApiError(404, "unknown_version", `model "${model}" has no stored version "${version}"`, "version");
  await setActiveVersion(c.env, model, version);
  return c.json({ model, active: version });
});
