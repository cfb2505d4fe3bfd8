import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { packModel } from "../../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../../test/fixtures/tiny.ts";
import { activeVersion, listVersions } from "../models/store.ts";
import { MODEL, seedTinyModel, testEnv } from "../testing.ts";
import { consumeJobs } from "./routes.ts";
import type { RetrainRequest } from "../../shared/jobs/schema.ts";
import { sign, verify } from "./signature.ts";
import { MAX_ATTEMPTS, claim, getJob, heartbeat, recordJob } from "./store.ts";

const AGENT = { Authorization: "Bearer agent-token-for-tests-only", "Content-Type": "application/json" };
const ADMIN = { Authorization: "Bearer admin-token-for-tests-only", "Content-Type": "application/json" };
const request: RetrainRequest = {
  model: MODEL,
  mode: "scratch",
  dataset: { kind: "dicebear", style: "adventurer", count: 32, seed: 0 },
  config: { totalKimg: 0.032 },
  gate: { ratioTolerance: 0.1, swdTolerance: 0.1 },
};
const http = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test${path}`, init);
const post = (path: string, headers: Record<string, string>, body: unknown) => http(path, { method: "POST", headers, body: JSON.stringify(body) });

async function deliver(deliveryId: string, body = JSON.stringify(request), secret = "whsec-test-new", t?: number) {
  return http("/hooks/retrain", { method: "POST", headers: { "Content-Type": "application/json", "LinkGAN-Signature": await sign(deliveryId, body, secret, t), "LinkGAN-Delivery": deliveryId }, body });
}

const jobCount = async (deliveryIds: string[]) => {
  const { results } = await testEnv.JOBS_DB.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE delivery_id IN (${deliveryIds.map(() => "?").join(",")})`).bind(...deliveryIds).all<{ n: number }>();
  return results[0]!.n;
};
const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string; field?: string } }).error;

