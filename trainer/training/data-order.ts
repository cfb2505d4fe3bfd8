import type { Prng } from "../../shared/random/prng.ts";

/** Where a run is in its shuffled pass over the dataset; checkpointed so a resume draws the same images. */
export interface DataOrder {
  order: number[];
  orderPos: number;
}

/**
 * The next `n` dataset indices: epochs of Fisher–Yates shuffles drawn from the run's PRNG, so the
 * data order is part of the run's reproducible randomness.
 *
 * @example
 * const state: DataOrder = { order: [], orderPos: 0 };
 * const batch = nextIndices(state, data.size, 16, rng);
 */
export function nextIndices(state: DataOrder, size: number, n: number, rng: Prng): number[] {
  const out: number[] = [];
  while (out.length < n) {
    if (state.orderPos >= state.order.length) {
      state.order = Array.from({ length: size }, (_, i) => i);
      for (let i = state.order.length - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [state.order[i], state.order[j]] = [state.order[j]!, state.order[i]!];
      }
      state.orderPos = 0;
    }
    out.push(state.order[state.orderPos++]!);
  }
  return out;
}
