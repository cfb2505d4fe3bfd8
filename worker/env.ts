import type { D1Database, ExecutionContext, Fetcher, KVNamespace, Queue, R2Bucket, RateLimit } from "@cloudflare/workers-types/index.ts";

/**
 * The worker's bindings (wrangler.toml). Locally, `wrangler dev` and the vitest pool give real
 * R2, KV and rate-limit bindings backed by workerd; `npm run dev` seeds them from weights/.
 */
export interface Env {
  /** Model files: `models/<name>/<version>/manifest.json` and shards; uploaded masks under `masks/`. */
  WEIGHTS: R2Bucket;
  /** The active version pointer of each model: key `active:<name>` → version id. */
  MODELS: KVNamespace;
  /** Per-client limit on the endpoints that render or store. */
  RATE_LIMITER: RateLimit;
  /** The browser bundles (dist/client; wrangler.toml `[assets]`), served before the worker runs. */
  ASSETS: Fetcher;
  /** The model that `/` and the demo use. */
  DEFAULT_MODEL: string;
  /** Retraining jobs (D1: strongly consistent). */
  JOBS_DB: D1Database;
  /** Verified webhook deliveries, consumed into JOBS_DB. */
  JOBS_QUEUE: Queue;
  /** Active webhook secrets, comma-separated (rotation: add the new one, then drop the old). A secret. */
  WEBHOOK_SECRETS?: string;
  /** Bearer token of trainer agents (a secret; ≥ 16 chars). */
  AGENT_TOKEN?: string;
  /** Bearer token of admin endpoints (a secret; ≥ 16 chars). */
  ADMIN_TOKEN?: string;
}

export interface AppEnv {
  Bindings: Env;
}

export type { ExecutionContext };
