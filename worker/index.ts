import "@tensorflow/tfjs-backend-cpu";
// The projector of POST /v1/models/{m}/invert differentiates through the generator.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { useConvInputGradientAsConv } from "../shared/gradients/conv2d.ts";
import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
import { createApp } from "./app.ts";
import { startBackend } from "./backend.ts";
import type { Env } from "./env.ts";
import { consumeJobs } from "./jobs/routes.ts";

// Conv2D's input gradient as an XNNPACK conv on wasm, not its slow Conv2DBackpropInput loop.
useConvInputGradientAsConv();

// Workers have no WebGPU or WebGL: the generator runs on tfjs's wasm backend (cpu as the fallback).
await startBackend(simd);

const app = createApp();

/** The worker: `wrangler dev` / `wrangler deploy` entry point (HTTP and the jobs queue). */
export default {
  fetch: app.fetch,
  queue: (batch: Parameters<typeof consumeJobs>[0], env: Env) => consumeJobs(batch, env),
};
