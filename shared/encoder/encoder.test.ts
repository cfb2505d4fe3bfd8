import { describe, expect, it } from "vitest";
import { TINY } from "../../test/fixtures/tiny.ts";
import { countParams, initParams } from "../generator/params.ts";
import { tf } from "../tf.ts";
import { versionOf } from "../weights/content-id.ts";
import { WeightFormatError, loadEncoder, loadModel, memorySource } from "../weights/loader.ts";
import { packEncoder } from "../weights/pack.ts";
import { EncoderConfig, encoderLevels } from "./config.ts";
import { Encoder } from "./encoder.ts";
import { encoderForward } from "./network.ts";
import { ENCODER_PREFIX, encoderParamSpecs } from "./params.ts";

// Runs in Node and inside workerd (no Node APIs): the encoder is shared code like the generator.

const cfg = EncoderConfig.parse({ resolution: TINY.resolution, wDim: TINY.wDim, channels: [4, 8, 8] });
const values = initParams(encoderParamSpecs(cfg), 5);
const card = { title: "tiny encoder", description: "random weights", datasets: [], metrics: {} };
const inverts = { name: "tiny-fixture", version: "v0123456789abcdef" };
const images = (n: number, seed = 1) =>
  Array.from({ length: n }, (_, i) => {
    const data = new Float32Array(TINY.resolution ** 2 * 3);
    for (let k = 0; k < data.length; k++) data[k] = Math.sin(k * 0.37 + (i + seed) * 1.3) * 0.8;
    return { width: TINY.resolution, height: TINY.resolution, data };
  });
// biome-ignore lint/suspicious/noExplicitAny: tests corrupt arbitrary manifest fields on purpose
type Json = any;

