/**
 * Picks the TensorFlow.js backend the shared generator runs on in the browser, in the order
 * webgpu, wasm, webgl, cpu, and records why each one before the chosen one was skipped.
 *
 * wasm is tfjs's WebAssembly backend (SIMD, one thread), started from the binary the worker serves
 * beside this bundle (`npm run build:client` copies it into dist/client) through
 * shared/wasm-backend.ts, the worker's own adapter. A WebGPU adapter can be software (SwiftShader
 * in headless Chromium, llvmpipe/lavapipe, a "fallback adapter"): there, one 64 px image took 12 s.
 * So with `avoidSoftwareGpu` (auto mode), a software adapter is not taken on its name: the next
 * backend that starts is measured against it on the generator's dominant op, and the faster one
 * is chosen, with both times in the report.
 */
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-webgpu";
import { z } from "zod";
import { tf } from "../shared/tf.ts";
import { registerWasm } from "../shared/wasm-backend.ts";

export const BACKENDS = ["webgpu", "wasm", "webgl", "cpu"] as const;
export const BackendName = z.enum(BACKENDS);
export type BackendName = z.infer<typeof BackendName>;

/** The outcome of `chooseBackend`: the backend in use, and one reason per backend not used. */
export interface BackendReport {
  chosen: BackendName;
  skipped: { name: BackendName; reason: string }[];
  /** The WebGPU adapter, when one was found: its description, and whether it is software (or a fallback adapter). */
  adapter?: { description: string; software: boolean };
  /** Median milliseconds of the probe (a 3×3 convolution, 32×32×64) per backend, when a software adapter was measured against another backend. */
  measured?: Partial<Record<BackendName, number>>;
}

/** No backend in the list could start; `skipped` says why for each. */
export class NoBackendError extends Error {
  constructor(
    readonly skipped: BackendReport["skipped"],
    readonly adapter?: BackendReport["adapter"],
  ) {
    super(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
    this.name = "NoBackendError";
  }
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface AdapterLike {
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<AdapterInfoLike>;
}
interface GpuLike {
  requestAdapter(): Promise<AdapterLike | null>;
}

/** Names of software rasterizers as adapters report them. */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver|warp/i;

/** The WebGPU adapter, or why there is none. */
async function webgpuAdapter(): Promise<{ adapter: NonNullable<BackendReport["adapter"]> } | { reason: string }> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { reason: "navigator.gpu is undefined (no WebGPU in this browser, or it is disabled)" };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { reason: "navigator.gpu.requestAdapter() returned null (no usable GPU adapter)" };
    const info = adapter.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined)) ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") || "unnamed adapter";
    const software = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(description);
    return { adapter: { description, software } };
  } catch (e) {
    return { reason: `navigator.gpu.requestAdapter() failed: ${(e as Error).message}` };
  }
}

/**
 * Compile the SIMD binary from beside this bundle (the worker's assets, or the npm package). The
 * URL is a literal `new URL("./…", import.meta.url)`, the form by which Vite, webpack and Parcel
 * find an asset and emit it with an app that bundles the package.
 */
