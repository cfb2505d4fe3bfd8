/**
 * Preview the built-in DiceBear dataset (trainer/data/dicebear.ts).
 *
 *   npx tsx scripts/preview-dataset.ts --out tmp/faces.png [--style adventurer] [--seed 0] [--grid 8] [--size 64] [--scale 2]
 *     writes tmp/faces.png (a grid of samples 0…grid²−1) and tmp/faces-masks.png (the same grid with
 *     each part's mask overlaid in its colour; the legend is printed).
 *   … --regions 1000
 *     also renders samples 0…999, prints images/s, the fraction of samples whose mask is empty per
 *     part, and a fixed box and ellipse (image fractions, shared/regions schema) per eye/mouth part
 *     that covers ≥ 90 % of each sample's mask pixels on average; writes tmp/faces-avg.png (the
 *     average mask of each part, side by side).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { encodePng } from "../shared/png/png.ts";
import { MAX_SEED } from "../shared/random/prng.ts";
import { command, int, num, oneOf, str } from "../trainer/cli/args.ts";
import { DEFAULT_STYLE, DICEBEAR_STYLES, type PartName, renderFaces, styleLicense, styleParts } from "../trainer/data/dicebear.ts";

const values = command({
  run: "npx tsx scripts/preview-dataset.ts",
  name: "preview-dataset",
  summary: "Writes a grid of DiceBear samples and the same grid with each part's mask overlaid.",
  flags: {
    out: { value: "PATH.png", help: "the grid (the masks go to PATH-masks.png)", type: str(), required: true },
    style: { value: "S", help: DICEBEAR_STYLES.join(" | "), type: oneOf(DICEBEAR_STYLES), default: DEFAULT_STYLE },
    seed: { value: "N", help: "first sample's seed", type: int(0, MAX_SEED), default: 0 },
    grid: { value: "N", help: "samples per side", type: int(1, 64), default: 8 },
    size: { value: "PX", help: "each sample's size", type: int(8, 1024), default: 64 },
    scale: { value: "K", help: "nearest-neighbour upscaling", type: int(1, 16), default: 2 },
    regions: { value: "N", help: "also measure N samples: empty-mask fractions and a fixed box/ellipse per part", type: int(1, 100_000) },
    coverage: { value: "F", help: "with --regions: fraction of each sample's mask pixels the box/ellipse must cover", type: num(0, 1), default: 0.9 },
  },
  examples: ["npx tsx scripts/preview-dataset.ts --out tmp/faces.png --regions 1000"],
}).parseOrExit();
const { style, seed, grid, size, scale, out } = values;
const stem = out.replace(/\.png$/i, "");
mkdirSync(dirname(out) || ".", { recursive: true });

/** One colour per part in the overlay; `eyes` is drawn as leftEye/rightEye. */
const COLORS: Partial<Record<PartName, [number, number, number]>> = {
  background: [40, 40, 40],
  skin: [255, 220, 0],
  hair: [160, 60, 255],
  eyebrows: [0, 220, 255],
  leftEye: [255, 0, 0],
  rightEye: [0, 80, 255],
  mouth: [0, 200, 0],
};

const n = grid * grid;
const license = styleLicense(style);
console.log(`style ${style}: ${license.name}, ${license.license} (${license.url}); ${license.attribution}`);
const t0 = performance.now();
const batch = renderFaces({ style, count: n, size, seed });
console.log(`${n} samples of ${size} px with masks in ${((performance.now() - t0) / 1000).toFixed(2)} s; parts: ${batch.parts.join(", ")}`);

