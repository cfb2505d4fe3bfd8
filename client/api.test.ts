import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkGanError, timedFetch } from "./api.ts";

// A real HTTP server on loopback: one route that never answers, one that answers its headers at
// once and then streams its body for longer than the deadline.
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/slow-body") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      let n = 0;
      const t = setInterval(() => {
        res.write("x");
        if (++n === 5) {
          clearInterval(t);
          res.end();
        }
      }, 80);
    }
    // "/silent": never answered.
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe("timedFetch", () => {
  it("gives up on a server that never answers, with a timeout error naming the URL", async () => {
    const e = await failure(timedFetch(fetch, 150)(`${base}/silent`));
    expect(e).toBeInstanceOf(LinkGanError);
    expect((e as LinkGanError).code).toBe("timeout");
    expect((e as LinkGanError).message).toBe(`${base}/silent: no answer within 150 ms`);
  });

  it("times the headers only: a body that streams for longer than the deadline arrives whole", async () => {
    const res = await timedFetch(fetch, 150)(`${base}/slow-body`);
    expect(await res.text()).toBe("xxxxx");
  });

  it("says network_error when nothing listens, and leaves the caller's own abort an abort", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await failure(timedFetch(fetch, 5000)(`http://127.0.0.1:${port}/`));
    expect((refused as LinkGanError).code).toBe("network_error");
    const ctrl = new AbortController();
    const pending = failure(timedFetch(fetch, 5000)(`${base}/silent`, { signal: ctrl.signal }));
    ctrl.abort();
    const aborted = await pending;
    expect(aborted).not.toBeInstanceOf(LinkGanError);
    expect((aborted as Error).name).toBe("AbortError");
  });
});