async function compileWasm(): Promise<WebAssembly.Module> {
  const url = new URL("./tfjs-backend-wasm-simd.wasm", import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.pathname}: HTTP ${res.status}`);
  // compileStreaming needs the application/wasm type; bytes work whatever the server says.
  return WebAssembly.compile(await res.arrayBuffer());
}

let wasmModule: Promise<WebAssembly.Module> | undefined;

async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === "webgl" && typeof document === "undefined" && typeof OffscreenCanvas === "undefined") return "no canvas to create a WebGL context on";
  if (name === "wasm") {
    if (typeof WebAssembly === "undefined") return "no WebAssembly in this browser";
    if (!wasmModule) {
      wasmModule = compileWasm();
      registerWasm(wasmModule);
    }
    // tf.setBackend reports a failed start as `false`; the compile error itself says why (no
    // SIMD in this browser, a page policy without 'wasm-unsafe-eval', the file not served).
    try {
      await wasmModule;
    } catch (e) {
      return `the SIMD binary could not be compiled: ${(e as Error).message}`;
    }
  }
  if (!tf.findBackendFactory(name)) return `the ${name} backend is not registered in this build`;
  try {
    if (await tf.setBackend(name)) {
      await tf.ready();
      return undefined;
    }
    if (name === "webgl") return "tf.setBackend('webgl') failed: no WebGL context (disabled, blocklisted GPU, or headless without a GL)";
    return `tf.setBackend('${name}') returned false`;
  } catch (e) {
    return `initialisation failed: ${(e as Error | undefined)?.message ?? String(e)}`;
  }
}

/** Median milliseconds of the probe on the active backend: the generator's dominant op, after one warm-up run (shader compilation). */
async function probe(): Promise<number> {
  const x = tf.randomNormal([1, 32, 32, 64]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const once = async () => {
    const t0 = performance.now();
    const y = tf.conv2d(x, k, 1, "same");
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  try {
    await once();
    const times = [await once(), await once(), await once()].sort((a, b) => a - b);
    return Math.round(times[1]! * 10) / 10;
  } finally {
    tf.dispose([x, k]);
  }
}

/**
 * Tries `order` in turn and makes the first backend that starts the active one. Backends left out
 * of `order` are reported as skipped ("not in the requested order"). With `avoidSoftwareGpu`, a
 * software WebGPU adapter is measured against the next backend that starts, and the faster wins.
 *
 * @example
 * const report = await chooseBackend();            // { chosen: "webgpu", skipped: [], adapter: { … } }
 * const auto = await chooseBackend(["webgpu", "wasm", "webgl"], { avoidSoftwareGpu: true });
 * // headless chromium: { chosen: "wasm", measured: { webgpu: 40, wasm: 3 },
 * //   skipped: [{ name: "webgpu", reason: "software adapter (google swiftshader …): probe 40 ms, wasm 3 ms" }, …] }
 */
export async function chooseBackend(order: readonly BackendName[] = BACKENDS, opts: { avoidSoftwareGpu?: boolean } = {}): Promise<BackendReport> {
  tf.env().set("PROD", true);
  const skipped: BackendReport["skipped"] = [];
  for (const name of BACKENDS) if (!order.includes(name)) skipped.push({ name, reason: "not in the requested order" });
  let adapter: BackendReport["adapter"];
  let softwareGpu = false;
  for (const name of order) {
    if (name === "webgpu") {
      const found = await webgpuAdapter();
      if ("reason" in found) {
        skipped.push({ name, reason: found.reason });
        continue;
      }
      adapter = found.adapter;
    }
    const reason = await tryBackend(name);
    if (reason !== undefined) {
      skipped.push({ name, reason });
      continue;
    }
    if (name === "webgpu" && adapter?.software && opts.avoidSoftwareGpu) {
      softwareGpu = true; // started; keep looking for one to measure it against
      continue;
    }
    if (!softwareGpu) return { chosen: name, skipped, adapter };
    // A software WebGPU adapter and another backend both started: measure, keep the faster.
    const other = await probe();
    await tf.setBackend("webgpu");
    const gpu = await probe();
    const measured = { webgpu: gpu, [name]: other };
    const why = `software adapter (${adapter!.description}): probe ${gpu} ms, ${name} ${other} ms`;
    if (gpu <= other) {
      skipped.push({ name, reason: `slower than webgpu's ${why}` });
      return { chosen: "webgpu", skipped, adapter, measured };
    }
    await tf.setBackend(name);
    skipped.unshift({ name: "webgpu", reason: why });
    return { chosen: name, skipped: dedupe(skipped), adapter, measured };
  }
  // Only the software adapter started: it is the one there is.
  if (softwareGpu) {
    await tf.setBackend("webgpu");
    return { chosen: "webgpu", skipped, adapter };
  }
  throw new NoBackendError(skipped, adapter);
}

/** Skip reasons in BACKENDS order (webgpu's, found last, first), one per backend. */
function dedupe(skipped: BackendReport["skipped"]): BackendReport["skipped"] {
  return BACKENDS.flatMap((n) => skipped.filter((s) => s.name === n).slice(0, 1));
}

/** Tensors alive on the active backend (tests check that repeated edits do not grow it). */
export const liveTensors = (): number => tf.memory().numTensors;
