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
import { BackendFlag, selectBackend } from "../backends.ts";
import { fail, parseFlags } from "./args.ts";

const HELP = `Usage: npm run agent -- --api URL [options]
  --api URL          the worker's origin (e.g. http://localhost:8787)
  --token T          agent bearer token (default: $AGENT_TOKEN, then AGENT_TOKEN in .dev.vars)
  --once             run at most one job, waiting up to --wait seconds for it, then exit
  --wait S           with --once: how long to wait for a job (default 60)
  --poll S           seconds between claims when idle (default 5)
  --work-dir DIR     run folders (default runs/agent)
  --backend NAME     auto | tensorflow | webgpu | cpu
  --metric-samples N locality samples measured before upload (default 200)`;

const Flags = z.object({
  api: z.string().url(),
  token: z.string().optional(),
  once: z.boolean().default(false),
  wait: z.coerce.number().positive().default(60),
  poll: z.coerce.number().positive().default(5),
  "work-dir": z.string().default("runs/agent"),
  backend: BackendFlag,
  "metric-samples": z.coerce.number().int().min(1).default(200),
});
const f = parseFlags("agent", Flags, ["api", "token", "once", "wait", "poll", "work-dir", "backend", "metric-samples"], HELP, undefined, ["once"]);
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
