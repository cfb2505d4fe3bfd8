/**
 * The pictures of a model folder that its card and the README show, rendered by the API's own
 * pipeline (shared/render/):
 *   seeds.png: seeds 0–15 at ψ 1 (the model's raw spread, no truncation);
 *   edits.png: for seeds 0–3, each linked region resampled (resample seed 1000 + seed), raw (the
 *              model's own output) and composited (the API's default), with the change under each
 *              as a heat map (white: unchanged; yellow → red → black: up to a change of 64/255 in a
 *              channel) and the region's mask outlined in blue.
 * `npm run export` writes them beside MODEL_CARD.md, which shows them; `npm run pictures` renders
 * them again for any model folder. Needs a tfjs backend.
 *
 * @example
 * await writeModelPictures("weights/faces64"); // weights/faces64/seeds.png and edits.png
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { Generator } from "../shared/generator/generator.ts";
import { type BinaryMask, maskEdge } from "../shared/regions/mask.ts";
import { BaseRenders, type RenderModel, localMasks, resolveBase } from "../shared/render/base.ts";
import { editTarget, renderEdit } from "../shared/render/edit.ts";
import { normalizeRequest } from "../shared/render/request.ts";
import { Segmenter } from "../shared/segmenter/segmenter.ts";
import { fileSource } from "../shared/weights/file-source.ts";
import { loadModel } from "../shared/weights/loader.ts";

export const PICTURES = { seeds: "seeds.png", edits: "edits.png" } as const;
const SCALE = 2;
const GAP = 4;
/** A change of this much (of 255) in a channel is the heat map's darkest colour. */
const FULL_CHANGE = 64;
const SEEDS = 16;
const EDIT_SEEDS = [0, 1, 2, 3];
/** Each edit's resample seed is this plus its base seed. */
const RESAMPLE_SEED_OFFSET = 1000;

/** What the pictures show, in the words of the model card (its alt texts and captions). */
export const PICTURE_TEXT = {
  seedsAlt: `Seeds 0–${SEEDS - 1} at ψ 1`,
  seeds: `Seeds 0–${SEEDS - 1} at ψ 1 (no truncation).`,
  editsAlt: `Seeds ${EDIT_SEEDS[0]}–${EDIT_SEEDS.at(-1)}, each region resampled, raw and composited, with the change as a heat map`,
  edits: `Seeds ${EDIT_SEEDS[0]}–${EDIT_SEEDS.at(-1)} (rows), each linked region resampled with resample seed ${RESAMPLE_SEED_OFFSET} + seed: first the model's raw output, then composited through the region's feathered mask (the API's default). Under each edit, its change from the base image (white: none; yellow, red, black: up to ${FULL_CHANGE}/255 in a channel), with the region's mask outlined in blue.`,
} as const;

