/**
 * A globalSetup (vitest.config.ts, node and browser projects): names the folder where this run's
 * test files share one build of the npm package and its scratch app (scripts/lib/scratch-app.ts),
 * and removes it when the run ends. Vitest runs it in its main process before any worker starts,
 * so every test file of the run sees the same name; nothing is built unless a test asks for it.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SCRATCH_APP_ENV } from "../scripts/lib/scratch-app.ts";

export default function setup(): (() => Promise<void>) | undefined {
  // Each project that runs files calls this; the first names the folder, and removes it at the end.
  if (process.env[SCRATCH_APP_ENV]) return undefined;
  const dir = join(tmpdir(), `linkgan-package-run-${randomBytes(4).toString("hex")}`);
  process.env[SCRATCH_APP_ENV] = dir;
  return () => rm(dir, { recursive: true, force: true });
}
