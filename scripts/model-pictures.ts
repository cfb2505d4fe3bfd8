/**
 * The pictures of a model folder that its card and the README show, rendered by the API's own
 * pipeline (shared/render/):
 *   seeds.png: seeds 0–15 at ψ 1 (the raw spread of the model, no truncation);
 *   edits.png: for seeds 0–3, each linked region resampled (resample seed 1000 + seed), raw (the model's own
 *              output) and composited (the API's default), with the change under each as a heat
 *              map (white: unchanged; yellow → red → black: up to a change of 64/255 in a channel)
 *              and the region's mask outlined in blue.
 *
 *   npm run pictures -- --model weights/faces64
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { Generator } from "../shared/generator/generator.ts";
import { BaseRenders, type RenderModel, localMasks, resolveBase } from "../shared/render/base.ts";
import { editTarget, renderEdit } from "../shared/render/edit.ts";
import { normalizeRequest } from "../shared/render/request.ts";
import type { BinaryMask } from "../shared/regions/mask.ts";
import { Segmenter } from "../shared/segmenter/segmenter.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadModel } from "../shared/weights/loader.ts";
import { command, fail, str } from "../trainer/cli/args.ts";
import { setupNodeCpu } from "./lib/node-tf.ts";

const cli = command({
  run: "npm run pictures --",
  name: "pictures",
  summary: "Writes seeds.png (16 seeds) and edits.png (4 seeds, each region resampled, raw and composited, with heat maps) into a model folder.",
  flags: {
    model: { value: "DIR", help: "model folder (manifest.json and shards)", type: str(), required: true },
    out: { value: "DIR", help: "where to write the two PNGs", type: str(), defaultText: "the model folder" },
  },
  examples: ["npm run pictures -- --model weights/faces64"],
});
const f = cli.parseOrExit();

const SCALE = 2;
const GAP = 4;
/** A change of this much (of 255) in a channel is the heat map's darkest colour. */
const FULL_CHANGE = 64;

await setupNodeCpu();
const { manifest, values } = await loadModel(fileSource(f.model)).catch((e: Error) => fail("pictures", `--model ${f.model}: ${e.message}`));
const res = manifest.generator.resolution;
const model: RenderModel = {
  name: manifest.name,
  manifest,
  generator: Generator.fromValues(manifest.generator, values),
  ...(manifest.segmenter ? { segmenter: Segmenter.fromValues(manifest.segmenter, values) } : {}),
};
const renders = new BaseRenders(Number.POSITIVE_INFINITY);
const tile = res * SCALE;

const png = (rgba: Uint8Array) =>
  sharp(Buffer.from(rgba), { raw: { width: res, height: res, channels: 4 } })
    .resize(tile, tile, { kernel: "nearest" })
    .png()
    .toBuffer();

/** White where nothing changed, through yellow and red to black at FULL_CHANGE; the mask's edge in blue. */
function heat(base: Uint8Array, edit: Uint8Array, mask: BinaryMask): Uint8Array {
  const out = new Uint8Array(base.length);
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < res && y < res && mask.data[y * res + x] === 1;
  for (let y = 0; y < res; y++) {
    for (let x = 0; x < res; x++) {
      const i = (y * res + x) * 4;
      let d = 0;
      for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(edit[i + c]! - base[i + c]!));
      const t = Math.min(1, d / FULL_CHANGE);
      // 0 → white, 1/3 → yellow, 2/3 → red, 1 → black.
      const rgb = t < 1 / 3 ? [255, 255, 255 * (1 - 3 * t)] : t < 2 / 3 ? [255, 255 * (2 - 3 * t), 0] : [255 * (3 - 3 * t), 0, 0];
      const edge = inside(x, y) && !(inside(x - 1, y) && inside(x + 1, y) && inside(x, y - 1) && inside(x, y + 1));
      out.set(edge ? [40, 90, 255, 255] : [...rgb.map(Math.round), 255], i);
    }
  }
  return out;
}

const label = (text: string, width: number) =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20"><text x="${width / 2}" y="15" font-family="sans-serif" font-size="13" text-anchor="middle">${text}</text></svg>`);

async function seedsPng(): Promise<Buffer> {
  const cols = 8;
  const layers: sharp.OverlayOptions[] = [];
  for (let seed = 0; seed < 16; seed++) {
    const base = await resolveBase(model, normalizeRequest({ seed, truncation: 1 }, false));
    layers.push({ input: await png((await renders.get(model, base)).rgba), left: (seed % cols) * (tile + GAP), top: Math.floor(seed / cols) * (tile + GAP) });
  }
  return sharp({ create: { width: cols * (tile + GAP) - GAP, height: 2 * (tile + GAP) - GAP, channels: 4, background: "#ffffff" } })
    .composite(layers)
    .png()
    .toBuffer();
}

async function editsPng(): Promise<Buffer> {
  const regions = manifest.regions;
  const cols = 1 + 2 * regions.length;
  const width = cols * (tile + GAP) - GAP;
  const header = 40;
  const layers: sharp.OverlayOptions[] = [
    { input: label("seed", tile), left: 0, top: 20 },
    { input: label("raw (the model's output)", regions.length * (tile + GAP)), left: tile + GAP, top: 0 },
    { input: label("composited (the API's default)", regions.length * (tile + GAP)), left: (1 + regions.length) * (tile + GAP), top: 0 },
  ];
  for (const [k, r] of regions.entries()) {
    for (const side of [0, 1]) layers.push({ input: label(r.name, tile), left: (1 + side * regions.length + k) * (tile + GAP), top: 20 });
  }
  const seeds = [0, 1, 2, 3];
  for (const [row, seed] of seeds.entries()) {
    const top = header + row * 2 * (tile + GAP);
    const base = await resolveBase(model, normalizeRequest({ seed, truncation: 1 }, false));
    const baseRgba = (await renders.get(model, base)).rgba;
    layers.push({ input: await png(baseRgba), left: 0, top }, { input: label(String(seed), tile), left: 0, top: top + tile + GAP + tile / 2 - 10 });
    for (const [k, r] of regions.entries()) {
      const target = await editTarget({ name: manifest.name, resolution: res, regions }, [r.name], undefined, localMasks(model, renders, base));
      for (const [side, composite] of [false, true].entries()) {
        const req = normalizeRequest({ seed, truncation: 1, regions: [r.name], resampleSeed: 1000 + seed, composite }, true);
        const [edit] = (await renderEdit(model, renders, base, req, target, 1)).images as [Uint8Array];
        const left = (1 + side * regions.length + k) * (tile + GAP);
        layers.push({ input: await png(edit), left, top }, { input: await png(heat(baseRgba, edit, target.mask)), left, top: top + tile + GAP });
      }
    }
  }
  return sharp({ create: { width, height: header + seeds.length * 2 * (tile + GAP) - GAP, channels: 4, background: "#ffffff" } })
    .composite(layers)
    .png()
    .toBuffer();
}

const out = f.out ?? f.model;
await writeFile(join(out, "seeds.png"), await seedsPng());
await writeFile(join(out, "edits.png"), await editsPng());
model.generator.dispose();
model.segmenter?.dispose();
console.log(`${join(out, "seeds.png")}, ${join(out, "edits.png")}: ${manifest.name} ${manifest.version}`);
