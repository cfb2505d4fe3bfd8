import { describe, expect, it } from "vitest";
import { Generator } from "../../shared/generator/generator.ts";
import { Prng } from "../../shared/random/prng.ts";
import { TINY, TINY_REGIONS, tinyValues } from "../../test/fixtures/tiny.ts";
import { initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { resampleReplace } from "../../shared/editing/edit.ts";
import { numWs } from "../../shared/generator/config.ts";
import { tileW } from "../../shared/generator/space.ts";
import { measureLocality, measureLocalityOfCodes } from "./masked-mse.ts";
import { laplacianPyramid, slicedWasserstein } from "./swd.ts";
import "../tf-node.ts";

const blobs = (n: number, seed: number, shift = 0) =>
  Array.from({ length: n }, (_, i) => {
    const rng = new Prng(seed, i);
    const cx = 8 + rng.uniform() * 16;
    const cy = 8 + rng.uniform() * 16;
    return Float32Array.from({ length: 32 * 32 * 3 }, (_, k) => {
      const p = Math.floor(k / 3);
      const d = Math.hypot((p % 32) - cx, Math.floor(p / 32) - cy);
      return Math.tanh(2 - d / 4) + shift;
    });
  });

describe("SWD", () => {
  it("is small for two samples of one distribution and larger for a different one", () => {
    const a = slicedWasserstein(blobs(16, 1), blobs(16, 2), 32);
    const b = slicedWasserstein(blobs(16, 1), blobs(16, 3, 0.5), 32);
    expect(a.levels.map((l) => l.size)).toEqual([32, 16]);
    expect(b.mean).toBeGreaterThan(3 * a.mean);
  });

  it("the Laplacian pyramid has a band-pass level with little energy on smooth images, then the coarse level", () => {
    const img = blobs(1, 4)[0]!;
    const [l32, g16] = laplacianPyramid(img, 32);
    expect(l32!.size).toBe(32);
    expect(g16!.size).toBe(16);
    expect(l32!.data.reduce((s, v) => s + Math.abs(v), 0) / l32!.data.length).toBeLessThan(0.2);
  });
});

describe("masked MSE", () => {
  it("measures editing and leakage per fixed region, and a whole-image region has no outside", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const full = { name: "all", axes: { start: 24, end: 32 }, mask: { kind: "box", x: 0, y: 0, width: 1, height: 1 } } as const;
    const res = await measureLocality(g, [...TINY_REGIONS, full], { samples: 4, batch: 2 });
    g.dispose();
    expect(res.map((r) => r.region)).toEqual(["left-eye", "right-eye", "mouth", "all"]);
    for (const r of res.slice(0, 3)) {
      expect(r.mseIn).toBeGreaterThan(0);
      expect(r.mseOut).toBeGreaterThan(0); // random weights: no locality at all
      expect(r.mseInUnlinked).toBeGreaterThan(0);
    }
    expect(res[3]!.mseOut).toBe(0);
  });

  it("a semantic region is measured with each image's segmenter mask: a segmenter that labels every pixel equals a whole-image box", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const segCfg = SegmenterConfig.parse({ resolution: TINY.resolution, classes: ["other", "all"], channels: [4, 4] });
    const values = initParams(segmenterParamSpecs(segCfg), 3);
    values.set("segmenter.head.bias", Float32Array.of(0, 1e4)); // "all" wins everywhere
    const segmenter = Segmenter.fromValues(segCfg, values);
    const axes = { start: 24, end: 32 };
    const box = { name: "box", axes, mask: { kind: "box", x: 0, y: 0, width: 1, height: 1 } } as const;
    const semantic = { name: "sem", axes, mask: { kind: "semantic", class: "all" } } as const;
    const [b, sem] = await measureLocality(g, [box, semantic], { samples: 4, batch: 2, segmenter });
    expect(sem!.region).toBe("sem");
    expect(sem!.mseIn).toBeGreaterThan(0);
    expect(sem!.mseIn).toBeCloseTo(b!.mseIn, 10);
    expect(sem!.mseInUnlinked).toBeCloseTo(b!.mseInUnlinked, 10);
    // Without a segmenter, semantic regions are skipped rather than guessed.
    expect((await measureLocality(g, [box, semantic], { samples: 2 })).map((r) => r.region)).toEqual(["box"]);
    segmenter.dispose();
    g.dispose();
  });

  it("a semantic region also reports its figures on the union of the base image's and the compared image's masks", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    // Random weights: a segmenter whose "b" class covers a different part of each image.
    const segCfg = SegmenterConfig.parse({ resolution: TINY.resolution, classes: ["a", "b"], channels: [4, 4] });
    const segmenter = Segmenter.fromValues(segCfg, initParams(segmenterParamSpecs(segCfg), 5));
    const axes = { start: 24, end: 32 };
    const [sem] = await measureLocality(g, [{ name: "sem", axes, mask: { kind: "semantic", class: "b" } }], { samples: 3, batch: 2, segmenter });
    // Directly: seeds 0–2, resampled from seeds 10⁶ + i, ψ 1, each image's own noise.
    const seeds = [0, 1, 2];
    const ws = await g.mapSeeds(seeds, 1);
    const wNew = await g.mapSeeds(seeds.map((s) => s + 1_000_000), 1);
    const xs = await g.render(ws, seeds);
    const edited = await g.render(ws.map((w, j) => resampleReplace(w, wNew[j]!, [axes])), seeds);
    const others = await g.render(ws.map((w, j) => resampleReplace(w, wNew[j]!, [{ start: 0, end: 24 }])), seeds);
    const masks = async (imgs: typeof xs) => (await segmenter.masks(imgs, "b")).map((m) => m.data);
    const [mx, me, mo] = [await masks(xs), await masks(edited), await masks(others)];
    const mean = (a: Float32Array, b: Float32Array, keep: (p: number) => boolean) => {
      let s = 0;
      let c = 0;
      for (let k = 0; k < a.length; k++) {
        if (!keep(Math.floor(k / 3))) continue;
        s += (a[k]! - b[k]!) ** 2;
        c++;
      }
      return c ? s / c : 0;
    };
    let inside = 0;
    let outside = 0;
    let unlinked = 0;
    let grown = 0;
    for (let j = 0; j < 3; j++) {
      const inEdit = (p: number) => mx[j]![p] === 1 || me[j]![p] === 1;
      const inOther = (p: number) => mx[j]![p] === 1 || mo[j]![p] === 1;
      inside += mean(edited[j]!.data, xs[j]!.data, inEdit);
      outside += mean(edited[j]!.data, xs[j]!.data, (p) => !inEdit(p));
      unlinked += mean(others[j]!.data, xs[j]!.data, inOther);
      grown += me[j]!.reduce((n, v, p) => n + (v && !mx[j]![p] ? 1 : 0), 0);
    }
    expect(grown).toBeGreaterThan(0); // the union differs from the base image's mask here
    expect(sem!.union!.mseIn).toBeCloseTo(inside / 3, 6);
    expect(sem!.union!.mseOut).toBeCloseTo(outside / 3, 6);
    expect(sem!.union!.mseInUnlinked).toBeCloseTo(unlinked / 3, 6);
    expect(sem!.union!.mseIn).not.toBeCloseTo(sem!.mseIn, 6);
    segmenter.dispose();
    g.dispose();
  });

  it("on given codes equals the sampled measurement of the same codes, noise and resampling seeds; zeros noise is accepted", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const seeds = [0, 1, 2, 3];
    const sampled = await measureLocality(g, TINY_REGIONS, { samples: 4, batch: 3 });
    const given = await measureLocalityOfCodes(g, TINY_REGIONS, await g.mapSeeds(seeds, 1), seeds, { batch: 3 });
    expect(given).toEqual(sampled);
    const zeros = await measureLocalityOfCodes(g, TINY_REGIONS, await g.mapSeeds(seeds, 1), "zeros");
    expect(zeros.every((r) => r.mseIn > 0 && Number.isFinite(r.ratio))).toBe(true);
    await expect(measureLocalityOfCodes(g, TINY_REGIONS, [], "zeros")).rejects.toThrow(/no codes/);
    g.dispose();
  });

  it("on W+ codes: a code whose layers all equal w gives w's figures; layers that differ give others; one space at a time", async () => {
    const g = Generator.fromValues(TINY, tinyValues(1));
    const layers = numWs(TINY);
    const seeds = [0, 1, 2];
    const ws = await g.mapSeeds(seeds, 1);
    const others = await g.mapSeeds([20, 21, 22], 1);
    const inW = await measureLocalityOfCodes(g, TINY_REGIONS, ws, seeds, { batch: 2 });
    const tiled = await measureLocalityOfCodes(g, TINY_REGIONS, ws.map((w) => tileW(w, layers)), seeds, { batch: 2 });
    expect(tiled).toEqual(inW);
    // Layers from two different ws (the first half from ws, the rest from others): another code, other figures.
    const mixed = ws.map((w, i) => {
      const c = tileW(w, layers);
      for (let l = layers / 2; l < layers; l++) c.set(others[i]!, l * TINY.wDim);
      return c;
    });
    const inWPlus = await measureLocalityOfCodes(g, TINY_REGIONS, mixed, seeds, { batch: 2 });
    for (const [i, r] of inWPlus.entries()) {
      expect(r.mseIn > 0 && Number.isFinite(r.ratio)).toBe(true);
      expect(r.mseIn).not.toBeCloseTo(inW[i]!.mseIn, 6);
    }
    await expect(measureLocalityOfCodes(g, TINY_REGIONS, [ws[0]!, mixed[1]!], "zeros")).rejects.toThrow(/code 0 is a W code but code 1 a W\+ code/);
    await expect(measureLocalityOfCodes(g, TINY_REGIONS, [ws[0]!.slice(1)], "zeros")).rejects.toThrow(/code 0 has 31 values; a W code has 32, a W\+ code 6 × 32 = 192/);
    g.dispose();
  });
});
