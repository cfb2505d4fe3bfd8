/**
 * LinkGAN's locality metrics (masked MSE, from LowRankGAN; the LinkGAN paper's Tables 2 and 3), on images in
 * [−1, 1], for each region with mask M (fixed: rasterized once; semantic: the segmenter's mask of
 * each base image, so inside and outside follow that image's hair, say):
 *   editing (Table 2):  resample the region's axes  → MSE_i = mean change inside M, MSE_o = outside
 *   leakage (Table 3):  resample every *other* axis → MSE_in_unlinked = mean change inside M;
 *                       MSE_out_linked is the editing MSE_o
 * Resampling replaces axes with those of mapping(z′) for a fresh seed; noise is the base image's.
 */
import { resampleReplace } from "../../shared/editing/edit.ts";
import type { Generator } from "../../shared/generator/generator.ts";
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
 * mapping(z(resampleSeedBase + i)) at ψ = 1, as the API resamples an explicit w.
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

/** Accumulates the masked MSEs batch by batch: base codes, their resampling codes, and the base images' noise. */
function measurer(g: Generator, regions: Region[], segmenter: Segmenter | undefined) {
  const { resolution: res, wDim } = g.config;
  const measured = regions.filter((r) => r.mask.kind !== "semantic" || segmenter);
  const fixedMasks = measured.map((r) => (r.mask.kind === "semantic" ? null : rasterizeMask(r.mask, res).data));
  const acc = measured.map(() => ({ inside: 0, outside: 0, unlinked: 0 }));
  let samples = 0;
  return {
    async add(ws: Float32Array[], wNew: Float32Array[], noise: number[] | "zeros"): Promise<void> {
      const xs = await g.render(ws, noise);
      const labels = segmenter && measured.some((r) => r.mask.kind === "semantic") ? await segmenter.labels(xs) : [];
      for (const [ri, r] of measured.entries()) {
        const edited = await g.render(ws.map((w, j) => resampleReplace(w, wNew[j]!, [r.axes])), noise);
        const others = await g.render(ws.map((w, j) => resampleReplace(w, wNew[j]!, complement(wDim, r.axes))), noise);
        const semanticClass = r.mask.kind === "semantic" ? r.mask.class : "";
        for (let j = 0; j < ws.length; j++) {
          const m = fixedMasks[ri] ?? segmenter!.classMask(labels[j]!, semanticClass).data;
          const x = xs[j]!.data;
          const e = edited[j]!.data;
          const o = others[j]!.data;
          let si = 0;
          let so = 0;
          let su = 0;
          let ni = 0;
          for (let p = 0; p < res * res; p++) {
            for (let c = 0; c < 3; c++) {
              const k = p * 3 + c;
              const d = (e[k]! - x[k]!) ** 2;
              if (m[p]) {
                si += d;
                su += (o[k]! - x[k]!) ** 2;
                ni++;
              } else so += d;
            }
          }
          const no = res * res * 3 - ni;
          acc[ri]!.inside += ni ? si / ni : 0;
          acc[ri]!.outside += no ? so / no : 0;
          acc[ri]!.unlinked += ni ? su / ni : 0;
        }
      }
      samples += ws.length;
    },
    result(): RegionLocality[] {
      return measured.map((r, i) => {
        const mseIn = acc[i]!.inside / samples;
        const mseOut = acc[i]!.outside / samples;
        return { region: r.name, mseIn, mseOut, ratio: mseOut / mseIn, mseInUnlinked: acc[i]!.unlinked / samples };
      });
    },
  };
}
