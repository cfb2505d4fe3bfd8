// Tests run the generator on the cpu backend, in Node and in workerd alike.
import "@tensorflow/tfjs-backend-cpu";
import { tf } from "../shared/tf.ts";

await tf.setBackend("cpu");