/** Writes seeds.png and edits.png of the model in `dir` into `out` (default: the model folder); returns their paths. */
export async function writeModelPictures(dir: string, out = dir): Promise<{ seeds: string; edits: string }> {
  const { manifest, values } = await loadModel(fileSource(dir));
  const res = manifest.generator.resolution;
  const model: RenderModel = {
    name: manifest.name,
    manifest,
    generator: Generator.fromValues(manifest.generator, values),
    ...(manifest.segmenter ? { segmenter: Segmenter.fromValues(manifest.segmenter, values) } : {}),
  };
  const renders = new BaseRenders(Number.POSITIVE_INFINITY);
  const tile = res * SCALE;
  const step = tile + GAP;
  const png = (rgba: Uint8Array) =>
    sharp(Buffer.from(rgba), { raw: { width: res, height: res, channels: 4 } })
      .resize(tile, tile, { kernel: "nearest" })
      .png()
      .toBuffer();
  const baseOf = async (seed: number) => {
    const base = await resolveBase(model, normalizeRequest({ seed, truncation: 1 }, false));
    return { base, rgba: (await renders.get(model, base)).rgba };
  };
  const canvas = (width: number, height: number, layers: sharp.OverlayOptions[]) =>
    sharp({ create: { width, height, channels: 4, background: "#ffffff" } })
      .composite(layers)
      .png({ palette: true, quality: 95, compressionLevel: 9 })
      .toBuffer();

  const seedLayers: sharp.OverlayOptions[] = [];
  for (let seed = 0; seed < SEEDS; seed++) seedLayers.push({ input: await png((await baseOf(seed)).rgba), left: (seed % 8) * step, top: Math.floor(seed / 8) * step });
  const seeds = await canvas(8 * step - GAP, (SEEDS / 8) * step - GAP, seedLayers);

  const regions = manifest.regions;
  const header = 40;
  const editLayers: sharp.OverlayOptions[] = [
    { input: label("seed", tile), left: 0, top: 20 },
    { input: label("raw (the model's output)", regions.length * step), left: step, top: 0 },
    { input: label("composited (the API's default)", regions.length * step), left: (1 + regions.length) * step, top: 0 },
  ];
  for (const [k, r] of regions.entries()) for (const side of [0, 1]) editLayers.push({ input: label(r.name, tile), left: (1 + side * regions.length + k) * step, top: 20 });
  for (const [row, seed] of EDIT_SEEDS.entries()) {
    const top = header + row * 2 * step;
    const { base, rgba } = await baseOf(seed);
    editLayers.push({ input: await png(rgba), left: 0, top }, { input: label(String(seed), tile), left: 0, top: top + step + tile / 2 - 10 });
    for (const [k, r] of regions.entries()) {
      const target = await editTarget({ name: manifest.name, resolution: res, regions }, [r.name], undefined, localMasks(model, renders, base));
      for (const [side, composite] of [false, true].entries()) {
        const req = normalizeRequest({ seed, truncation: 1, regions: [r.name], resampleSeed: RESAMPLE_SEED_OFFSET + seed, composite }, true);
        const [edit] = (await renderEdit(model, renders, base, req, target, 1)).images as [Uint8Array];
        const left = (1 + side * regions.length + k) * step;
        editLayers.push({ input: await png(edit), left, top }, { input: await png(heat(rgba, edit, target.mask)), left, top: top + step });
      }
    }
  }
  const edits = await canvas((1 + 2 * regions.length) * step - GAP, header + EDIT_SEEDS.length * 2 * step - GAP, editLayers);
  model.generator.dispose();
  model.segmenter?.dispose();

  const paths = { seeds: join(out, PICTURES.seeds), edits: join(out, PICTURES.edits) };
  await writeFile(paths.seeds, seeds);
  await writeFile(paths.edits, edits);
  return paths;
}

/** White where nothing changed, through yellow and red to black at FULL_CHANGE; the mask's edge in blue. */
function heat(base: Uint8Array, edit: Uint8Array, mask: BinaryMask): Uint8Array {
  const out = new Uint8Array(base.length);
  const edge = maskEdge(mask).data;
  for (let p = 0; p < edge.length; p++) {
    const i = p * 4;
    let d = 0;
    for (let c = 0; c < 3; c++) d = Math.max(d, Math.abs(edit[i + c]! - base[i + c]!));
    const t = Math.min(1, d / FULL_CHANGE);
    // 0 → white, 1/3 → yellow, 2/3 → red, 1 → black.
    const rgb = t < 1 / 3 ? [255, 255, 255 * (1 - 3 * t)] : t < 2 / 3 ? [255, 255 * (2 - 3 * t), 0] : [255 * (3 - 3 * t), 0, 0];
    out.set(edge[p] ? [40, 90, 255, 255] : [...rgb.map(Math.round), 255], i);
  }
  return out;
}

const label = (text: string, width: number) =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20"><text x="${width / 2}" y="15" font-family="sans-serif" font-size="13" text-anchor="middle">${text}</text></svg>`);
