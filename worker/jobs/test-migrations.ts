// workerd test set-up: apply the D1 schema (wrangler applies it with `d1 migrations apply`).
import { applyD1Migrations, env } from "cloudflare:test";

const e = env as unknown as { JOBS_DB: Parameters<typeof applyD1Migrations>[0]; TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] };
await applyD1Migrations(e.JOBS_DB, e.TEST_MIGRATIONS);
