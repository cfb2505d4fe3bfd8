/**
 * The benchmark's workerd side: renders one image per request with the shared generator, on the
 * backend the request names (`backend=cpu|wasm`; wasm starts from the imported SIMD binary, as in
 * the product's worker). Generators are built once per isolate and backend; the client times each
 * request on loopback and reads workerd's CPU time from /proc (Workers freeze timers during
 * execution, so timing inside the isolate would read zero).
 *
 * `invert=1&steps=N` runs GAN inversion instead (#14), as POST …/invert does after decoding: the
 * faces64-encoder config's encoder on a faces64 render, then N projector steps (with the part
 * segmenter's perceptual term unless `perceptual=0`); `encodeOnly=1` stops after the encoder.
 */
import "@tensorflow/tfjs-backend-cpu";
// The projector (invert=1) differentiates through the generator, as the product worker's does.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { useConvInputGradientAsConv } from "../../shared/gradients/conv2d.ts";
import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { EncoderConfig } from "../../shared/encoder/config.ts";
import { Encoder } from "../../shared/encoder/encoder.ts";
import { encoderParamSpecs } from "../../shared/encoder/params.ts";
import { project } from "../../shared/inversion/projector.ts";
import { tf } from "../../shared/tf.ts";
import { registerWasm } from "../../shared/wasm-backend.ts";
import encoderConfig from "../../trainer/configs/faces64-encoder.json";
import parts from "../../trainer/configs/faces64-parts.json";

// Conv2D's input gradient as an XNNPACK conv on wasm, not its slow Conv2DBackpropInput loop.
useConvInputGradientAsConv();

tf.env().set("PROD", true);
registerWasm(simd);
const generators = new Map<string, Generator>();
const segmenters = new Map<string, Segmenter>();
const encoders = new Map<string, Encoder>();
const segmenterOf = (backend: string) => {
  const cfg = SegmenterConfig.parse(parts.segmenter);
  const s = segmenters.get(backend) ?? Segmenter.fromValues(cfg, initParams(segmenterParamSpecs(cfg), 1));
  segmenters.set(backend, s);
  return s;
};

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const name = url.searchParams.get("config") ?? "";
    if (!(name in CONFIGS)) return new Response(`unknown config ${name}`, { status: 400 });
    const backend = url.searchParams.get("backend") ?? "cpu";
    if (backend !== "cpu" && backend !== "wasm") return new Response(`unknown backend ${backend}`, { status: 400 });
    const seed = Number(url.searchParams.get("seed") ?? "1");
    if (!(await tf.setBackend(backend))) return new Response(`backend ${backend} did not start`, { status: 500 });
    // edges=zero: the config with zero-edge upsampling (transposed convs), as the next default model has.
    const edges = url.searchParams.get("edges") === "zero" ? ("zero" as const) : undefined;
    let g = generators.get(`${backend}/${name}/${edges}`);
    if (!g) {
      const cfg = { ...CONFIGS[name as ConfigName], ...(edges ? { upsampleEdges: edges } : {}) };
      g = Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 1));
      generators.set(`${backend}/${name}/${edges}`, g);
    }
    const [w] = await g.mapSeeds([seed], 1);
    const [img] = await g.render([w!], [seed]);
    if (url.searchParams.get("invert") === "1") {
      // The render is the picture; the client subtracts the generate-only time.
      const cfg = EncoderConfig.parse(encoderConfig.encoder);
      const e = encoders.get(backend) ?? Encoder.fromValues(cfg, initParams(encoderParamSpecs(cfg), 1));
      encoders.set(backend, e);
      const [w0] = await e.encode([img!]);
      if (url.searchParams.get("encodeOnly") === "1") return Response.json({ config: name, backend: tf.getBackend(), checksum: w0!.reduce((a, b) => a + b, 0) });
      const steps = Number(url.searchParams.get("steps") ?? "0");
      const perceptual = url.searchParams.get("perceptual") !== "0";
      const [p] = await project(g, [img!], [w0!], { steps, featureNet: perceptual ? segmenterOf(backend) : undefined, ...(perceptual ? {} : { weights: { perceptual: 0 } }) });
      return Response.json({ config: name, backend: tf.getBackend(), checksum: p!.psnr });
    }
    if (url.searchParams.get("segment") === "1") {
      // The faces64 image and then its labels: the client subtracts the generate-only time.
      const [labels] = await segmenterOf(backend).labels([img!]);
      return Response.json({ config: name, backend: tf.getBackend(), checksum: labels!.reduce((a, b) => a + b, 0) });
    }
    return Response.json({ config: name, backend: tf.getBackend(), checksum: img!.data.reduce((a, b) => a + b, 0) });
  },
};
