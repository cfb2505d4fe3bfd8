/**
 * The attack run's instruments: one tally per class of attack, a request function that judges every
 * answer the same way (a status ≥ 500, an error that is not the API's JSON error body, no answer in
 * time, or an answer other than the attack expects), raw-socket exchanges for what fetch cannot
 * send (chunked and lying bodies, un-normalized paths, several requests on one connection), and
 * the memory of the workerd process that runs the isolate.
 */
import { readFileSync, readdirSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";

/** An answer slower than this is a hang ($ATTACK_HANG_MS, default 15 s; shorter to see a hang sooner). */
export const HANG_MS = Number(process.env.ATTACK_HANG_MS ?? 15_000);

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** No answer: the request timed out or its connection failed (`error` says which). */
export interface NoAnswer {
  error: string;
}

/** What one class of attack did to the worker. */
export class Tally {
  requests = 0;
  /** Responses with status ≥ 500. */
  serverErrors = 0;
  /** 4xx answers that are not `{"error":{"code","message"}}` JSON. */
  nonJsonErrors = 0;
  /** Requests that got no answer within HANG_MS (or lost their connection). */
  hangs = 0;
  /** Answers that differ from what the attack expects (e.g. a replay accepted). */
  wrong = 0;
  /** workerd's resident memory (MiB) before and after the class. */
  rssBefore = 0;
  rssAfter = 0;
  readonly examples: string[] = [];

  constructor(readonly name: string) {}

  problem(what: string): void {
    if (this.examples.length < 6) this.examples.push(what);
  }

  get failed(): boolean {
    return this.serverErrors + this.nonJsonErrors + this.hangs + this.wrong > 0;
  }
}

export const answered = (a: Answer | NoAnswer | undefined): a is Answer => a !== undefined && !("error" in a);

/** A judge of one answer: a sentence when it is not what the attack expects. */
export type Expect = (a: Answer) => string | undefined;

/** The API's error body, or undefined. */
export function errorOf(a: Answer): { code: string; message: string; field?: string } | undefined {
  try {
    const e = (JSON.parse(a.body.toString("utf8")) as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
    return typeof e?.code === "string" && typeof e.message === "string" ? (e as { code: string; message: string; field?: string }) : undefined;
  } catch {
    return undefined;
  }
}

/** Expect one of `statuses`, and (when given) one of the error `codes`. */
export const expectStatus =
  (statuses: number[], codes?: string[]): Expect =>
  (a) => {
    if (!statuses.includes(a.status)) return `status ${a.status}, expected ${statuses.join("/")}: ${a.body.toString("utf8").slice(0, 160)}`;
    if (codes && a.status >= 400 && !codes.includes(errorOf(a)?.code ?? "")) return `code ${errorOf(a)?.code}, expected ${codes.join("/")}`;
    return undefined;
  };

/** Judge an answer the same way whoever sent it. */
export function judge(t: Tally, what: string, answer: Answer | NoAnswer | undefined, expect?: Expect): void {
  t.requests++;
  if (!answer || "error" in answer) {
    t.hangs++;
    t.problem(`${what}: no answer (${answer?.error ?? `none within ${HANG_MS / 1000} s`})`);
    return;
  }
  const a = answer;
  if (a.status >= 500) {
    t.serverErrors++;
    t.problem(`${what}: ${a.status} ${a.body.toString("utf8").slice(0, 160)}`);
  } else if (a.status >= 400 && (!/^application\/json/.test(a.headers["content-type"] ?? "") || !errorOf(a))) {
    t.nonJsonErrors++;
    t.problem(`${what}: ${a.status} ${a.headers["content-type"]} ${a.body.toString("utf8").slice(0, 120)}`);
  }
  const wrong = expect?.(a);
  if (wrong) {
    t.wrong++;
    t.problem(`${what}: ${wrong}`);
  }
}

/** Requests through node:http, which sends the path exactly as given (fetch would resolve `..` and `%2e%2e`). */
export class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });
  private clientNumber = 0;
  readonly host: string;
  readonly port: number;

  constructor(readonly base: string) {
    const u = new URL(base);
    this.host = u.hostname;
    this.port = Number(u.port);
  }

  /**
   * A fresh client address for each request (`CF-Connecting-IP`, which wrangler dev passes
   * through), so that the per-client rate limit measures nothing outside its own class.
   */
  nextIp(): string {
    const n = this.clientNumber++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  send(method: string, path: string, opts: { headers?: Record<string, string>; body?: Uint8Array | string; clientIp?: string | null } = {}): Promise<Answer | NoAnswer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.clientIp !== null) headers["CF-Connecting-IP"] = opts.clientIp ?? this.nextIp();
    const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body ? Buffer.from(opts.body) : undefined;
    if (body) headers["Content-Length"] = String(body.length);
    const attempt = (staleLeft: number): Promise<Answer | NoAnswer> =>
      new Promise((resolve) => {
        const req = httpRequest({ host: this.host, port: this.port, method, path, headers, agent: this.agent, signal: AbortSignal.timeout(HANG_MS) }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (d: Buffer) => parts.push(d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: flat(res.headers), body: Buffer.concat(parts) }));
          res.on("error", (e) => resolve({ error: `response: ${e.message}` }));
        });
        req.on("error", (e: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed while it sat idle (wrangler dev closes idle
          // connections after a few seconds): the request never reached it, so send it again, as
          // Node's documentation advises; each such socket is gone after its error, and the pool
          // holds at most 8. A reset on a fresh connection is a real failure.
          if (staleLeft > 0 && req.reusedSocket && e.code === "ECONNRESET") return resolve(attempt(staleLeft - 1));
          resolve({ error: e.name === "AbortError" || e.name === "TimeoutError" ? `none within ${HANG_MS / 1000} s` : `${e.code ?? e.name}: ${e.message}` });
        });
        req.end(body);
      });
    return attempt(8);
  }

  close(): void {
    this.agent.destroy();
  }
}

