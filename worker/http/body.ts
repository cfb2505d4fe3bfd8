import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "./errors.ts";

/**
 * Request bodies, read once, through one bounded reader, before a handler or validator sees them.
 *
 * An over-limit body must leave the connection usable. Under `wrangler dev`, a response sent while
 * the request body is partly read leaves the connection stuck: the client's next request on it is
 * never answered (a body left untouched is fine: workerd skips it). A `Connection: close` header is
 * not ours to send (workerd drops it), and cancelling the stream is worse: the next request from
 * any client may then wait on wrangler dev's stuck internal connection (the attack run measured
 * 3 s). So a body is either refused untouched, when its Content-Length already says it is too
 * large, or read to its end: an over-limit chunked body is drained, discarding each chunk as it
 * comes (no memory held). The platform bounds that: Cloudflare refuses larger request bodies with
 * its own 413 before the worker runs (100 MB on the Free and Pro plans, 200 MB on Business; an
 * Enterprise zone sets its own limit).
 */

const tooLarge = (maxBytes: number, what: string, size: string) =>
  new ApiError(413, "body_too_large", `${what} are limited to ${maxBytes} bytes; this one has ${size}`, "body");

/**
 * The whole body of `req`, or a 413 ApiError when it is over `maxBytes` (`what` names the bodies
 * in the message, e.g. "mask uploads").
 */
export async function readBody(req: Request, maxBytes: number, what: string): Promise<Uint8Array<ArrayBuffer>> {
  const declared = req.headers.get("Content-Length");
  if (declared !== null && !req.headers.has("Transfer-Encoding") && Number(declared) > maxBytes) throw tooLarge(maxBytes, what, `${declared} bytes`);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await drain(reader);
      throw tooLarge(maxBytes, what, `more than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Read the rest of a body to its end, discarding it. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  while (!(await reader.read()).done) {
    // discard
  }
}

/**
 * Middleware: read the body through `readBody` (413 over `maxBytes`) and hand the handler an
 * in-memory copy, so the validators and handlers after it read what was already bounded.
 *
 * @example
 * masks.use("/v1/models/:model/masks", boundedBody(MAX_MASK_UPLOAD_BYTES, "mask uploads"));
 */
export function boundedBody(maxBytes: number, what: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // A GET or HEAD body is never read (nor allowed in a Request): workerd skips it untouched.
    if (c.req.raw.body && c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.req.raw = new Request(c.req.raw, { body: (await readBody(c.req.raw, maxBytes, what)) as Uint8Array<ArrayBuffer> });
    }
    await next();
  };
}
