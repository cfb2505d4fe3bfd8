import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY, tinySemanticPackInput } from "../../test/fixtures/tiny.ts";
import { Generator } from "../generator/generator.ts";
import { latentToParam } from "../latent-param.ts";
import { latentFromSeed } from "../random/prng.ts";
import { maskArea, rasterizeMask } from "../regions/mask.ts";
import { Segmenter } from "../segmenter/segmenter.ts";
import { loadModel, memorySource } from "../weights/loader.ts";
import { packModel } from "../weights/pack.ts";
import { BaseRenders, type RenderModel, localMasks, resolveBase } from "./base.ts";
import { featherFor, featherWeights } from "./composite.ts";
import { editTarget, regionsNamed, renderEdit } from "./edit.ts";
import { RenderError } from "./error.ts";
import { canonicalize, maskFromPng, maskId, maskToPng, maskToRle, rasterFromPng, rasterFromRle } from "./masks.ts";
import { MAX_LATENT_ABS, checkWork, decodeLatent, normalizeRequest } from "./request.ts";

// The one render pipeline of the worker and the browser client, on the tiny semantic fixture
// (runs in Node and inside workerd, on the cpu backend).

const refusal = (fn: () => unknown): { code: string; field?: string; message: string } => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RenderError) return { code: e.code, field: e.field, message: e.message };
    throw e;
  }
  throw new Error("expected a RenderError");
};

describe("request normalization", () => {
  it("fills the defaults, sorts regions, and keeps one code", () => {
    const req = normalizeRequest({ seed: 7, regions: ["mouth", "left-eye"], resampleSeed: 3 }, true);
    expect(req).toEqual({
      code: { kind: "seed", seed: 7 },
      truncation: 1,
      noise: 7,
      version: undefined,
      scale: 1,
      frames: 5,
      edit: { regions: ["left-eye", "mouth"], mask: undefined, resampleSeed: 3, mode: "replace", alpha: 1, composite: true },
    });
    const w = new Float32Array(TINY.wDim);
    expect(normalizeRequest({ w }, false)).toMatchObject({ code: { kind: "w", w }, noise: "zeros", frames: 1 });
    expect(normalizeRequest({ seed: 1, mode: "perturb", resampleSeed: 2, regions: ["a"] }, true).edit!.alpha).toBe(1);
  });

  it("refuses with a RenderError naming the field", () => {
    expect(refusal(() => normalizeRequest({ seed: 1, w: new Float32Array(2) }, false))).toMatchObject({ code: "invalid_request", field: "seed", message: expect.stringMatching(/only one of seed, z, w/) });
    expect(refusal(() => normalizeRequest({}, false))).toMatchObject({ field: "seed" });
    expect(refusal(() => normalizeRequest({ w: new Float32Array(2), truncation: 0.5 }, false))).toMatchObject({ field: "truncation" });
    expect(refusal(() => normalizeRequest({ seed: 1, regions: ["a"] }, true))).toMatchObject({ field: "resampleSeed" });
    expect(refusal(() => normalizeRequest({ seed: 1, regions: ["a"], resampleSeed: 1, alpha: 2 }, true))).toMatchObject({ field: "alpha" });
    expect(refusal(() => normalizeRequest({ seed: 1, regions: ["a", "a"], resampleSeed: 1 }, true))).toMatchObject({ field: "regions", message: 'region "a" is named twice' });
    expect(refusal(() => normalizeRequest({ seed: 1, resampleSeed: 1 }, true))).toMatchObject({ field: "regions" });
    expect(refusal(() => checkWork(64, 8, 2))).toMatchObject({ code: "over_work_limit", field: "scale" });
    expect(refusal(() => checkWork(64, 1, 17))).toMatchObject({ code: "over_work_limit", field: "frames" });
    expect(() => checkWork(64, 8, 1)).not.toThrow();
  });

  it("decodes URL latents and refuses non-finite or out-of-range values", () => {
    const z = latentFromSeed(3, 256);
    expect(decodeLatent(latentToParam(z), "z")).toEqual(z);
    expect(decodeLatent("", "z")).toBeUndefined();
    expect(refusal(() => decodeLatent(latentToParam(Float32Array.of(0, Number.NaN)), "w"))).toMatchObject({ field: "w", message: expect.stringMatching(/^w\[1\]: NaN/) });
    expect(refusal(() => decodeLatent(latentToParam(Float32Array.of(MAX_LATENT_ABS * 2)), "z"))).toMatchObject({ field: "z" });
    expect(refusal(() => decodeLatent("!!", "z"))).toMatchObject({ code: "invalid_request", field: "z" });
  });
});

describe("masks", () => {
  it("run-length, PNG and painted forms canonicalize to one mask and one id", async () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (i % 7 < 3 || i === 0 ? 1 : 0));
    const m = { size: 8, data };
    expect(rasterFromRle(maskToRle(m)).data).toEqual(data);
    expect(maskToRle({ size: 2, data: Uint8Array.of(1, 1, 0, 0) }).counts).toEqual([0, 2, 2]);
    expect(maskFromPng(maskToPng(m), 8)).toEqual(m);
    // The same mask at twice the size is the same canonical mask.
    const big = canonicalize({ width: 16, height: 16, data: Uint8Array.from({ length: 256 }, (_, i) => data[(Math.floor(i / 32) * 8 + Math.floor((i % 16) / 2))]!) }, 8);
    expect(await maskId(big)).toBe(await maskId(m));
    expect(await maskId(m)).toMatch(/^m[0-9a-f]{24}$/);
  });

  it("refuses bytes that are not a PNG as invalid_mask, naming the field", () => {
    expect(refusal(() => rasterFromPng(Uint8Array.of(1, 2, 3), "mask"))).toMatchObject({ code: "invalid_mask", field: "mask" });
  });
});