async function waitForJob(id: string) {
  for (let i = 0; i < 100; i++) {
    const job = await getJob(testEnv.JOBS_DB, id);
    if (job) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} was never recorded`);
}

/** A tiny model version with card metrics, packed as the agent's export would. */
async function version(paramSeed: number, ratios: number[], swd = 10) {
  const metrics = { locality: TINY_REGIONS.map((r, i) => ({ region: r.name, ratio: ratios[i]! })), swd: { mean: swd } };
  return packModel({ name: MODEL, generator: TINY, regions: TINY_REGIONS, card: { ...TINY_CARD, metrics }, provenance: { trainer: "test" }, values: tinyValues(paramSeed), dtype: "int8" });
}

async function upload(jobId: string, agent: string, packed: Awaited<ReturnType<typeof version>>, corrupt?: "flip" | "truncate" | "no-manifest") {
  for (const s of packed.shards) {
    let bytes = s.bytes.slice();
    if (corrupt === "flip") bytes[10] = bytes[10]! ^ 0xff;
    if (corrupt === "truncate") bytes = bytes.slice(0, bytes.length - 7);
    const r = await http(`/agent/jobs/${jobId}/files/${s.path}`, { method: "PUT", headers: { ...AGENT, "LinkGAN-Agent": agent }, body: bytes });
    expect(r.status).toBe(201);
  }
  if (corrupt !== "no-manifest") {
    const r = await http(`/agent/jobs/${jobId}/files/manifest.json`, { method: "PUT", headers: { ...AGENT, "LinkGAN-Agent": agent }, body: JSON.stringify(packed.manifest) });
    expect(r.status).toBe(201);
  }
}

async function claimVia(agent: string): Promise<{ job: { id: string; attempts: number } } | null> {
  const r = await post("/agent/claim", AGENT, { agent });
  return r.status === 204 ? null : ((await r.json()) as { job: { id: string; attempts: number } });
}

/** Drain the queue of claimable jobs left by earlier tests, so each test claims its own. */
async function drain() {
  for (let c = await claimVia("drainer"); c; c = await claimVia("drainer")) await post(`/agent/jobs/${c.job.id}/fail`, AGENT, { agent: "drainer", error: "drained by the test" });
}

describe("signatures (Stripe scheme, with the delivery id signed)", () => {
  it("accepts a fresh signature of this delivery by any active secret and rejects everything else", async () => {
    const now = 1_800_000_000;
    const h = await sign("d-1", "body", "s2", now);
    expect(await verify("d-1", "body", h, ["s1", "s2"], now)).toEqual({ ok: true });
    expect((await verify("d-1", "body!", h, ["s1", "s2"], now)).ok).toBe(false);
    // The same signed body under another delivery id: not signed for it.
    expect(await verify("d-2", "body", h, ["s2"], now)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    // The split between id and body cannot move ("d-1" + "x.body" is not "d-1.x" + "body"): ids have no dots.
    expect(await verify("d-1.x", "body", await sign("d-1", "x.body", "s2", now), ["s2"], now)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a delivery id/) });
    expect(await verify("d-1", "body", h, ["s1"], now)).toMatchObject({ ok: false, reason: expect.stringMatching(/^signature does not match/) });
    expect((await verify("d-1", "body", h, ["s2"], now + 301)) as { reason: string }).toMatchObject({ reason: expect.stringMatching(/stale/) });
    expect((await verify("d-1", "body", h, ["s2"], now - 301)) as { reason: string }).toMatchObject({ reason: expect.stringMatching(/future/) });
    expect((await verify("d-1", "body", undefined, ["s2"], now)).ok).toBe(false);
    expect((await verify("d-1", "body", "v2=abc", ["s2"], now)).ok).toBe(false);
    // The scheme before the delivery id was bound is refused with a reason that says so.
    expect(await verify("d-1", "body", `t=${now},v1=${"0".repeat(64)}`, ["s2"], now)).toMatchObject({ ok: false, reason: expect.stringMatching(/v1 signatures .* no longer accepted/) });
    // Several v2 values (rotation on the sender's side): one valid is enough.
    expect((await verify("d-1", "body", `${h},v2=${"0".repeat(64)}`, ["s2"], now)).ok).toBe(true);
  });
});

describe("webhook", () => {
  it("answers 202 with a job id at once; the queue consumer records it as queued", async () => {
    const r = await deliver("delivery-accept-1");
    expect(r.status).toBe(202);
    const { jobId } = (await r.json()) as { jobId: string };
    const job = await waitForJob(jobId);
    expect(job).toMatchObject({ state: "queued", model: MODEL, deliveryId: "delivery-accept-1", attempts: 0 });
    const status = await http(`/admin/jobs/${jobId}`, { headers: ADMIN });
    expect(((await status.json()) as { logs: { message: string }[] }).logs[0]!.message).toBe("queued");
  });

  it("the same delivery twice is one job; a queue redelivery records nothing new", async () => {
    const a = (await (await deliver("delivery-dup")).json()) as { jobId: string };
    const b = (await (await deliver("delivery-dup")).json()) as { jobId: string };
    expect(b.jobId).toBe(a.jobId);
    await waitForJob(a.jobId);
    const msg = { jobId: a.jobId, deliveryId: "delivery-dup", request };
    const acks: string[] = [];
    await consumeJobs({ messages: [{ body: msg, ack: () => acks.push("ack"), retry: () => acks.push("retry") }] }, testEnv);
    expect(acks).toEqual(["ack"]);
    const { results } = await testEnv.JOBS_DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE delivery_id = ?").bind("delivery-dup").all<{ n: number }>();
    expect(results[0]!.n).toBe(1);
  });

  it("bad, missing, stale or future signatures get 401 and no job", async () => {
    const body = JSON.stringify(request);
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      await deliver("delivery-bad-secret", body, "not-a-secret"),
      await http("/hooks/retrain", { method: "POST", headers: { "LinkGAN-Delivery": "delivery-missing" }, body }),
      await deliver("delivery-stale", body, "whsec-test-new", now - 600),
      await deliver("delivery-future", body, "whsec-test-new", now + 600),
    ];
    for (const r of cases) {
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("bad_signature");
    }
    await new Promise((r) => setTimeout(r, 1500)); // longer than the queue's batch timeout
    expect(await jobCount(["delivery-bad-secret", "delivery-missing", "delivery-stale", "delivery-future"])).toBe(0);
  });

  it("a signed body replayed under another delivery id is a 401 and queues nothing (the id is signed)", async () => {
    const body = JSON.stringify({ ...request, config: { totalKimg: 0.033 } });
    const signature = await sign("delivery-original", body, "whsec-test-new");
    const send = (deliveryId: string) => http("/hooks/retrain", { method: "POST", headers: { "Content-Type": "application/json", "LinkGAN-Signature": signature, "LinkGAN-Delivery": deliveryId }, body });
    const first = await send("delivery-original");
    expect(first.status).toBe(202);
    const { jobId } = (await first.json()) as { jobId: string };
    const relabelled = await send("delivery-relabelled");
    expect(relabelled.status).toBe(401);
    expect(await errorOf(relabelled)).toMatchObject({ code: "bad_signature", field: "LinkGAN-Signature", message: expect.stringMatching(/does not match/) });
    // The same delivery again is the same job (idempotent), not a second one.
    expect(((await (await send("delivery-original")).json()) as { jobId: string }).jobId).toBe(jobId);
    await waitForJob(jobId);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await jobCount(["delivery-original", "delivery-relabelled"])).toBe(1);
  });

  it("a missing or malformed delivery id is a 400 naming the header; an oversized webhook a 413 saying the limit", async () => {
    const body = JSON.stringify(request);
    const noId = await http("/hooks/retrain", { method: "POST", headers: { "LinkGAN-Signature": await sign("x", body, "whsec-test-new") }, body });
    expect(noId.status).toBe(400);
    expect(await errorOf(noId)).toMatchObject({ code: "invalid_request", field: "LinkGAN-Delivery" });
    const big = JSON.stringify({ ...request, padding: "x".repeat(70_000) });
    const tooBig = await deliver("delivery-too-big", big);
    expect(tooBig.status).toBe(413);
    expect(await errorOf(tooBig)).toMatchObject({ code: "body_too_large", field: "body", message: expect.stringMatching(/webhook bodies are limited to 65536 bytes/) });
  });

  it("the old secret still verifies during rotation; a bad body is a 400 naming the field", async () => {
    expect((await deliver("delivery-old-secret", JSON.stringify(request), "whsec-test-old")).status).toBe(202);
    const bad = await deliver("delivery-bad-body", JSON.stringify({ ...request, mode: "sideways" }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe("mode");
  });
});

describe("agents and leases", () => {
  it("two agents never hold the same job", async () => {
    await drain();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await deliver(`delivery-race-${i}`)).json()) as { jobId: string }).jobId);
    for (const id of ids) await waitForJob(id);
    const claims = await Promise.all(["a1", "a2", "a3", "a4", "a5"].map((a) => claimVia(a)));
    const got = claims.filter((c) => c !== null).map((c) => c!.job.id);
    expect(got).toEqual(expect.arrayContaining(ids));
    expect(new Set(got).size).toBe(got.length);
  });

  it("a dead agent's lease expires and the job is claimed again; after the last attempt it fails with the reason", async () => {
    const db = testEnv.JOBS_DB;
    await recordJob(db, "job_lease_test", "delivery-lease", request, 0);
    // Far in the past, so this job is the oldest claimable one; time is passed explicitly.
    let t = 1000;
    const first = await claim(db, "dead-agent", 10_000, t);
    expect(first).toMatchObject({ id: "job_lease_test", attempts: 1 });
    expect(await heartbeat(db, "job_lease_test", "dead-agent", 10_000, t + 5_000)).toBe(true);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      t += 60_000; // the lease (renewed to t + 15 s) has long expired
      const again = await claim(db, `agent-${attempt}`, 10_000, t);
      expect(again).toMatchObject({ id: "job_lease_test", attempts: attempt });
    }
    expect(await heartbeat(db, "job_lease_test", "dead-agent", 10_000, t)).toBe(false); // the first agent lost it
    t += 60_000;
    await claim(db, "agent-late", 10_000, t);
    const job = await getJob(db, "job_lease_test");
    expect(job).toMatchObject({ state: "failed", error: expect.stringMatching(/lease expired on attempt 3 of 3/) });
  });
});

describe("publishing", () => {
  async function claimedJob(deliveryId: string) {
    await drain();
    const { jobId } = (await (await deliver(deliveryId)).json()) as { jobId: string };
    await waitForJob(jobId);
    const c = await claimVia("agent-p");
    expect(c?.job.id).toBe(jobId);
    return jobId;
  }

  it("corrupt, truncated or half-uploaded versions are rejected with the reason; the active version keeps serving", async () => {
    const active = await seedTinyModel(1);
    await testEnv.MODELS.put(`active:${MODEL}`, active);
    for (const [mode, reason] of [
      ["flip", /SHA-256 does not match/],
      ["truncate", /truncated or padded/],
      ["no-manifest", /manifest\.json was not uploaded/],
    ] as const) {
      const jobId = await claimedJob(`delivery-corrupt-${mode}`); // a fresh staging area each
      await upload(jobId, "agent-p", await version(5, [0.1, 0.1, 0.1]), mode);
      const r = await post(`/agent/jobs/${jobId}/complete`, AGENT, { agent: "agent-p" });
      expect(r.status, `${mode}: ${await r.clone().text()}`).toBe(422);
      expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(reason);
      expect(await activeVersion(testEnv, MODEL)).toBe(active);
    }
    expect((await http(`/v1/models/${MODEL}/generate?seed=1`)).headers.get("X-Model-Version")).toBe(active);
  });

  it("a version that fails the gate is stored but not active, with the metrics that failed; a passing one goes live; admins roll back", async () => {
    const base = await version(1, [0.1, 0.1, 0.1]);
    await testEnv.MODELS.put(`active:${MODEL}`, base.manifest.version);
    const { putModel } = await import("../models/store.ts");
    await putModel(testEnv, base, { activate: true });

    const worse = await version(6, [0.1, 0.5, 0.1]);
    const j1 = await claimedJob("delivery-gate-fail");
    await upload(j1, "agent-p", worse);
    const r1 = (await (await post(`/agent/jobs/${j1}/complete`, AGENT, { agent: "agent-p" })).json()) as { published: boolean; gate: { failures: string[] } };
    expect(r1.published).toBe(false);
    expect(r1.gate.failures.join()).toMatch(/right-eye: MSE_o\/MSE_i 0\.500 regresses/);
    expect(await activeVersion(testEnv, MODEL)).toBe(base.manifest.version);
    expect(await listVersions(testEnv, MODEL)).toContain(worse.manifest.version);
    expect(await getJob(testEnv.JOBS_DB, j1)).toMatchObject({ state: "failed", published: false, version: worse.manifest.version });

    const better = await version(7, [0.09, 0.1, 0.1], 9);
    const j2 = await claimedJob("delivery-gate-pass");
    await upload(j2, "agent-p", better);
    const r2 = (await (await post(`/agent/jobs/${j2}/complete`, AGENT, { agent: "agent-p" })).json()) as { published: boolean };
    expect(r2.published).toBe(true);
    expect(await activeVersion(testEnv, MODEL)).toBe(better.manifest.version);
    expect((await http(`/v1/models/${MODEL}/generate?seed=1`)).headers.get("X-Model-Version")).toBe(better.manifest.version);
    expect(await getJob(testEnv.JOBS_DB, j2)).toMatchObject({ state: "succeeded", published: true });

    const rollback = await post(`/admin/models/${MODEL}/activate`, ADMIN, { version: base.manifest.version });
    expect(rollback.status).toBe(200);
    expect(await activeVersion(testEnv, MODEL)).toBe(base.manifest.version);
  });
});

describe("authentication", () => {
  it("agent and admin endpoints need their own token and are never exposed by CORS", async () => {
    expect((await post("/agent/claim", { "Content-Type": "application/json" }, { agent: "x" })).status).toBe(401);
    expect((await post("/agent/claim", ADMIN, { agent: "x" })).status).toBe(401);
    expect((await http("/admin/jobs", { headers: AGENT })).status).toBe(401);
    const r = await http("/admin/jobs", { headers: { ...ADMIN, Origin: "https://evil.example" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("each failure says what is wrong, with the API's error body and a Bearer challenge (RFC 6750)", async () => {
    const cases: [Record<string, string>, number, string, RegExp, RegExp][] = [
      [{}, 401, "unauthorized", /need an "Authorization: Bearer <ADMIN_TOKEN>" header/, /^Bearer realm="linkgan-admin"$/],
      [{ Authorization: "Bearer wrong-token-0123456789" }, 401, "invalid_token", /not the admin token/, /^Bearer error="invalid_token"$/],
      [{ Authorization: AGENT.Authorization }, 401, "invalid_token", /not the admin token/, /^Bearer error="invalid_token"$/],
      [{ Authorization: "Bearer a b" }, 400, "invalid_authorization", /expected "Bearer <token>"/, /^Bearer error="invalid_request"$/],
      [{ Authorization: "Basic YTpi" }, 400, "invalid_authorization", /expected "Bearer <token>"/, /^Bearer error="invalid_request"$/],
    ];
    for (const [headers, status, code, message, challenge] of cases) {
      const r = await http("/admin/jobs", { headers });
      expect(r.status, JSON.stringify(headers)).toBe(status);
      expect(r.headers.get("Content-Type")).toMatch(/^application\/json/);
      expect(r.headers.get("WWW-Authenticate")).toMatch(challenge);
      expect(r.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(await errorOf(r)).toEqual({ code, message: expect.stringMatching(message), field: "Authorization" });
    }
  });
});

describe("path parameters", () => {
  it("a malformed job id, model name or file name is a 400 naming it; nothing reaches D1, KV or R2 with it", async () => {
    const long = "a".repeat(1000);
    const cases: [string, RequestInit, string][] = [
      [`/admin/models/${long}/versions`, { headers: ADMIN }, "model"],
      [`/admin/models/..%2F..%2Fetc/versions`, { headers: ADMIN }, "model"],
      [`/admin/models/${long}/activate`, { method: "POST", headers: ADMIN, body: JSON.stringify({ version: `v${"0".repeat(16)}` }) }, "model"],
      [`/admin/jobs/${long}`, { headers: ADMIN }, "id"],
      [`/admin/jobs/job_nope/cancel`, { method: "POST", headers: ADMIN }, "id"],
      [`/agent/jobs/${long}/heartbeat`, { method: "POST", headers: AGENT, body: JSON.stringify({ agent: "a" }) }, "id"],
      [`/agent/jobs/job_${"0".repeat(20)}/files/..%2Fmanifest.json`, { method: "PUT", headers: { ...AGENT, "LinkGAN-Agent": "a" }, body: "x" }, "name"],
    ];
    for (const [path, init, field] of cases) {
      const r = await http(path, init);
      expect(r.status, path.slice(0, 80)).toBe(400);
      expect(await errorOf(r)).toMatchObject({ code: "invalid_request", field });
    }
    // Well formed and unknown: a 404.
    const unknown = await http(`/admin/jobs/job_${"0".repeat(20)}`, { headers: ADMIN });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("unknown_job");
  });
});
