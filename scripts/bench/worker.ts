/**
 * The benchmark's workerd side: renders one image per request with the shared generator, on the
 * backend the request names (`backend=cpu|wasm`; wasm starts from the imported SIMD binary, as in
 * the product's worker). Generators are built once per isolate and backend; the client times each
 * request on loopback and reads workerd's CPU time from /proc (Workers freeze timers during
 * execution, so timing inside the isolate would read zero).
 */
import "@tensorflow/tfjs-backend-cpu";
import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../../shared/tf.ts";
import { registerWasm } from "../../shared/wasm-backend.ts";
import parts from "../../trainer/configs/faces64-parts.json";

tf.env().set("PROD", true);
registerWasm(simd);
const generators = new Map<string, Generator>();
const segmenters = new Map<string, Segmenter>();

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const name = url.searchParams.get("config") ?? "";
    if (!(name in CONFIGS)) return new Response(`unknown config ${name}`, { status: 400 });
    const backend = url.searchParams.get("backend") ?? "cpu";
    if (backend !== "cpu" && backend !== "wasm") return new Response(`unknown backend ${backend}`, { status: 400 });
    const seed = Number(url.searchParams.get("seed") ?? "1");
    if (!(await tf.setBackend(backend))) return new Response(`backend ${backend} did not start`, { status: 500 });
    let g = generators.get(`${backend}/${name}`);
    if (!g) {
      const cfg = CONFIGS[name as ConfigName];
      g = Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 1));
      generators.set(`${backend}/${name}`, g);
    }
    const [w] = await g.mapSeeds([seed], 1);
    const [img] = await g.render([w!], [seed]);
    if (url.searchParams.get("segment") === "1") {
      // The faces64 image and then its labels: the client subtracts the generate-only time.
      const cfg = SegmenterConfig.parse(parts.segmenter);
      const s = segmenters.get(backend) ?? Segmenter.fromValues(cfg, initParams(segmenterParamSpecs(cfg), 1));
      segmenters.set(backend, s);
      const [labels] = await s.labels([img!]);
      return Response.json({ config: name, backend: tf.getBackend(), checksum: labels!.reduce((a, b) => a + b, 0) });
    }
    return Response.json({ config: name, backend: tf.getBackend(), checksum: img!.data.reduce((a, b) => a + b, 0) });
  },
};
