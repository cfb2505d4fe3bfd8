/**
 * The benchmark's workerd side: renders one image per request with the shared generator on the cpu
 * backend. The generator is built once per isolate; the client times each request on loopback
 * (Workers freeze timers during execution, so timing inside the isolate would read zero).
 */
import "@tensorflow/tfjs-backend-cpu";
import { CONFIGS, type ConfigName } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { tf } from "../../shared/tf.ts";

const generators = new Map<string, Generator>();

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
    return Response.json({ config: name, checksum: img!.data.reduce((a, b) => a + b, 0) });
  },
};
