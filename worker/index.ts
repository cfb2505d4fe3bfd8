import "@tensorflow/tfjs-backend-cpu";
import { tf } from "../shared/tf.ts";
import { createApp } from "./app.ts";

// Workers have no WebGPU or WebGL: the generator runs on tfjs's cpu backend.
tf.env().set("PROD", true);
await tf.setBackend("cpu");

/** The worker: `wrangler dev` / `wrangler deploy` entry point. */
export default createApp();
