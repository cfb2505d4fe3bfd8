import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "./errors.ts";

/**
 * Per-client limit (the RATE_LIMITER binding: a window configured in wrangler.toml) on the endpoints
 * that render or store. The client is its IP in CF-Connecting-IP. On Cloudflare's edge the edge sets
 * that header, and a client cannot. Under `wrangler dev`, Miniflare sets it to the connecting
 * address (127.0.0.1 on loopback) when a request has none and passes a client's own value through:
 * the limiter is active locally, and a local client can choose its key (the attack run shows both).
 * Only requests that reach the worker with no such header at all (the vitest pool's SELF.fetch)
 * are not limited.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const client = c.req.header("CF-Connecting-IP");
  if (client === undefined) return next();
  const { success } = await c.env.RATE_LIMITER.limit({ key: client });
  if (!success) throw new ApiError(429, "rate_limited", "too many requests from this client; retry in a minute", undefined, { "Retry-After": "60" });
  await next();
};
