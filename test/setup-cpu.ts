// Tests run the generator on the cpu backend, in Node and in workerd alike.
import "@tensorflow/tfjs-backend-cpu";
import { tf } from "../shared/tf.ts";

tf.env().set("PROD", true); // no "install tfjs-node" hint: cpu is deliberate here
await tf.setBackend("cpu");
