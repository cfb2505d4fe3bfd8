import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "./errors.ts";

/**
 * Per-client limit (the RATE_LIMITER binding: a window configured in wrangler.toml) on the endpoints
 * that render or store. The client is its IP as Cloudflare's edge reports it in CF-Connecting-IP,
 * which a client cannot set. Requests without it come from local tools (wrangler dev on loopback,
 * tests, benchmarks), not from the edge, and are not limited.
 */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const client = c.req.header("CF-Connecting-IP");
  if (client === undefined) return next();
  const { success } = await c.env.RATE_LIMITER.limit({ key: client });
  if (!success) throw new ApiError(429, "rate_limited", "too many requests from this client; retry in a minute", undefined, { "Retry-After": "60" });
  await next();
};
