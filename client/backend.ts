/**
 * Picks the TensorFlow.js backend the shared generator runs on in the browser: WebGPU first, then
 * WebGL, then the pure-JS cpu backend, and records why each one before the chosen one was skipped.
 * (The wasm backend is not bundled: it fetches and compiles its own .wasm files at run time, and
 * the generator needs float32 convolutions it runs no faster than WebGL here.)
 */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import { z } from "zod";
import { tf } from "../shared/tf.ts";

export const BACKENDS = ["webgpu", "webgl", "cpu"] as const;
export const BackendName = z.enum(BACKENDS);
export type BackendName = z.infer<typeof BackendName>;

/** The outcome of `chooseBackend`: the backend in use, and one reason per backend not used. */
export interface BackendReport {
  chosen: BackendName;
  skipped: { name: BackendName; reason: string }[];
}

/** No backend in the list could start; `skipped` says why for each. */
export class NoBackendError extends Error {
  constructor(readonly skipped: BackendReport["skipped"]) {
    super(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
    this.name = "NoBackendError";
  }
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** Why WebGPU cannot be used here, or undefined when an adapter is available. */
async function webgpuUnavailable(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return "navigator.gpu is undefined (no WebGPU in this browser, or it is disabled)";
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return "navigator.gpu.requestAdapter() returned null (no usable GPU adapter)";
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`;
  }
  return undefined;
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === "webgpu") {
    const why = await webgpuUnavailable();
    if (why) return why;
  }
  if (name === "webgl" && typeof document === "undefined" && typeof OffscreenCanvas === "undefined") return "no canvas to create a WebGL context on";
  if (!tf.findBackendFactory(name)) return `the ${name} backend is not registered in this build`;
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return undefined;
    }
    return name === "webgl" ? "tf.setBackend('webgl') failed: no WebGL context (disabled, blocklisted GPU, or headless without a GL)" : `tf.setBackend('${name}') returned false`;
  } catch (e) {
    return `initialisation failed: ${(e as Error).message}`;
  }
}

/**
 * Tries `order` in turn and makes the first backend that starts the active one. Backends left out
 * of `order` are reported as skipped ("not in the requested order").
 *
 * @example
 * const report = await chooseBackend();            // { chosen: "webgpu", skipped: [] }
 * const fallback = await chooseBackend(["webgl", "cpu"]);
 * console.log(fallback.skipped);                   // [{ name: "webgpu", reason: "not in the requested order" }]
 */
export async function chooseBackend(order: readonly BackendName[] = BACKENDS): Promise<BackendReport> {
  tf.env().set("PROD", true);
  const skipped: BackendReport["skipped"] = [];
  for (const name of BACKENDS) if (!order.includes(name)) skipped.push({ name, reason: "not in the requested order" });
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === undefined) return { chosen: name, skipped };
    skipped.push({ name, reason });
  }
  throw new NoBackendError(skipped);
}

/** Tensors alive on the active backend (tests check that repeated edits do not grow it). */
export const liveTensors = (): number => tf.memory().numTensors;
