/**
 * The benchmark's workerd side: renders one image per request with the shared generator on the cpu
 * backend. The generator is built once per isolate; the client times each request on loopback
 * (Workers freeze timers during execution, so timing inside the isolate would read zero).
 */
import "@tensorflow/tfjs-backend-cpu";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { tf } from "../../shared/tf.ts";
import parts from "../../trainer/configs/faces64-parts.json";

const generators = new Map<string, Generator>();
let segmenter: Segmenter | undefined;

export default {
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const name = url.searchParams.get("config") ?? "";
    if (!(name in CONFIGS)) return new Response(`unknown config ${name}`, { status: 400 });
    const seed = Number(url.searchParams.get("seed") ?? "1");
    await tf.setBackend("cpu");
    let g = generators.get(name);
    if (!g) {
      const cfg = CONFIGS[name as ConfigName];
      g = Generator.fromValues(cfg, initParams(generatorParamSpecs(cfg), 1));
      generators.set(name, g);
    }
    const [w] = await g.mapSeeds([seed], 1);
    const [img] = await g.render([w!], [seed]);
    if (url.searchParams.get("segment") === "1") {
      // The faces64 image and then its labels: the client subtracts the generate-only time.
      segmenter ??= Segmenter.fromValues(SegmenterConfig.parse(parts.segmenter), initParams(segmenterParamSpecs(SegmenterConfig.parse(parts.segmenter)), 1));
      const [labels] = await segmenter.labels([img!]);
      return Response.json({ config: name, checksum: labels!.reduce((a, b) => a + b, 0) });
    }
    return Response.json({ config: name, checksum: img!.data.reduce((a, b) => a + b, 0) });
  },
};
