// The whole retraining loop on loopback (issue #6): a signed webhook to wrangler dev (local R2, KV,
// D1 and Queues), the trainer agent training the tiny preset, a verified publish, and the new
// version serving. Its own persistence folder and secrets; nothing is shared with `npm run dev`.
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sign } from "../../worker/jobs/signature.ts";
import { type DevServer, startWranglerDev } from "../../scripts/lib/wrangler-dev.ts";

const run = promisify(execFile);
const persist = `tmp/e2e-retrain-${process.pid}`;
const secrets = { WEBHOOK_SECRETS: "e2e-webhook-secret", AGENT_TOKEN: "e2e-agent-token-0123456789", ADMIN_TOKEN: "e2e-admin-token-0123456789" };
let dev: DevServer;

beforeAll(async () => {
  await run("node", ["--import", "tsx", "scripts/dev/seed.ts", "--persist-to", persist, "--with-fixture"], { timeout: 120_000 });
  dev = await startWranglerDev("wrangler.toml", { readyPath: "/healthz", args: ["--persist-to", persist, ...Object.entries(secrets).map(([k, v]) => `--var=${k}:${v}`)] });
}, 180_000);

afterAll(async () => {
  await dev?.stop();
  await rm(persist, { recursive: true, force: true });
  await rm(`runs/agent-e2e-${process.pid}`, { recursive: true, force: true });
});

describe("retraining loop", () => {
  it("webhook → queue → D1 → agent trains → verified upload → gate → the new version serves", async () => {
    const before = (await dev.fetch(`/v1/models/tiny-fixture/generate?seed=1`)).headers.get("X-Model-Version");
    const body = JSON.stringify({ model: "tiny-fixture", mode: "scratch", preset: "tiny-retrain", dataset: { kind: "dicebear", style: "adventurer", count: 32, seed: 0 }, config: { totalKimg: 0.04 } });
    const delivery = `e2e-${process.pid}`;
    const hook = await dev.fetch(`/hooks/retrain`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "LinkGAN-Signature": await sign(delivery, body, secrets.WEBHOOK_SECRETS), "LinkGAN-Delivery": delivery },
      body,
    });
    expect(hook.status).toBe(202);
    const { jobId } = (await hook.json()) as { jobId: string };

    const agent = await run("node", ["--import", "tsx", "trainer/cli/agent.ts", "--api", dev.url, "--once", "--wait", "60", "--token", secrets.AGENT_TOKEN, "--work-dir", `runs/agent-e2e-${process.pid}`, "--metric-samples", "8"], { timeout: 240_000 }).catch((e: { stderr: string; message: string }) => {
      throw new Error(`agent failed: ${e.message}\n${e.stderr}`);
    });
    expect(agent.stderr).toMatch(/published/);

    const status = (await (await dev.fetch(`/admin/jobs/${jobId}`, { headers: { Authorization: `Bearer ${secrets.ADMIN_TOKEN}` } })).json()) as {
      job: { state: string; version: string; published: boolean };
      logs: { message: string }[];
    };
    expect(status.job).toMatchObject({ state: "succeeded", published: true });
    expect(status.logs.map((l) => l.message)).toEqual(expect.arrayContaining(["queued", "succeeded"]));
    const after = await dev.fetch(`/v1/models/tiny-fixture/generate?seed=1`);
    expect(after.status).toBe(200);
    expect(after.headers.get("X-Model-Version")).toBe(status.job.version);
    expect(status.job.version).not.toBe(before);
  }, 300_000);
});
