import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { GeneratorConfig } from "../../shared/generator/config.ts";
import { initParams } from "../../shared/generator/params.ts";
import { SegmenterConfig } from "../../shared/segmenter/config.ts";
import { segmenterParamSpecs } from "../../shared/segmenter/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { TrainConfig } from "./config.ts";
import { Trainer, type TrainingData } from "./trainer.ts";

// A micro config: the pure-JS cpu backend computes conv filter gradients slowly.
const MICRO = GeneratorConfig.parse({ resolution: 8, zDim: 8, wDim: 16, mappingLayers: 1, channelBase: 32, channelMax: 4 });
const box = { kind: "box", x: 0, y: 0, width: 0.5, height: 0.5 } as const;
const REGIONS = [
  { name: "top-left", axes: { start: 0, end: 4 }, mask: box },
  { name: "bottom-right", axes: { start: 4, end: 8 }, mask: { ...box, x: 0.5, y: 0.5 } },
];

/** Deterministic random images (the trainer's own dataset tests live with the datasets). */
const data: TrainingData = {
  size: 10,
  resolution: 8,
  async batch(indices) {
    const out = new Float32Array(indices.length * 8 * 8 * 3);
    for (const [i, idx] of indices.entries()) out.set(new Prng(idx, 77).normals(8 * 8 * 3).map((v) => Math.tanh(v)), i * 192);
    return out;
  },
};

const config = TrainConfig.parse({
  generator: MICRO,
  discriminator: { channelBase: 32, channelMax: 4, mbstdGroup: 2 },
  regions: REGIONS,
  links: "on",
  linkgan: { interval: 2 },
  batch: 4,
  r1Interval: 2,
  plWeight: 2,
  plInterval: 3,
  totalKimg: 1,
  seed: 5,
});

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function snapshot(t: Trainer): Promise<number[]> {
  return [...(await t.emaValues()).values()].flatMap((v) => Array.from(v.subarray(0, 50)));
}

describe("Trainer", () => {
  it("runs every phase with finite losses and resumes from a checkpoint exactly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "linkgan-train-"));
    dirs.push(dir);
    const a = Trainer.create(config, data);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await a.trainStep();
      seen.push(...Object.keys(m));
      for (const [k, v] of Object.entries(m)) expect(Number.isFinite(v), `${k} at step ${i}`).toBe(true);
    }
    for (const k of ["G/adv", "G/link", "link/top-left/in", "link/bottom-right/out", "G/pl", "D/real", "D/fake", "D/r1"]) expect(seen).toContain(k);
    await a.save(join(dir, "ckpt"));
    for (let i = 0; i < 3; i++) await a.trainStep();
    const straight = await snapshot(a);
    a.dispose();

    const b = await Trainer.resume(join(dir, "ckpt"), config, data);
    expect(b.step).toBe(4);
    for (let i = 0; i < 3; i++) await b.trainStep();
    expect(await snapshot(b)).toEqual(straight);
    b.dispose();
  }, 180_000);

  it("refuses to resume under a different config, but fine-tunes from it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "linkgan-train-"));
    dirs.push(dir);
    const a = Trainer.create({ ...config, links: "off" }, data);
    await a.trainStep();
    await a.save(join(dir, "ckpt"));
    a.dispose();
    await expect(Trainer.resume(join(dir, "ckpt"), config, data)).rejects.toThrow(/different config/);
    const ft = await Trainer.resume(join(dir, "ckpt"), config, data, { fineTune: true });
    expect(ft.step).toBe(0);
    ft.dispose();
    // A checkpoint written before a field with a default existed (here: no "augment") still
    // resumes under the config that now spells the default out.
    const state = JSON.parse(await readFile(join(dir, "ckpt", "state.json"), "utf8"));
    delete state.config.augment;
    await writeFile(join(dir, "ckpt", "state.json"), JSON.stringify(state));
    const older = await Trainer.resume(join(dir, "ckpt"), { ...config, links: "off" }, data);
    expect(older.step).toBe(1);
    older.dispose();
  }, 60_000);

  it("refuses per-region LinkGAN weights for a region the config does not have, naming the regions it has", () => {
    const bad = TrainConfig.safeParse({ ...config, linkgan: { regions: { hair: { lambdaIn: 0 } } } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(["linkgan", "regions", "hair"]);
    expect(bad.error!.issues[0]!.message).toMatch(/no region is named "hair"; the regions are "top-left", "bottom-right"/);
  });

  it("a semantic region trains with the segmenter's per-image masks; without a segmenter the config is refused", async () => {
    const segCfg = SegmenterConfig.parse({ resolution: 8, classes: ["other", "blob"], channels: [4, 4] });
    const segmenter = Segmenter.fromValues(segCfg, initParams(segmenterParamSpecs(segCfg), 4));
    const semantic = { name: "blob", axes: { start: 8, end: 12 }, mask: { kind: "semantic", class: "blob" } } as const;
    const bad = TrainConfig.safeParse({ ...config, regions: [...REGIONS, semantic] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(["regions", 2, "mask"]);
    const cfg = TrainConfig.parse({ ...config, regions: [...REGIONS, semantic], segmenter: { path: "unused-here", version: "v0000000000000000" } });
    expect(() => Trainer.create(cfg, data)).toThrow(/semantic mask needs the config's segmenter/);
    const t = Trainer.create(cfg, data, segmenter);
    const m = await t.trainStep(); // step 0 is a link step
    expect(Number.isFinite(m["link/blob/in"]!)).toBe(true);
    expect(Number.isFinite(m["link/blob/out"]!)).toBe(true);
    t.dispose();
    segmenter.dispose();
  }, 60_000);
});
