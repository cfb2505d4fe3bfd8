import { describe, expect, it } from "vitest";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../../test/fixtures/tiny.ts";
import { Generator } from "../generator/generator.ts";
import { canonicalJson, sha256Hex, versionOf } from "./content-id.ts";
import { WeightFormatError, loadModel, loadSegmenter, memorySource } from "./loader.ts";
import { ModelVersion } from "./manifest.ts";
import { initParams } from "../generator/params.ts";
import { SegmenterConfig } from "../segmenter/config.ts";
import { segmenterParamSpecs } from "../segmenter/params.ts";
import { Segmenter } from "../segmenter/segmenter.ts";
import { type PackedModel, packModel, packSegmenter } from "./pack.ts";
import { type WeightDtype, fromHalfBits, toHalfBits } from "./quantize.ts";

// Runs in Node and inside workerd: packing, hashing and loading are the same code everywhere.

const pack = (dtype: WeightDtype, shardBytes?: number) =>
  packModel({
    name: "tiny-fixture",
    generator: TINY,
    regions: TINY_REGIONS,
    card: TINY_CARD,
    provenance: { trainer: "test" },
    values: tinyValues(1),
    dtype,
    ...(shardBytes ? { shardBytes } : {}),
  });

const shardBytes = (p: PackedModel) => p.shards.reduce((a, s) => a + s.bytes.length, 0);
const sourceOf = (p: PackedModel, chunk?: number) =>
  memorySource(p.manifest, Object.fromEntries(p.shards.map((s) => [s.path, s.bytes])), chunk);

/** Mutate a packed model's manifest and re-derive its version, so only the intended fault remains. */
// biome-ignore lint/suspicious/noExplicitAny: tests corrupt arbitrary manifest fields on purpose
type Json = any;
async function withManifest(p: PackedModel, edit: (m: Json) => void): Promise<Json> {
  const m = JSON.parse(JSON.stringify(p.manifest));
  edit(m);
  m.version = await versionOf(m);
  return m;
}

async function render(p: PackedModel): Promise<Float32Array> {
  const model = await loadModel(sourceOf(p));
  const g = Generator.fromValues(model.manifest.generator, model.values);
  const ws = await g.mapSeeds([7, 8, 9], 1);
  const imgs = await g.render(ws, [7, 8, 9]);
  g.dispose();
  const out = new Float32Array(imgs.length * imgs[0]!.data.length);
  for (const [i, im] of imgs.entries()) out.set(im.data, i * im.data.length);
  return out;
}

/** PSNR for images in [−1, 1] (peak-to-peak 2). */
function psnr(a: Float32Array, b: Float32Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(4 / (se / a.length));
}

