/**
 * LinkGAN's locality metrics (masked MSE, from LowRankGAN; the LinkGAN paper's Tables 2 and 3), on images in
 * [−1, 1], for each region with mask M (fixed: rasterized once; semantic: the segmenter's mask of
 * each base image, so inside and outside follow that image's hair, say; semantic regions also get
 * the figures on the union of the base image's and the compared image's masks, `union`):
 *   editing (Table 2):  resample the region's axes  → MSE_i = mean change inside M, MSE_o = outside
 *   leakage (Table 3):  resample every *other* axis → MSE_in_unlinked = mean change inside M;
 *                       MSE_out_linked is the editing MSE_o
 * Resampling replaces axes with those of mapping(z′) for a fresh seed; noise is the base image's.
 * On a W+ code (measureLocalityOfCodes) the axes are replaced in every layer's w with the same
 * values of mapping(z′) (`resampleReplaceLayers`), so a W+ code whose layers all equal w measures
 * as w does.
 */
import { resampleReplaceLayers } from "../../shared/editing/edit.ts";
import type { Generator } from "../../shared/generator/generator.ts";
import { type LatentSpace, spaceOfCode } from "../../shared/generator/space.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import type { AxisRange, Region } from "../../shared/regions/schema.ts";
import type { Segmenter } from "../../shared/segmenter/segmenter.ts";

export interface RegionLocality {
  region: string;
  /** Table 2: change inside / outside the region when its own axes are resampled. */
  mseIn: number;
  mseOut: number;
  /** MSE_o / MSE_i: lower is more local (target ≤ 0.2). */
  ratio: number;
  /** Table 3: change inside the region when all other axes are resampled. */
  mseInUnlinked: number;
  /**
   * Semantic regions only: the same figures with the region taken as the union of the base image's
   * mask and the compared image's (so hair that an edit grows counts as inside, not as leakage).
   */
  union?: Omit<RegionLocality, "region" | "union">;
}

export interface LocalityOptions {
  samples: number;
  batch?: number;
  truncation?: number;
  /** Seeds base..base+samples−1 are the images; resample seeds are offset by 10⁶. */
  baseSeed?: number;
  onProgress?: (done: number, total: number) => void;
  /** Draws semantic regions' masks; without one, semantic regions are skipped. */
  segmenter?: Segmenter | undefined;
}

function complement(dim: number, r: AxisRange): AxisRange[] {
  const out: AxisRange[] = [];
  if (r.start > 0) out.push({ start: 0, end: r.start });
  if (r.end < dim) out.push({ start: r.end, end: dim });
  return out;
}

export async function measureLocality(g: Generator, regions: Region[], opts: LocalityOptions): Promise<RegionLocality[]> {
  const m = measurer(g, regions, opts.segmenter);
  const batch = opts.batch ?? 16;
  const base = opts.baseSeed ?? 0;
  const psi = opts.truncation ?? 1;
  for (let start = 0; start < opts.samples; start += batch) {
    const seeds = Array.from({ length: Math.min(batch, opts.samples - start) }, (_, i) => base + start + i);
    const ws = await g.mapSeeds(seeds, psi);
    const wNew = await g.mapSeeds(seeds.map((s) => s + 1_000_000), psi);
    await m.add(ws, wNew, seeds);
    opts.onProgress?.(start + seeds.length, opts.samples);
  }
  return m.result();
}

/**
 * The same figures on given codes (e.g. inverted images' w, #14) instead of sampled ones: code i is
 * rendered with `noise` (its seed, or zeros for all), and its region is resampled with the axes of
 * mapping(z(resampleSeedBase + i)) at ψ = 1, as the API resamples an explicit w. The codes are all
 * W codes (wDim values) or all W+ codes (numWs · wDim, e.g. `project(…, { space: "w+" })`'s); a W+
 * code's region is resampled in every layer with the same new values.
 *
 * @example
 * const inverted = await measureLocalityOfCodes(g, regions, projectedWs, "zeros", { segmenter });
 */
export async function measureLocalityOfCodes(
  g: Generator,
  regions: Region[],
  ws: Float32Array[],
  noise: number[] | "zeros",
  opts: { batch?: number; resampleSeedBase?: number; segmenter?: Segmenter | undefined; onProgress?: (done: number, total: number) => void } = {},
): Promise<RegionLocality[]> {
  if (noise !== "zeros" && noise.length !== ws.length) throw new Error("measureLocalityOfCodes: one noise seed per code");
  if (ws.length === 0) throw new Error("measureLocalityOfCodes: no codes");
  const spaces: LatentSpace[] = ws.map((w, i) => spaceOfCode(g.config, w, `measureLocalityOfCodes: code ${i}`));
  const other = spaces.findIndex((s) => s !== spaces[0]);
  if (other >= 0) throw new Error(`measureLocalityOfCodes: code 0 is a ${spaces[0]!.toUpperCase()} code but code ${other} a ${spaces[other]!.toUpperCase()} code; give codes of one space`);
  const m = measurer(g, regions, opts.segmenter);
  const batch = opts.batch ?? 16;
  const base = opts.resampleSeedBase ?? 1_000_000;
  for (let start = 0; start < ws.length; start += batch) {
    const part = ws.slice(start, start + batch);
    const wNew = await g.mapSeeds(part.map((_, i) => base + start + i), 1);
    await m.add(part, wNew, noise === "zeros" ? "zeros" : noise.slice(start, start + batch));
    opts.onProgress?.(start + part.length, ws.length);
  }
  return m.result();
}