/** Tile count images (H×W×3 each) into a grid×grid RGB image, upscaled by `scale` (nearest). */
function tile(pixels: (i: number, p: number) => [number, number, number]): Uint8Array {
  const S = size * scale;
  const W = grid * S;
  const img = new Uint8Array(W * W * 3);
  for (let i = 0; i < n; i++) {
    const gx = (i % grid) * S;
    const gy = Math.floor(i / grid) * S;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const c = pixels(i, Math.floor(y / scale) * size + Math.floor(x / scale));
        img.set(c, ((gy + y) * W + gx + x) * 3);
      }
    }
  }
  return img;
}
const W = grid * size * scale;
const rgb = (i: number, p: number): [number, number, number] => {
  const o = (i * size * size + p) * 3;
  return [batch.images[o]!, batch.images[o + 1]!, batch.images[o + 2]!];
};
writeFileSync(out, encodePng(tile(rgb), W, W, 3));
const overlayParts = batch.parts.filter((p) => p !== "eyes" && COLORS[p]);
const overlay = tile((i, p) => {
  let [r, g, b] = rgb(i, p);
  for (const part of overlayParts) {
    if (batch.masks[part][i * size * size + p]) {
      const c = COLORS[part]!;
      [r, g, b] = [Math.round(0.35 * r + 0.65 * c[0]), Math.round(0.35 * g + 0.65 * c[1]), Math.round(0.35 * b + 0.65 * c[2])];
    }
  }
  return [r, g, b];
});
writeFileSync(`${stem}-masks.png`, encodePng(overlay, W, W, 3));
console.log(`wrote ${out} and ${stem}-masks.png; overlay colours: ${overlayParts.map((p) => `${p} rgb(${COLORS[p]!.join(",")})`).join(", ")}`);

if (values.regions) {
  const count = values.regions;
  const coverage = values.coverage;
  const parts = styleParts(style);
  const tImg = performance.now();
  renderFaces({ style, count: Math.min(count, 500), size, seed, masks: false });
  const imgRate = Math.min(count, 500) / ((performance.now() - tImg) / 1000);
  const t1 = performance.now();
  const big = renderFaces({ style, count, size, seed });
  const rate = count / ((performance.now() - t1) / 1000);
  console.log(`speed at ${size} px: ${imgRate.toFixed(0)} images/s without masks, ${rate.toFixed(0)} images/s with masks`);
  const npx = size * size;
  const avgPng = new Uint8Array(parts.length * size * size);
  for (const [k, part] of parts.entries()) {
    const m = big.masks[part];
    const avg = new Float64Array(npx); // mean of the mask
    const norm = new Float64Array(npx); // mean of the mask divided by its own pixel count (for "covers X % of each sample's pixels")
    let empty = 0;
    let pixelsTotal = 0;
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let p = 0; p < npx; p++) s += m[i * npx + p]!;
      pixelsTotal += s;
      if (s === 0) {
        empty++;
        continue;
      }
      for (let p = 0; p < npx; p++) {
        const v = m[i * npx + p]!;
        avg[p]! += v / count;
        norm[p]! += v / s / count;
      }
    }
    const nonEmpty = count - empty;
    for (let p = 0; p < npx; p++) norm[p]! *= count / Math.max(1, nonEmpty);
    let line = `${part.padEnd(10)} empty ${((100 * empty) / count).toFixed(1)}% (${empty}/${count}), mean ${(pixelsTotal / count).toFixed(1)} px`;
    const maxAvg = Math.max(...avg);
    for (let p = 0; p < npx; p++) {
      const x = p % size;
      const y = Math.floor(p / size);
      avgPng[y * parts.length * size + k * size + x] = Math.round((255 * avg[p]!) / Math.max(maxAvg, 1e-9));
    }
    if (["leftEye", "rightEye", "mouth", "eyes", "eyebrows"].includes(part)) {
      const box = bestBox(norm, size, coverage);
      const ell = bestEllipse(norm, size, coverage);
      line += `\n           box     ${JSON.stringify(box.mask)} covers ${(100 * box.covered).toFixed(1)}%, ${box.area} px`;
      line += `\n           ellipse ${JSON.stringify(ell.mask)} covers ${(100 * ell.covered).toFixed(1)}%, ${ell.area} px`;
    }
    console.log(line);
  }
  writeFileSync(`${stem}-avg.png`, encodePng(avgPng, parts.length * size, size, 1));
  console.log(`wrote ${stem}-avg.png (average masks: ${parts.join(", ")})`);
}

