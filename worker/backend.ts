import { tf } from "../shared/tf.ts";
import { startWasm } from "../shared/wasm-backend.ts";

/**
 * The backend the worker renders on: tfjs's WebAssembly backend (SIMD, one thread) by default,
 * about 15 times faster than the pure-JS cpu backend here; cpu when wasm cannot start, with the
 * reason logged once and sent with every render (`X-LinkGAN-Backend`).
 */

/** The response header naming the backend that rendered, e.g. `wasm` or `cpu; fallback="…"`. */
export const BACKEND_HEADER = "X-LinkGAN-Backend";

let fallback: string | undefined;

/**
 * Start wasm on the SIMD binary (imported by the entry point as a WebAssembly.Module), or cpu
 * with the reason when wasm cannot start.
 *
 * @example
 * import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
 * await startBackend(simd); // "wasm"
 */
export async function startBackend(simd: WebAssembly.Module | undefined): Promise<"wasm" | "cpu"> {
  tf.env().set("PROD", true);
  try {
    if (!simd) throw new Error("the SIMD binary was not bundled");
    await startWasm(simd);
    fallback = undefined;
    return "wasm";
  } catch (e) {
    fallback = (e as Error).message ?? String(e);
    console.warn(`linkgan: the wasm backend could not start (${fallback}); rendering on the cpu backend, about 15 times slower`);
    await tf.setBackend("cpu");
    return "cpu";
  }
}

/**
 * The `X-LinkGAN-Backend` value: the backend in use and, after a fallback, why.
 *
 * @example
 * res.headers.set(BACKEND_HEADER, backendHeader()); // "wasm", or 'cpu; fallback="…"'
 */
export function backendHeader(): string {
  const name = tf.getBackend();
  return fallback && name === "cpu" ? `cpu; fallback=${JSON.stringify(fallback.slice(0, 200))}` : name;
}