/** Sums of per-image masked MSEs, over images. */
interface Sums {
  inside: number;
  outside: number;
  unlinked: number;
}

/**
 * Adds one image's masked MSEs: the edit's change inside and outside `editMask`, and the change of
 * the other axes' resample inside `otherMask` (both masks of length H·W, images H·W·3).
 */
function addImage(sum: Sums, x: Float32Array, edited: Float32Array, others: Float32Array, editMask: Uint8Array, otherMask: Uint8Array): void {
  let si = 0;
  let so = 0;
  let su = 0;
  let ni = 0;
  let nu = 0;
  for (let p = 0; p < editMask.length; p++) {
    for (let c = 0; c < 3; c++) {
      const k = p * 3 + c;
      const d = (edited[k]! - x[k]!) ** 2;
      if (editMask[p]) {
        si += d;
        ni++;
      } else so += d;
      if (otherMask[p]) {
        su += (others[k]! - x[k]!) ** 2;
        nu++;
      }
    }
  }
  const no = editMask.length * 3 - ni;
  sum.inside += ni ? si / ni : 0;
  sum.outside += no ? so / no : 0;
  sum.unlinked += nu ? su / nu : 0;
}

function union(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((v, i) => (v || b[i] ? 1 : 0));
}

function figures(sum: Sums, samples: number): Omit<RegionLocality, "region" | "union"> {
  const mseIn = sum.inside / samples;
  const mseOut = sum.outside / samples;
  return { mseIn, mseOut, ratio: mseOut / mseIn, mseInUnlinked: sum.unlinked / samples };
}

/** Accumulates the masked MSEs batch by batch: base codes (W or W+), their resampling codes (W), and the base images' noise. */
function measurer(g: Generator, regions: Region[], segmenter: Segmenter | undefined) {
  const { resolution: res, wDim } = g.config;
  const measured = regions.filter((r) => r.mask.kind !== "semantic" || segmenter);
  const fixedMasks = measured.map((r) => (r.mask.kind === "semantic" ? null : rasterizeMask(r.mask, res).data));
  const acc = measured.map(() => ({ base: { inside: 0, outside: 0, unlinked: 0 }, union: { inside: 0, outside: 0, unlinked: 0 } }));
  let samples = 0;
  return {
    async add(ws: Float32Array[], wNew: Float32Array[], noise: number[] | "zeros"): Promise<void> {
      const xs = await g.render(ws, noise);
      const labels = segmenter && measured.some((r) => r.mask.kind === "semantic") ? await segmenter.labels(xs) : [];
      for (const [ri, r] of measured.entries()) {
        const edited = await g.render(ws.map((w, j) => resampleReplaceLayers(w, wNew[j]!, [r.axes])), noise);
        const others = await g.render(ws.map((w, j) => resampleReplaceLayers(w, wNew[j]!, complement(wDim, r.axes))), noise);
        const fixed = fixedMasks[ri];
        if (fixed) {
          for (let j = 0; j < ws.length; j++) addImage(acc[ri]!.base, xs[j]!.data, edited[j]!.data, others[j]!.data, fixed, fixed);
          continue;
        }
        const cls = (r.mask as { class: string }).class;
        const editedLabels = await segmenter!.labels(edited);
        const otherLabels = await segmenter!.labels(others);
        for (let j = 0; j < ws.length; j++) {
          const m = segmenter!.classMask(labels[j]!, cls).data;
          addImage(acc[ri]!.base, xs[j]!.data, edited[j]!.data, others[j]!.data, m, m);
          const mEdited = union(m, segmenter!.classMask(editedLabels[j]!, cls).data);
          const mOthers = union(m, segmenter!.classMask(otherLabels[j]!, cls).data);
          addImage(acc[ri]!.union, xs[j]!.data, edited[j]!.data, others[j]!.data, mEdited, mOthers);
        }
      }
      samples += ws.length;
    },
    result(): RegionLocality[] {
      return measured.map((r, i) => ({
        region: r.name,
        ...figures(acc[i]!.base, samples),
        ...(r.mask.kind === "semantic" ? { union: figures(acc[i]!.union, samples) } : {}),
      }));
    },
  };
}
