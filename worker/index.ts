import "@tensorflow/tfjs-backend-cpu";
import { tf } from "../shared/tf.ts";
import { createApp } from "./app.ts";
import type { Env } from "./env.ts";
import { consumeJobs } from "./jobs/routes.ts";

// Workers have no WebGPU or WebGL: the generator runs on tfjs's cpu backend.
tf.env().set("PROD", true);
await tf.setBackend("cpu");

const app = createApp();

/** The worker: `wrangler dev` / `wrangler deploy` entry point (HTTP and the jobs queue). */
export default {
  fetch: app.fetch,
  queue: (batch: Parameters<typeof consumeJobs>[0], env: Env) => consumeJobs(batch, env),
};
