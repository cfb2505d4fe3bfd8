/// <reference types="vite/client" />
import { SELF } from "cloudflare:test";
import simd from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-simd.wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { CONFIGS } from "../../shared/generator/configs.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { generatorParamSpecs, initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterLogits } from "../../shared/segmenter/network.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { tf } from "../../shared/tf.ts";
import { registerWasm } from "../../shared/wasm-backend.ts";
import { BACKEND_HEADER, backendHeader, startBackend } from "../backend.ts";
import { MODEL, seedTinyModel } from "../testing.ts";

// The worker renders on tfjs's wasm backend (SIMD, one thread), started from the .wasm module the
// bundle imports. Here: the worker reports it, and wasm matches the cpu backend within 1e-4 for the
// config of every model shipped in weights/ and every segmenter there (random weights at the
// trainer's initialisation: the ops, not the training, are under test).

const manifests = import.meta.glob<{ name: string; generator?: unknown; segmenter?: unknown }>("../../weights/*/manifest.json", { eager: true, import: "default" });
const generators = new Map<string, GeneratorConfig>();
const segmenters = new Map<string, SegmenterConfig>();
for (const cfg of Object.values(CONFIGS)) generators.set(JSON.stringify(cfg), cfg);
for (const m of Object.values(manifests)) {
  if (m.generator) {
    const cfg = GeneratorConfig.parse(m.generator);
    generators.set(JSON.stringify(cfg), cfg);
    // New models upsample with zero edges (one conv2dTranspose per layer): the same config that way.
    const zero = GeneratorConfig.parse({ ...cfg, upsampleEdges: "zero" });
    generators.set(JSON.stringify(zero), zero);
  }
  if (m.segmenter) {
    const cfg = SegmenterConfig.parse(m.segmenter);
    segmenters.set(JSON.stringify(cfg), cfg);
  }
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

/** Run `fn` with `backend` active, then restore the backend that was. */
async function on<T>(backend: "cpu" | "wasm", fn: () => Promise<T>): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    await tf.setBackend(before);
  }
}

beforeAll(async () => {
  registerWasm(simd); // a no-op when the worker's entry point registered it in this isolate already
  await seedTinyModel();
});
afterAll(() => tf.setBackend("cpu"));

describe("the wasm backend", () => {
  it("the worker renders on wasm and says so", async () => {
    const r = await SELF.fetch(`http://api.test/v1/models/${MODEL}/generate?seed=7`);
    expect(r.status).toBe(200);
    expect(r.headers.get(BACKEND_HEADER)).toBe("wasm");
  });

  it("without the binary the worker falls back to cpu and says why; with it, back on wasm", async () => {
    try {
      expect(await startBackend(undefined)).toBe("cpu");
      expect(tf.getBackend()).toBe("cpu");
      expect(backendHeader()).toBe('cpu; fallback="the SIMD binary was not bundled"');
    } finally {
      expect(await startBackend(simd)).toBe("wasm");
    }
    expect(backendHeader()).toBe("wasm");
  });

  it("the shipped configs and their segmenters exist (the comparisons below run on something)", () => {
    expect(generators.size).toBeGreaterThanOrEqual(2);
    expect(segmenters.size).toBeGreaterThanOrEqual(1);
  });

  for (const cfg of generators.values()) {
    it(`generator ${cfg.resolution} px, channels ≤ ${cfg.channelMax}, ${cfg.upsampleEdges ?? "replicate"} edges: wasm matches cpu within 1e-4 (w and image)`, async () => {
      const values = initParams(generatorParamSpecs(cfg), 1);
      const run = (backend: "cpu" | "wasm") =>
        on(backend, async () => {
          const g = Generator.fromValues(cfg, values);
          try {
            const ws = await g.mapSeeds([1, 2], 0.7);
            const imgs = await g.render(ws, [1, 2]);
            return { ws, imgs };
          } finally {
            g.dispose();
          }
        });
      const cpu = await run("cpu");
      const wasm = await run("wasm");
      for (let i = 0; i < 2; i++) {
        expect(maxAbsDiff(wasm.ws[i]!, cpu.ws[i]!)).toBeLessThanOrEqual(1e-4);
        expect(maxAbsDiff(wasm.imgs[i]!.data, cpu.imgs[i]!.data)).toBeLessThanOrEqual(1e-4);
      }
      expect(maxAbsDiff(wasm.imgs[0]!.data, wasm.imgs[1]!.data), "two seeds give two images").toBeGreaterThan(1e-3);
    });
  }

  for (const cfg of segmenters.values()) {
    it(`segmenter ${cfg.resolution} px, ${cfg.classes.length} classes: wasm's logits match cpu's within 1e-4`, async () => {
      const values = initParams(segmenterParamSpecs(cfg), 1);
      const image = Float32Array.from({ length: cfg.resolution ** 2 * 3 }, (_, i) => Math.sin(i * 0.37));
      const run = (backend: "cpu" | "wasm") =>
        on(backend, async () => {
          const params = Object.fromEntries(segmenterParamSpecs(cfg).map((s) => [s.name, tf.tensor(values.get(s.name)!, s.shape, "float32")]));
          const logits = tf.tidy(() => segmenterLogits(params, cfg, tf.tensor4d(image, [1, cfg.resolution, cfg.resolution, 3])));
          const data = await logits.data();
          tf.dispose([logits, ...Object.values(params)]);
          return data;
        });
      const cpu = await run("cpu");
      const wasm = await run("wasm");
      expect(maxAbsDiff(wasm, cpu)).toBeLessThanOrEqual(1e-4);
    });
  }
});
