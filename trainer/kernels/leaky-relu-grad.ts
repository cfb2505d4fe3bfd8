/**
 * LeakyRelu's gradient as one TensorFlow kernel on tfjs-node.
 *
 * tfjs differentiates LeakyRelu as where(x > 0, dy, α·dy): three full-size kernels (Greater,
 * Multiply, Select) per activation, about a tenth of a training step here. TensorFlow has the same
 * formula as one kernel, LeakyReluGrad, which tfjs-node does not expose. This registers it as a
 * tfjs kernel for the tensorflow backend and points LeakyRelu's gradient at it there; every other
 * backend keeps tfjs's formula. A test pins the two equal. The gradient is first-order only, like
 * tf.leakyRelu's: the second-order build never uses LeakyRelu (shared/generator/layers.ts).
 */
import { tf } from "../tf-node.ts";

/** The tfjs kernel name under which TensorFlow's LeakyReluGrad is registered. */
export const TF_LEAKY_RELU_GRAD = "TFLeakyReluGrad";

/** The parts of tfjs-node's backend this kernel calls (NodeJSKernelBackend). */
interface TensorflowBackend {
  binding: { TF_ATTR_FLOAT: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: number }[], inputs: tf.TensorInfo[]): tf.TensorInfo;
}

let registered = false;

/** Register the kernel and the gradient (once; call after the tensorflow backend is set). */
export function registerTensorflowLeakyReluGrad(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: TF_LEAKY_RELU_GRAD,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as TensorflowBackend;
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      if (dy.dtype !== "float32" || x.dtype !== "float32") throw new Error(`${TF_LEAKY_RELU_GRAD}: float32 only, got ${dy.dtype}/${x.dtype}`);
      const opAttrs = [
        { name: "alpha", type: b.binding.TF_ATTR_FLOAT, value: (attrs as { alpha: number }).alpha },
        { name: "T", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
      ];
      return b.executeSingleOutput("LeakyReluGrad", opAttrs, [dy, x]);
    },
  });
  tf.registerGradient({
    kernelName: tf.LeakyRelu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const alpha = (attrs as unknown as { alpha: number }).alpha;
      if (tf.getBackend() === "tensorflow") return { x: () => tf.engine().runKernel(TF_LEAKY_RELU_GRAD, { dy: dy as tf.Tensor, x }, { alpha }) as tf.Tensor };
      return { x: () => tf.where(tf.greater(x, 0), dy as tf.Tensor, tf.mul(dy as tf.Tensor, alpha)) };
    },
  });
}
