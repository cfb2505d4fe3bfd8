/**
 * Backends the trainer runs on, chosen at start-up with a reason the user can read:
 *   tensorflow  @tensorflow/tfjs-node: the TensorFlow C library (built at install time from the
 *               tensorflow-cpu wheel, scripts/setup/tfjs-node.mjs); the fast path
 *   webgpu      @tensorflow/tfjs-backend-webgpu on Dawn (`webgpu` package): the WebGPU harness
 *   cpu         the pure-JS backend: tiny configs and tests only (conv filter gradients are slow)
 */
import { type ValueFlag, oneOf } from "./cli/args.ts";
import { tf } from "./tf-node.ts";
import { registerTensorflowLeakyReluGrad } from "./kernels/leaky-relu-grad.ts";

export type BackendName = "tensorflow" | "webgpu" | "cpu";

/** The `--backend` flag of every trainer command: a backend, or "auto" (tensorflow when installed). */
export const backendFlag = {
  value: "NAME",
  help: "auto | tensorflow | webgpu | cpu (auto: tensorflow when installed, else cpu)",
  type: oneOf(["auto", "tensorflow", "webgpu", "cpu"]),
  default: "auto",
} as const satisfies ValueFlag;

export interface BackendChoice {
  name: BackendName;
  /** Why this backend (and why not the faster ones). */
  reason: string;
}

async function tryTensorflow(): Promise<string | null> {
  try {
    await import("@tensorflow/tfjs-node" as string);
    if (!(await tf.setBackend("tensorflow"))) return "tfjs-node loaded but the tensorflow backend did not initialise";
    registerTensorflowLeakyReluGrad();
    return null;
  } catch (e) {
    return `@tensorflow/tfjs-node is not usable (${(e as Error).message.split("\n")[0]}); run npm install again and read the tfjs-node set-up message`;
  }
}

async function tryWebgpu(): Promise<string | null> {
  try {
    const { setupDawn } = (await import("./webgpu.ts" as string)) as { setupDawn: () => Promise<unknown> };
    await setupDawn();
    await import("@tensorflow/tfjs-backend-webgpu" as string);
    if (!(await tf.setBackend("webgpu"))) return "tfjs-backend-webgpu did not initialise on the Dawn adapter";
    return null;
  } catch (e) {
    return `WebGPU through Dawn is not available (${(e as Error).message.split("\n")[0]})`;
  }
}

/**
 * Select a backend. "auto" prefers tensorflow, then cpu (WebGPU on this kind of machine is a
 * software adapter, slower than cpu for training, so it is only used when asked for).
 *
 * @example
 * const { name, reason } = await selectBackend("auto"); console.error(`backend: ${name} (${reason})`);
 */
export async function selectBackend(wanted: BackendName | "auto"): Promise<BackendChoice> {
  tf.env().set("PROD", true);
  if (wanted === "tensorflow" || wanted === "auto") {
    const err = await tryTensorflow();
    if (!err) return { name: "tensorflow", reason: "tfjs-node with the TensorFlow C library (CPU build; no GPU build of libtensorflow can be installed here)" };
    if (wanted === "tensorflow") throw new Error(err);
    await tf.setBackend("cpu");
    return { name: "cpu", reason: `${err}; falling back to the pure-JS cpu backend, which is fine for tiny configs only` };
  }
  if (wanted === "webgpu") {
    const err = await tryWebgpu();
    if (err) throw new Error(err);
    return { name: "webgpu", reason: "tfjs-backend-webgpu on Dawn" };
  }
  await tf.setBackend("cpu");
  return { name: "cpu", reason: "requested" };
}
