/**
 * The image sets that distribution metrics (SWD, FID) compare: real images spread evenly over a
 * dataset, and generated images from fixed seeds (2,000,000 onwards, ψ = 1, noise from the seed),
 * so every measurement of a model sees the same fakes. Images are H×W×3 in [−1, 1].
 */
import type { Generator } from "../../shared/generator/generator.ts";
import type { TrainingData } from "../training/trainer.ts";

export const FAKE_SEED_BASE = 2_000_000;

/** `phase` in [0, 1) shifts the evenly spread indices: phase 0.5 gives a set disjoint from phase 0's (when n ≤ size / 2). */
export async function realImages(data: TrainingData, n: number, phase = 0): Promise<Float32Array[]> {
  const count = Math.min(n, data.size);
  const per = data.resolution * data.resolution * 3;
  const flat = await data.batch(Array.from({ length: count }, (_, i) => Math.floor(((i + phase) * data.size) / count)));
  return Array.from({ length: count }, (_, i) => flat.slice(i * per, (i + 1) * per));
}

export async function generatedImages(g: Generator, n: number, onProgress?: (done: number) => void): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let s = 0; s < n; s += 16) {
    const seeds = Array.from({ length: Math.min(16, n - s) }, (_, i) => FAKE_SEED_BASE + s + i);
    for (const img of await g.render(await g.mapSeeds(seeds, 1), seeds)) out.push(img.data);
    onProgress?.(out.length);
  }
  return out;
}
