import { expect } from "vitest";

/**
 * Asserts that every tensor of `got` equals `want`'s within `share` of that tensor's own scale (its
 * largest |value|, at least 1e-3): the check for a run resumed from a compact (float16) checkpoint,
 * whose tensors differ in scale (the mapping's weights are stored ×100 for its lr multiplier).
 *
 * @example
 * expectParamsClose(await resumed.values(), await straight.values(), 0.01);
 */
export function expectParamsClose(got: Map<string, Float32Array>, want: Map<string, Float32Array>, share: number): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, v] of got) {
    const w = want.get(name)!;
    let diff = 0;
    let scale = 1e-3;
    for (let i = 0; i < v.length; i++) {
      diff = Math.max(diff, Math.abs(v[i]! - w[i]!));
      scale = Math.max(scale, Math.abs(w[i]!));
    }
    expect(diff, name).toBeLessThan(share * scale);
  }
}
