import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Prng } from "../../shared/random/prng.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { SegmenterTrainConfig } from "./config.ts";
import { evaluateSegmenter } from "./evaluate.ts";
import { perClassIou } from "./iou.ts";
import { type PartData, checkClasses, labelMaps } from "./labels.ts";
import { SegmenterTrainer, runSegmenterTraining } from "./train.ts";

/** 8×8 images: a bright square (part "square") on a dark background, at a position set by the index. */
const RES = 8;
function squareAt(idx: number): { x: number; y: number } {
  const r = new Prng(idx, 5);
  return { x: Math.floor(r.uniform() * 5), y: Math.floor(r.uniform() * 5) };
}
const data: PartData = {
  size: 40,
  resolution: RES,
  parts: ["square", "top"],
  async batch(indices) {
    const out = new Float32Array(indices.length * RES * RES * 3).fill(-0.8);
    for (const [j, idx] of indices.entries()) {
      const { x, y } = squareAt(idx);
      for (let v = y; v < y + 3; v++) for (let u = x; u < x + 3; u++) for (let c = 0; c < 3; c++) out[(j * RES * RES + v * RES + u) * 3 + c] = 0.8;
    }
    return out;
  },
  masks(part, indices) {
    const out = new Uint8Array(indices.length * RES * RES);
    for (const [j, idx] of indices.entries()) {
      const { x, y } = squareAt(idx);
      for (let v = 0; v < RES; v++) {
        for (let u = 0; u < RES; u++) {
          const inSquare = u >= x && u < x + 3 && v >= y && v < y + 3;
          out[j * RES * RES + v * RES + u] = part === "square" ? (inSquare ? 1 : 0) : v < 2 ? 1 : 0;
        }
      }
    }
    return out;
  },
};

const config = SegmenterTrainConfig.parse({
  dataset: { kind: "dicebear", style: "adventurer", count: 40 },
  heldOut: 8,
  segmenter: { resolution: RES, classes: ["other", "top", "square"], channels: [8, 8] },
  batch: 8,
  lr: 0.01,
  steps: 6,
  noiseStd: 0.02,
  seed: 3,
});
const all = Array.from({ length: data.size }, (_, i) => i);

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("segmenter training", () => {
  it("IoU is Σ intersection / Σ union per class, NaN for a class absent from both", () => {
    const truth = Uint8Array.from([0, 0, 1, 1, 1, 0]);
    const pred = Uint8Array.from([0, 1, 1, 1, 0, 0]);
    const iou = perClassIou(pred, truth, ["a", "b", "c"]);
    expect(iou[0]).toEqual({ class: "a", iou: 2 / 4, share: 3 / 6 });
    expect(iou[1]).toEqual({ class: "b", iou: 2 / 4, share: 3 / 6 });
    expect(iou[2]!.iou).toBeNaN();
  });

  it("label maps: later classes win where parts overlap; unknown classes are named", () => {
    const labels = labelMaps(data, ["other", "top", "square"], [0]);
    const { x, y } = squareAt(0);
    expect(labels[y * RES + x]).toBe(2); // square over top
    expect(labels[7 * RES + 7] === 2 || labels[7 * RES + 7] === 0).toBe(true);
    expect(labels[0 * RES + ((x + 4) % RES)]).toBe(x + 4 < RES || (x + 4) % RES < x ? 1 : 2);
    expect(() => checkClasses(["other", "hair"], data, "cfg")).toThrow(/"hair" are not parts of the dataset \(parts: square, top\)/);
  });

  it("the config refuses a first class other than \"other\", naming the field", () => {
    const r = SegmenterTrainConfig.safeParse({ ...config, segmenter: { ...config.segmenter, classes: ["top", "square"] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(["segmenter", "classes", 0]);
  });

  it("learns: cross-entropy falls and held-out IoU of the square rises above chance", async () => {
    const labels = labelMaps(data, config.segmenter.classes, all);
    const cfg = { ...config, steps: 60 };
    const t = SegmenterTrainer.create(cfg, data, labels);
    const first = await t.trainStep();
    let last = first;
    for (let i = 1; i < cfg.steps; i++) last = await t.trainStep();
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    const s = Segmenter.fromValues(cfg.segmenter, await t.values());
    const ev = await evaluateSegmenter(s, data, [32, 33, 34, 35, 36, 37, 38, 39]);
    expect(ev.iou.find((c) => c.class === "square")!.iou).toBeGreaterThan(0.5);
    expect(ev.picture.subarray(1, 4)).toEqual(Uint8Array.from([0x50, 0x4e, 0x47])); // a PNG
    s.dispose();
    t.dispose();
    // 60 training steps on tfjs's pure-JS cpu backend: ~20 s alone, over a minute beside the other
    // test files on two cores. The limit only catches a hang.
  }, 240_000);

  it("resumes bit for bit: 6 steps in one go equal 3 steps, a checkpoint, and 3 more", async () => {
    const labels = labelMaps(data, config.segmenter.classes, all);
    const straight = await mkdtemp(join(tmpdir(), "seg-a-"));
    const pieces = await mkdtemp(join(tmpdir(), "seg-b-"));
    dirs.push(straight, pieces);
    const a = await runSegmenterTraining({ runDir: straight, config, data, labels, quiet: true });
    expect(a.finished).toBe(true);
    const b1 = await runSegmenterTraining({ runDir: pieces, config, data, labels, maxSteps: 3, quiet: true });
    expect(b1.finished).toBe(false);
    b1.trainer.dispose();
    const b2 = await runSegmenterTraining({ runDir: pieces, config, data, labels, quiet: true });
    expect(b2.trainer.step).toBe(6);
    const va = await a.trainer.values();
    const vb = await b2.trainer.values();
    for (const [k, v] of va) expect(Array.from(vb.get(k)!), k).toEqual(Array.from(v));
    a.trainer.dispose();
    b2.trainer.dispose();
  });
});
