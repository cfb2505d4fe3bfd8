/**
 * npm run agent -- --api http://localhost:8787 [--once] [--token T] [--work-dir runs/agent]
 *
 * The trainer agent: polls the worker for retraining jobs and runs them with this trainer (see
 * trainer/agent/agent.ts). The token comes from --token, $AGENT_TOKEN, or .dev.vars (local dev).
 */
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { z } from "zod";
import { claimJob, runJob } from "../agent/agent.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { command, fail, int, num, str } from "./args.ts";

const cli = command({
  run: "npm run agent --",
  name: "agent",
  summary: "Polls the worker for retraining jobs and runs them with this trainer.",
  flags: {
    api: { value: "URL", help: "the worker's origin (e.g. http://localhost:8787)", type: z.url({ error: (i) => `must be a URL such as http://localhost:8787, got "${i.input}"` }), required: true },
    token: { value: "T", help: "agent bearer token", type: str(), defaultText: "$AGENT_TOKEN, then AGENT_TOKEN in .dev.vars" },
    once: { switch: true, help: "run at most one job, waiting up to --wait seconds for it, then exit" },
    wait: { value: "S", help: "with --once: how long to wait for a job, in seconds", type: num(0, 86_400, { above: true }), default: 60 },
    poll: { value: "S", help: "seconds between claims when idle", type: num(0, 3_600, { above: true }), default: 5 },
    "work-dir": { value: "DIR", help: "run folders", type: str(), default: "runs/agent" },
    backend: backendFlag,
    "metric-samples": { value: "N", help: "locality samples measured before upload", type: int(1, 100_000), default: 200 },
  },
  examples: ["npm run agent -- --api http://localhost:8787 --once"],
});
const f = cli.parseOrExit();
const devVars = await readFile(".dev.vars", "utf8").catch(() => "");
const token = f.token ?? process.env.AGENT_TOKEN ?? /^AGENT_TOKEN\s*=\s*"?([^"\n]+)"?/m.exec(devVars)?.[1];
if (!token) fail("agent", "no agent token: pass --token, set AGENT_TOKEN, or run npm run dev:seed to write .dev.vars");
const backend = await selectBackend(f.backend).catch((e: Error) => fail("agent", e.message));
const opts = { api: f.api.replace(/\/$/, ""), token, agentId: `${hostname()}-${process.pid}`, workDir: f["work-dir"], backend: backend.name, metricSamples: f["metric-samples"] };
console.error(`agent ${opts.agentId} on ${backend.name}, polling ${opts.api}`);

const deadline = Date.now() + f.wait * 1000;
for (;;) {
  const claimed = await claimJob(opts).catch((e: Error) => {
    console.error(`claim failed (will retry): ${e.message}`);
    return null;
  });
  if (claimed) {
    const r = await runJob(opts, claimed);
    if (f.once) process.exit(r ? 0 : 1);
  } else if (f.once && Date.now() > deadline) {
    fail("agent", `no job arrived within ${f.wait} s`);
  }
  await new Promise((r) => setTimeout(r, (f.once ? 1 : f.poll) * 1000));
}