describe("quantization", () => {
  it("int8 is ≤ 0.27× the float32 bytes (scales included) with PSNR ≥ 40 dB; float16 ≥ 50 dB", async () => {
    const [f32, f16, i8] = await Promise.all([pack("float32"), pack("float16"), pack("int8")]);
    const scaleBytes = i8.manifest.weightsManifest[0]!.weights.reduce(
      (a, e) => a + (e.quantization?.dtype === "int8" ? e.quantization.scales.length * 4 : 0),
      0,
    );
    expect((shardBytes(i8) + scaleBytes) / shardBytes(f32)).toBeLessThanOrEqual(0.27);
    expect(shardBytes(f16) / shardBytes(f32)).toBe(0.5);
    const ref = await render(f32);
    expect(psnr(ref, await render(i8))).toBeGreaterThanOrEqual(40);
    expect(psnr(ref, await render(f16))).toBeGreaterThanOrEqual(50);
  });

  it("float16 rounds to nearest even and keeps specials", () => {
    for (const v of [0, -0, 1, -2.5, 65504, 6.1e-5, 5.96e-8, 0.1]) expect(Math.abs(fromHalfBits(toHalfBits(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-3 + 6e-8);
    expect(fromHalfBits(toHalfBits(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(fromHalfBits(toHalfBits(Number.NaN)))).toBe(true);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
  });
});

describe("version ids", () => {
  it("derive from content: same content same id, any change a new id", async () => {
    const a = await pack("int8");
    const b = await pack("int8");
    expect(a.manifest.version).toBe(b.manifest.version);
    expect(ModelVersion.safeParse(a.manifest.version).success).toBe(true);
    expect((await pack("float16")).manifest.version).not.toBe(a.manifest.version);
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe("loader", () => {
  it("accepts a valid model streamed in 7-byte chunks across shards, reporting monotone progress to 1", async () => {
    const p = await pack("int8", 10_000);
    expect(p.shards.length).toBeGreaterThan(2);
    const progress: number[] = [];
    const model = await loadModel(sourceOf(p, 7), { onProgress: (f) => progress.push(f) });
    expect(model.manifest.version).toBe(p.manifest.version);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1]!)).toBe(true);
    const expected = await loadModel(sourceOf(await pack("int8")));
    for (const [k, v] of expected.values) expect(Array.from(model.values.get(k)!)).toEqual(Array.from(v));
  });

  const reject = async (source: ReturnType<typeof memorySource>, pattern: RegExp) => {
    const err = await loadModel(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightFormatError);
    expect((err as Error).message).toMatch(pattern);
  };

  it("refuses a missing shard", async () => {
    const p = await pack("int8", 10_000);
    const shards = Object.fromEntries(p.shards.slice(1).map((s) => [s.path, s.bytes]));
    await reject(memorySource(p.manifest, shards), /shard group1-shard1of\d+\.bin is missing/);
  });

  it("refuses truncated and over-long shards", async () => {
    const p = await pack("int8");
    const s = p.shards[0]!;
    await reject(memorySource(p.manifest, { [s.path]: s.bytes.slice(0, -1) }), /truncated: \d+ of \d+ bytes/);
    const longer = new Uint8Array(s.bytes.length + 1);
    longer.set(s.bytes);
    await reject(memorySource(p.manifest, { [s.path]: longer }), /longer than the \d+ bytes/);
  });

  it("refuses a shard whose hash differs (one flipped bit)", async () => {
    const p = await pack("int8");
    const s = p.shards[0]!;
    const bad = s.bytes.slice();
    bad[100]! ^= 1;
    await reject(memorySource(p.manifest, { [s.path]: bad }), /has SHA-256 [0-9a-f]{64}, manifest says/);
  });

  it("refuses a shape that does not match the generator config", async () => {
    const p = await pack("float32");
    const m = await withManifest(p, (m) => {
      m.weightsManifest[0].weights[0].shape = [16, 64];
    });
    await reject(memorySource(m, {}), /weight mapping\.fc0\.weight has shape \[16,64\], the network config needs \[32,32\]/);
  });

  it("refuses NaN (null in JSON), zero and negative scales, naming the entry", async () => {
    const p = await pack("int8");
    for (const bad of [null, 0, -1]) {
      const m = await withManifest(p, (m) => {
        m.weightsManifest[0].weights[0].quantization.scales[3] = bad;
      });
      await reject(memorySource(m, {}), /weightsManifest\[0\]\.weights\[0\]\.quantization\.scales\[3\]: must be/);
    }
  });

  it("refuses an unknown dtype and an unknown format version", async () => {
    const p = await pack("int8");
    const m = await withManifest(p, (m) => {
      m.weightsManifest[0].weights[0].quantization.dtype = "int4";
    });
    await reject(memorySource(m, {}), /weightsManifest\[0\]\.weights\[0\]\.quantization\.dtype/);
    const m2 = await withManifest(p, (m) => {
      m.weightsManifest[0].weights[3].dtype = "bfloat16";
    });
    await reject(memorySource(m2, {}), /weightsManifest\[0\]\.weights\[3\]\.dtype/);
    const v2 = await withManifest(p, (m) => {
      m.formatVersion = 2;
    });
    await reject(memorySource(v2, {}), /unsupported format version 2; this loader reads version 1/);
  });

  it("refuses a manifest edited after packing (version no longer matches content)", async () => {
    const p = await pack("int8");
    const m = JSON.parse(JSON.stringify(p.manifest));
    m.card.title = "edited";
    await reject(memorySource(m, {}), /does not match its content/);
  });

  it("refuses overlapping regions and non-finite float weights", async () => {
    const p = await pack("float32");
    const m = await withManifest(p, (m) => {
      m.regions[1].axes = { start: 4, end: 12 };
    });
    await reject(memorySource(m, {}), /regions\[1\]\.axes: \[4, 12\) overlaps regions\[0\]/);
    const s = p.shards[0]!;
    const bad = s.bytes.slice();
    new DataView(bad.buffer).setFloat32(0, Number.NaN, true);
    const hash = await sha256Hex(bad); // a correct hash, so only the NaN remains wrong
    const m2 = await withManifest(p, (m) => {
      m.shards[0].sha256 = hash;
    });
    await reject(memorySource(m2, { [s.path]: bad }), /weight mapping\.fc0\.weight holds a non-finite value at index 0/);
  });
});

describe("segmenters in the weight format", () => {
  const reject = async (source: ReturnType<typeof memorySource>, pattern: RegExp) => {
    const err = await loadModel(source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeightFormatError);
    expect((err as Error).message).toMatch(pattern);
  };
  const segCfg = SegmenterConfig.parse({ resolution: TINY.resolution, classes: ["other", "blob"], channels: [4, 8] });
  const segValues = initParams(segmenterParamSpecs(segCfg), 11);
  const hair = { name: "blob", axes: { start: 24, end: 32 }, mask: { kind: "semantic", class: "blob" } } as const;
  const bundled = () =>
    packModel({ name: "tiny-semantic", generator: TINY, segmenter: segCfg, regions: [...TINY_REGIONS, hair], card: TINY_CARD, provenance: { trainer: "test" }, values: new Map([...tinyValues(1), ...segValues]), dtype: "int8" });

  it("a generator bundles its segmenter: one version, one load, both networks", async () => {
    const p = await bundled();
    const model = await loadModel(sourceOf(p));
    expect(model.manifest.segmenter).toEqual(segCfg);
    expect(model.manifest.regions[3]!.mask).toEqual({ kind: "semantic", class: "blob" });
    const g = Generator.fromValues(model.manifest.generator, model.values);
    const s = Segmenter.fromValues(model.manifest.segmenter!, model.values);
    const imgs = await g.render(await g.mapSeeds([1, 2], 1), [1, 2]);
    const labels = await s.labels(imgs);
    expect(labels).toHaveLength(2);
    expect(labels[0]!.length).toBe(TINY.resolution ** 2);
    expect(labels[0]!.every((v) => v === 0 || v === 1)).toBe(true);
    g.dispose();
    s.dispose();
  });

  it("refuses a semantic region without a segmenter, or with a class the segmenter lacks, naming the field", async () => {
    const p = await bundled();
    const noSeg = await withManifest(p, (m) => {
      delete m.segmenter;
    });
    await reject(memorySource(noSeg, {}), /regions\[3\]\.mask: semantic region "blob" needs a segmenter in the manifest/);
    const badClass = await withManifest(p, (m) => {
      m.regions[3].mask.class = "sky";
    });
    await reject(memorySource(badClass, {}), /regions\[3\]\.mask\.class: "sky" is not a segmenter class \(other, blob\)/);
  });

  it("a segmenter exported on its own loads with loadSegmenter; loadModel refuses it (no generator)", async () => {
    const card = { title: "parts", description: "", datasets: [], metrics: { heldOutIou: { blob: 0.5 } } };
    const p = await packSegmenter({ name: "tiny-parts", segmenter: segCfg, card, provenance: { trainer: "test" }, values: segValues, dtype: "float32" });
    const src = memorySource(p.manifest, Object.fromEntries(p.shards.map((s) => [s.path, s.bytes])));
    const loaded = await loadSegmenter(src);
    expect([...loaded.values.keys()]).toEqual(segmenterParamSpecs(segCfg).map((s) => s.name));
    expect(loaded.values.get("segmenter.head.weight")).toEqual(segValues.get("segmenter.head.weight"));
    await reject(src, /invalid manifest: .*generator/);
  });
});