const flat = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(", ") : (v ?? "")]));

/** Run `jobs` with at most `width` in flight. */
export async function pool<T>(items: T[], width: number, job: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await job(items[i]!, i);
      }
    }),
  );
}

/**
 * One connection, several requests in turn: each is written once the previous answer has fully
 * arrived. Answers that never come (within HANG_MS) end the exchange: the rest are undefined.
 * `stall` writes a request and leaves it unfinished, for a lying Content-Length.
 */
export async function exchange(port: number, requests: (Buffer | string)[]): Promise<(Answer | undefined)[]> {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  let closed = false;
  socket.on("data", (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    waiting?.();
  });
  const onEnd = () => {
    closed = true;
    waiting?.();
  };
  socket.on("close", onEnd);
  socket.on("error", onEnd);
  const answers: (Answer | undefined)[] = [];
  try {
    for (const r of requests) {
      if (closed) {
        answers.push(undefined);
        continue;
      }
      socket.write(r);
      const deadline = Date.now() + HANG_MS;
      let answer: Answer | undefined;
      for (;;) {
        const parsed = parseResponse(buffered);
        if (parsed) {
          answer = parsed.answer;
          buffered = buffered.subarray(parsed.length);
          break;
        }
        if (closed || Date.now() > deadline) break;
        await new Promise<void>((resolve) => {
          waiting = resolve;
          setTimeout(resolve, Math.max(1, deadline - Date.now()));
        });
        waiting = undefined;
      }
      answers.push(answer);
      if (!answer) closed = true;
    }
  } finally {
    socket.destroy();
  }
  return answers;
}

/** One complete HTTP/1.1 response at the start of `b` (Content-Length or chunked), or undefined. */
function parseResponse(b: Buffer): { answer: Answer; length: number } | undefined {
  const end = b.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [statusLine, ...lines] = b.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let at = end + 4;
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = b.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(b.subarray(at, lineEnd).toString("latin1"), 16);
      if (b.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(b.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
      if (size === 0) return { answer: { status, headers, body: Buffer.concat(parts) }, length: at };
    }
  }
  const length = Number(headers["content-length"] ?? 0);
  if (b.length < at + length) return undefined;
  return { answer: { status, headers, body: b.subarray(at, at + length) }, length: at + length };
}

/** A raw HTTP/1.1 request with a Content-Length body (or none). */
export function rawRequest(method: string, path: string, headers: Record<string, string>, body?: Buffer): Buffer {
  const all = { Host: "127.0.0.1", ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) };
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body ?? Buffer.alloc(0)]);
}

/** A raw HTTP/1.1 request whose body is sent chunked, in chunks of 16 KiB. */
export function chunkedRequest(method: string, path: string, headers: Record<string, string>, body: Buffer): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}Transfer-Encoding: chunked\r\n\r\n`;
  const parts: Uint8Array[] = [Buffer.from(head, "latin1")];
  for (let at = 0; at < body.length; at += 16384) {
    const c = body.subarray(at, at + 16384);
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`, "latin1"), c, Buffer.from("\r\n", "latin1"));
  }
  parts.push(Buffer.from("0\r\n\r\n", "latin1"));
  return Buffer.concat(parts);
}

/** Resident memory (MiB) of the workerd processes in the process group `group` (the wrangler dev that runs them). */
export function workerdRssMiB(group: number): number {
  let kib = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the parenthesised name: state, ppid, pgrp, …
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp !== group || !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // the process ended while we looked
    }
  }
  return kib / 1024;
}
