/** Start `wrangler dev` on a free loopback port and wait until it answers; for benchmarks and e2e tests. */
import { type ChildProcess, spawn } from "node:child_process";
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
