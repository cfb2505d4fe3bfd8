/**
 * TensorFlow.js's WebAssembly backend (SIMD, one thread) started from a WebAssembly.Module that the
 * runtime provides, in place of tfjs's own start-up, which fetches and compiles the .wasm file
 * itself. Workers forbid compiling WebAssembly at run time: a .wasm reaches a Worker only as a
 * module imported at build time, so the worker passes that module; the browser passes the one it
 * compiled from the worker's assets, Node the one compiled from the package's file. tfjs has no
 * hook for this (tensorflow/tfjs#8157 asks for one), so this file drives the package's emscripten
 * factory with its `instantiateWasm` option and registers the backend tfjs's own init() would
 * build. The kernels are the package's (registered for "wasm" when it is imported).
 */
import { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import wasmFactoryImport from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js";
import { tf } from "./tf.ts";

type Factory = (config: { instantiateWasm: (imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) => object; onAbort: (msg: string) => void }) => Promise<EmscriptenLike>;
interface EmscriptenLike {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs?: Record<string, unknown>;
}
// The glue is CommonJS; bundlers hand it over as the function or as { default: function }.
const wasmFactory = ((wasmFactoryImport as unknown as { default?: Factory }).default ?? wasmFactoryImport) as unknown as Factory;

/** Where the SIMD binary lives in the package (the file a runtime compiles or imports). */
export const WASM_SIMD_FILE = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";

interface ProcessLike {
  listeners?(event: string): unknown[];
  removeListener?(event: string, fn: unknown): void;
  versions?: { node?: string };
}

/**
 * Instantiate the SIMD binary through the emscripten glue. Under Node, and under workerd's
 * `nodejs_compat`, the glue takes its Node branch: it reads `__dirname` (undefined in a Worker and
 * in an ES module) and adds process listeners that rethrow every unhandled rejection and uncaught
 * exception, which would crash the host on any unrelated rejected promise; so `__dirname` is
 * given a value first and the listeners the glue added are removed after.
 */
async function instantiate(module: WebAssembly.Module): Promise<EmscriptenLike> {
  const g = globalThis as { __dirname?: string; process?: ProcessLike };
  const proc = g.process;
  const events = ["uncaughtException", "unhandledRejection"];
  const before = new Map(events.map((e) => [e, new Set(proc?.listeners?.(e) ?? [])]));
  if (typeof proc?.versions?.node === "string" && g.__dirname === undefined) g.__dirname = "/";
  let aborted: string | undefined;
  const wasm = await wasmFactory({
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(module, imports).then(
        (instance) => done(instance, module),
        (e: Error) => {
          aborted = e.message;
        },
      );
      return {}; // emscripten: exports come later, through `done`
    },
    onAbort(msg) {
      aborted = msg;
    },
  });
  for (const e of events) for (const fn of proc?.listeners?.(e) ?? []) if (!before.get(e)!.has(fn)) proc?.removeListener?.(e, fn);
  if (aborted) throw new Error(`wasm module aborted: ${aborted}`);
  // What tfjs's init() attaches before it builds the backend (backend_wasm.js).
  wasm.tfjs = {
    init: wasm.cwrap("init", null, []),
    initWithThreadsCount: wasm.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: wasm.cwrap("get_threads_count", "number", []),
    registerTensor: wasm.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: wasm.cwrap("dispose_data", null, ["number"]),
    dispose: wasm.cwrap("dispose", null, []),
  };
  return wasm;
}

/**
 * Register the "wasm" backend on `module` (the SIMD binary, `WASM_SIMD_FILE`), replacing the
 * package's fetch-based one, and make it the active backend. Rejects with the reason when it cannot
 * start (the caller decides what to fall back to).
 *
 * @example
 * // a Worker (wrangler imports .wasm files as WebAssembly.Module):
 * import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
 * await startWasm(simd); // tf.getBackend() === "wasm"
 */
export async function startWasm(module: WebAssembly.Module | Promise<WebAssembly.Module>): Promise<void> {
  registerWasm(module);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
  await tf.ready();
}

/**
 * Register the "wasm" backend on `module` without activating it (tf.setBackend("wasm") starts it).
 * Only the first call registers; later ones keep the backend (and the tensors) already there.
 *
 * @example
 * registerWasm(WebAssembly.compileStreaming(fetch("/tfjs-backend-wasm-simd.wasm")));
 */
export function registerWasm(module: WebAssembly.Module | Promise<WebAssembly.Module>): void {
  // Once per tfjs engine: removing a started backend would orphan the tensors already on it.
  if (registered) return;
  if (tf.findBackendFactory("wasm")) tf.removeBackend("wasm"); // the package's fetch-based factory
  tf.registerBackend("wasm", async () => new BackendWasm((await instantiate(await module)) as never), 2);
  registered = true;
}
let registered = false;