describe("the pipeline on a model with a semantic region", () => {
  let model: RenderModel;
  beforeAll(async () => {
    const packed = await packModel({ name: "tiny-semantic", provenance: { trainer: "shared/render/render.test.ts" }, ...tinySemanticPackInput() });
    const { manifest, values } = await loadModel(memorySource(packed.manifest, Object.fromEntries(packed.shards.map((s) => [s.path, s.bytes]))));
    model = { name: manifest.name, manifest, generator: Generator.fromValues(manifest.generator, values), segmenter: Segmenter.fromValues(manifest.segmenter!, values) };
  });
  afterAll(() => {
    model?.generator.dispose();
    model?.segmenter?.dispose();
  });
  const spec = () => ({ name: model.name, resolution: model.manifest.generator.resolution, regions: model.manifest.regions });

  it("a seed and its z written out resolve to one w and one key; a wrong length names the field", async () => {
    const a = await resolveBase(model, normalizeRequest({ seed: 7, truncation: 0.7 }, false));
    const b = await resolveBase(model, normalizeRequest({ z: latentFromSeed(7, TINY.zDim), truncation: 0.7, noise: 7 }, false));
    expect(b.w).toEqual(a.w);
    expect(b.key).toBe(a.key);
    expect(a.key).toMatch(/^w=[0-9a-f]{32}\/n=7$/);
    await expect(resolveBase(model, normalizeRequest({ z: new Float32Array(3) }, false))).rejects.toMatchObject({ code: "invalid_request", field: "z" });
  });

  it("renders a base once and segments it once", async () => {
    const renders = new BaseRenders(1 << 20);
    const base = await resolveBase(model, normalizeRequest({ seed: 8 }, false));
    const first = await renders.get(model, base);
    expect(await renders.get(model, base)).toBe(first);
    const blob = model.manifest.regions.find((r) => r.name === "blob")!;
    const mask = await renders.semanticMask(model, base, blob);
    expect(first.labels).toBeDefined();
    expect(mask.data).toEqual(model.segmenter!.classMask(first.labels!, "blob").data);
  });

  it("an edit target: named regions, those an uploaded mask covers, unknown names and empty masks refused", async () => {
    const renders = new BaseRenders(1 << 20);
    const base = await resolveBase(model, normalizeRequest({ seed: 7 }, false));
    const masks = localMasks(model, renders, base);
    const mouth = model.manifest.regions.find((r) => r.name === "mouth")!;
    const byName = await editTarget(spec(), ["mouth"], undefined, masks);
    expect(byName.regions.map((r) => r.name)).toEqual(["mouth"]);
    expect(byName.mask).toEqual(rasterizeMask(mouth.mask, TINY.resolution));
    const byMask = await editTarget(spec(), [], rasterizeMask(mouth.mask, TINY.resolution), masks);
    expect(byMask.regions.map((r) => r.name)).toContain("mouth");
    expect(() => regionsNamed(model.name, model.manifest.regions, ["nose"])).toThrow(/has no region "nose" \(it has: /);
    await expect(editTarget(spec(), [], { size: TINY.resolution, data: new Uint8Array(TINY.resolution ** 2) }, masks)).rejects.toMatchObject({ code: "empty_mask" });
    await expect(editTarget(spec(), [], { size: 4, data: new Uint8Array(16).fill(1) }, masks)).rejects.toMatchObject({ code: "invalid_request", field: "mask" });
  });

  it("an edit changes pixels inside its feathered mask only; interpolation starts at the base and ends at the edit", async () => {
    const renders = new BaseRenders(1 << 20);
    const req = normalizeRequest({ seed: 7, regions: ["blob", "mouth"], resampleSeed: 3 }, true);
    const base = await resolveBase(model, req);
    const target = await editTarget(spec(), req.edit!.regions, undefined, localMasks(model, renders, base));
    expect(maskArea(target.mask)).toBeGreaterThan(0);
    const { images, codes } = await renderEdit(model, renders, base, req, target, 1);
    const baseImg = (await renders.get(model, base)).rgba;
    const alpha = featherWeights(target.mask, featherFor(TINY.resolution));
    let changed = 0;
    for (let i = 0; i < alpha.length; i++) {
      const same = [0, 1, 2, 3].every((c) => images[0]![i * 4 + c] === baseImg[i * 4 + c]);
      if (alpha[i] === 0) expect(same, `pixel ${i} outside the mask changed`).toBe(true);
      else if (!same) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    const strip = await renderEdit(model, renders, base, req, target, 4);
    expect(strip.codes[0]).toBe(base.w);
    expect(strip.codes[3]).toEqual(codes[0]);
    expect(strip.images[0]).toEqual(baseImg);
    expect(strip.images[3]).toEqual(images[0]);
  });
});
