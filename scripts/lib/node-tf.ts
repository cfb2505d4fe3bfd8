/** Node-side tfjs set-up for the CLI and benchmarks: the pure-JS cpu backend, quietly. */
import "@tensorflow/tfjs-backend-cpu";
import { tf } from "../../shared/tf.ts";

export async function setupNodeCpu(): Promise<void> {
  // PROD silences tfjs's "install tfjs-node" hint: the cpu backend is what the worker runs, on purpose.
  tf.env().set("PROD", true);
  await tf.setBackend("cpu");
}
