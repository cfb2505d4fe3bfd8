import { Prng } from "../../shared/random/prng.ts";
import type { TrainingData } from "../../trainer/training/trainer.ts";

/** 256 deterministic random images (tanh of normals, in [−1, 1]) for benchmarks that need no dataset. */
export function randomTrainingData(res: number): TrainingData {
  return {
    size: 256,
    resolution: res,
    async batch(idx: number[]) {
      const o = new Float32Array(idx.length * res * res * 3);
      for (const [i, k] of idx.entries()) o.set(new Prng(k, 3).normals(res * res * 3).map(Math.tanh), i * res * res * 3);
      return o;
    },
  };
}