function r4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** The smallest pixel-aligned box holding ≥ `target` of the weight map's mass (2-D prefix sums, all boxes). */
function bestBox(w: Float64Array, s: number, target: number) {
  const P = new Float64Array((s + 1) * (s + 1));
  for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) P[(y + 1) * (s + 1) + x + 1] = w[y * s + x]! + P[y * (s + 1) + x + 1]! + P[(y + 1) * (s + 1) + x]! - P[y * (s + 1) + x]!;
  const total = P[s * (s + 1) + s]!;
  let best = { area: Number.POSITIVE_INFINITY, x0: 0, y0: 0, x1: s, y1: s, covered: 1 };
  for (let y0 = 0; y0 < s; y0++) {
    for (let y1 = y0 + 1; y1 <= s; y1++) {
      for (let x0 = 0; x0 < s; x0++) {
        for (let x1 = x0 + 1; x1 <= s; x1++) {
          const area = (y1 - y0) * (x1 - x0);
          if (area >= best.area) break;
          const m = P[y1 * (s + 1) + x1]! - P[y0 * (s + 1) + x1]! - P[y1 * (s + 1) + x0]! + P[y0 * (s + 1) + x0]!;
          if (m >= target * total) {
            best = { area, x0, y0, x1, y1, covered: m / total };
            break;
          }
        }
      }
    }
  }
  return { mask: { kind: "box", x: r4(best.x0 / s), y: r4(best.y0 / s), width: r4((best.x1 - best.x0) / s), height: r4((best.y1 - best.y0) / s) }, covered: best.covered, area: best.area };
}

/** The smallest axis-aligned ellipse (half-pixel grid of centres and radii, pixel centres inside, as shared/regions/mask.ts rasterizes it) holding ≥ `target` of the mass. */
function bestEllipse(w: Float64Array, s: number, target: number) {
  let total = 0;
  let cx0 = 0;
  let cy0 = 0;
  for (let p = 0; p < s * s; p++) {
    total += w[p]!;
    cx0 += w[p]! * ((p % s) + 0.5);
    cy0 += w[p]! * (Math.floor(p / s) + 0.5);
  }
  cx0 /= total;
  cy0 /= total;
  let best = { area: Number.POSITIVE_INFINITY, cx: 0, cy: 0, rx: 0, ry: 0, covered: 0, pixels: 0 };
  for (let dcx = -3; dcx <= 3; dcx += 0.5) {
    for (let dcy = -3; dcy <= 3; dcy += 0.5) {
      const cx = Math.round((cx0 + dcx) * 2) / 2;
      const cy = Math.round((cy0 + dcy) * 2) / 2;
      for (let rx = 1; rx <= s / 2; rx += 0.5) {
        for (let ry = 1; ry <= s / 2; ry += 0.5) {
          const area = Math.PI * rx * ry;
          if (area >= best.area) break;
          let m = 0;
          let pixels = 0;
          for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(s, Math.ceil(cy + ry) + 1); y++) {
            for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(s, Math.ceil(cx + rx) + 1); x++) {
              const du = (x + 0.5 - cx) / rx;
              const dv = (y + 0.5 - cy) / ry;
              if (du * du + dv * dv <= 1) {
                m += w[y * s + x]!;
                pixels++;
              }
            }
          }
          if (m >= target * total) {
            best = { area, cx, cy, rx, ry, covered: m / total, pixels };
            break;
          }
        }
      }
    }
  }
  return { mask: { kind: "ellipse", cx: r4(best.cx / s), cy: r4(best.cy / s), rx: r4(best.rx / s), ry: r4(best.ry / s) }, covered: best.covered, area: best.pixels };
}