describe("encoder config and parameters", () => {
  it("has one channel entry per level down to 4 px, and says so naming the field", () => {
    expect(encoderLevels(cfg)).toEqual([16, 8, 4]);
    const r = EncoderConfig.safeParse({ resolution: 64, wDim: 256, channels: [8, 16] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["channels"]);
    expect(r.error!.issues[0]!.message).toMatch(/one entry per level from 64 px down to 4 px \(5\), got 2/);
    expect(EncoderConfig.safeParse({ resolution: 16, wDim: 32, channels: [4, 8, 8], extra: 1 }).success).toBe(false);
  });

  it("names every parameter encoder.*, in a fixed order with the shapes the forward pass uses", () => {
    const specs = encoderParamSpecs(cfg);
    expect(specs.every((s) => s.name.startsWith(ENCODER_PREFIX))).toBe(true);
    expect(specs.map((s) => s.name)).toEqual([
      "encoder.stem.weight", "encoder.stem.bias",
      "encoder.block1.conv0.weight", "encoder.block1.conv0.bias", "encoder.block1.conv1.weight", "encoder.block1.conv1.bias", "encoder.block1.skip.weight",
      "encoder.block2.conv0.weight", "encoder.block2.conv0.bias", "encoder.block2.conv1.weight", "encoder.block2.conv1.bias", "encoder.block2.skip.weight",
      "encoder.fc.weight", "encoder.fc.bias", "encoder.out.weight", "encoder.out.bias",
    ]);
    expect(specs.find((s) => s.name === "encoder.fc.weight")!.shape).toEqual([16 * 8, TINY.wDim]);
    expect(countParams(specs)).toBe(3 * 3 * 3 * 4 + 4 + (9 * 4 * 8 + 8 + 9 * 8 * 8 + 8 + 4 * 8) + (9 * 8 * 8 + 8 + 9 * 8 * 8 + 8 + 8 * 8) + (128 * 32 + 32) + (32 * 32 + 32));
  });

  it("encodes a batch to [N, wDim]; each image's code does not depend on the batch; wrong sizes are refused", async () => {
    const e = Encoder.fromValues(cfg, values);
    const ws = await e.encode(images(3));
    expect(ws).toHaveLength(3);
    expect(ws.every((w) => w.length === TINY.wDim && w.every(Number.isFinite))).toBe(true);
    const [alone] = await e.encode(images(1, 2));
    for (let k = 0; k < TINY.wDim; k++) expect(alone![k]).toBeCloseTo(ws[1]![k]!, 5);
    const split = await e.encode(images(3), { batch: 2 });
    for (const [i, w] of split.entries()) for (let k = 0; k < TINY.wDim; k++) expect(w[k]).toBeCloseTo(ws[i]![k]!, 5);
    await expect(e.encode([{ width: 8, height: 8, data: new Float32Array(192) }])).rejects.toThrow(/image 0: the encoder takes 16×16 RGB, got 8×8/);
    expect(() => encoderForward(e.params, cfg, tf.zeros([1, 8, 8, 3]) as tf.Tensor4D)).toThrow(/expected \[N, 16, 16, 3\], got \[1,8,8,3\]/);
    const before = tf.memory().numTensors;
    await e.encode(images(2));
    expect(tf.memory().numTensors).toBe(before);
    e.dispose();
    expect(() => Encoder.fromValues(cfg, new Map([...values].slice(1)))).toThrow(/encoder parameter missing: encoder\.stem\.weight/);
  });
});

describe("encoders in the weight format", () => {
  const pack = (dtype: "int8" | "float32") => packEncoder({ name: "tiny-encoder", encoder: cfg, inverts, card, provenance: { trainer: "test" }, values, dtype });
  const sourceOf = (p: Awaited<ReturnType<typeof pack>>, manifest: unknown = p.manifest) => memorySource(manifest, Object.fromEntries(p.shards.map((s) => [s.path, s.bytes])));
  const reject = async (source: ReturnType<typeof memorySource>, pattern: RegExp) => {
    const err = await loadEncoder(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightFormatError);
    expect((err as Error).message).toMatch(pattern);
  };

  it("packs and loads back through loadEncoder (int8 by channel, vectors exact), pinning the generator it inverts", async () => {
    const p = await pack("int8");
    const loaded = await loadEncoder(sourceOf(p));
    expect(loaded.manifest.inverts).toEqual(inverts);
    expect(loaded.manifest.encoder).toEqual(cfg);
    expect([...loaded.values.keys()]).toEqual(encoderParamSpecs(cfg).map((s) => s.name));
    expect(loaded.values.get("encoder.out.bias")).toEqual(values.get("encoder.out.bias"));
    const f32 = Encoder.fromValues(cfg, values);
    const i8 = Encoder.fromValues(cfg, loaded.values);
    const [a, b] = [await f32.encode(images(2)), await i8.encode(images(2))];
    let se = 0;
    let ss = 0;
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < TINY.wDim; k++) {
        se += (a[i]![k]! - b[i]![k]!) ** 2;
        ss += a[i]![k]! ** 2;
      }
    }
    expect(se / ss).toBeLessThan(1e-3); // int8 changes the codes by well under 1 % of their energy
    f32.dispose();
    i8.dispose();
    const e2 = await loadModel(sourceOf(p)).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/invalid manifest: .*generator/);
  });

  it("refuses a bad manifest, naming the field", async () => {
    const p = await pack("float32");
    const edit = async (f: (m: Json) => void) => {
      const m = JSON.parse(JSON.stringify(p.manifest));
      f(m);
      m.version = await versionOf(m);
      return m;
    };
    await reject(sourceOf(p, await edit((m) => (m.inverts.version = "latest"))), /inverts\.version: must be "v" \+ 16 hex digits/);
    await reject(sourceOf(p, await edit((m) => delete m.inverts)), /inverts/);
    await reject(sourceOf(p, await edit((m) => (m.encoder.channels = [4, 8]))), /encoder\.channels: needs one entry per level/);
    await reject(sourceOf(p, await edit((m) => (m.encoder.wDim = 64))), /weight encoder\.fc\.weight has shape \[128,32\], the network config needs \[128,64\]/);
    await reject(sourceOf(p, await edit((m) => m.weightsManifest[0].weights.pop())), /weight encoder\.out\.bias is missing/);
  });
});
