/** Start `wrangler dev` on a free loopback port and wait until it answers; for benchmarks and e2e tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";

export interface DevServer {
  url: string;
  /** The wrangler process, which leads its own process group (workerd runs inside that group). */
  pid: number;
  /**
   * fetch() on a connection of its own (`Connection: close`). wrangler dev closes an idle
   * keep-alive connection on its own clock, and a request Node's fetch sends on it at that moment
   * fails with "other side closed"; a test that computes for seconds between two requests on a
   * loaded machine hits that race, so callers never reuse a connection.
   *
   * @example const res = await dev.fetch("/v1/models");
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/**
 * CPU seconds (user + system) used so far by the workerd processes in wrangler dev's process
 * group: the difference over N requests, divided by N, is the CPU time per request, the quantity
 * Workers bill and `[limits] cpu_ms` bounds (timers inside the isolate are frozen while it runs).
 *
 * @example
 * const t0 = workerdCpuSeconds(dev); await dev.fetch("/…"); const cpuMs = (workerdCpuSeconds(dev) - t0) * 1000;
 */
export function workerdCpuSeconds(dev: { pid: number }): number {
  const hz = 100; // Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat
  let ticks = 0;
  for (const t of workerdTicks(dev).values()) ticks += t;
  return ticks / hz;
}

/**
 * The workerd processes in wrangler dev's process group, by pid: when the set changes between two
 * readings (wrangler dev restarts workerd when a source file changes), the CPU counters restarted
 * with it and a difference of `workerdCpuSeconds` means nothing.
 *
 * @example
 * const before = workerdPids(dev).join(); …; if (workerdPids(dev).join() !== before) console.log("workerd restarted");
 */
export function workerdPids(dev: { pid: number }): number[] {
  return [...workerdTicks(dev).keys()];
}

/** utime + stime (in USER_HZ ticks) of each workerd process in wrangler dev's process group. */
function workerdTicks(dev: { pid: number }): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of readdirSync("/proc").filter((f) => /^[0-9]+$/.test(f))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // the process ended while we looked
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] is field 3 (state), f[2] the group, f[11] and f[12] utime and stime
    if (comm.startsWith("workerd") && Number(f[2]) === dev.pid) out.set(Number(pid), Number(f[11]) + Number(f[12]));
  }
  return out;
}

/** fetch() that closes its connection after the response (see DevServer.fetch). */
export function fetchOnce(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("connection", "close");
  return fetch(url, { ...init, headers });
}

export async function startWranglerDev(configPath: string, opts: { readyPath?: string; timeoutMs?: number; args?: string[] } = {}): Promise<DevServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "npx",
    ["wrangler", "dev", "--config", configPath, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), ...(opts.args ?? [])],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const stop = async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid!, "SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(url + (opts.readyPath ?? "/"));
      await res.arrayBuffer();
      return { url, pid: child.pid!, fetch: (path, init) => fetchOnce(url + path, init), stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`wrangler dev did not answer within ${opts.timeoutMs ?? 60_000} ms:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
