import { describe, expect, it } from "vitest";
import { axisMask, interpolate, lerp, resamplePerturb, resampleReplace, resampleReplaceLayers } from "./edit.ts";

const w = Float32Array.from({ length: 8 }, (_, i) => i);
const other = Float32Array.from({ length: 8 }, (_, i) => 100 + i);

describe("editing in W", () => {
  it("replaces exactly the region's axes and leaves the input untouched", () => {
    const out = resampleReplace(w, other, [{ start: 2, end: 4 }, { start: 6, end: 7 }]);
    expect(Array.from(out)).toEqual([0, 1, 102, 103, 4, 5, 106, 7]);
    expect(Array.from(w)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("resamples a W+ code's region in every layer with the same new values, and a W code as resampleReplace does", () => {
    const ranges = [{ start: 2, end: 4 }, { start: 6, end: 7 }];
    const plus = Float32Array.from({ length: 24 }, (_, i) => -i); // 3 layers of 8
    const out = resampleReplaceLayers(plus, other, ranges);
    for (let l = 0; l < 3; l++) {
      const layer = Array.from(out.subarray(l * 8, (l + 1) * 8));
      expect(layer).toEqual(Array.from(resampleReplace(plus.subarray(l * 8, (l + 1) * 8), other, ranges)));
      expect([layer[2], layer[3], layer[6]]).toEqual([102, 103, 106]);
    }
    expect(plus[2]).toBe(-2); // input untouched
    expect(Array.from(resampleReplaceLayers(w, other, ranges))).toEqual(Array.from(resampleReplace(w, other, ranges)));
    expect(() => resampleReplaceLayers(plus.subarray(0, 20), other, ranges)).toThrow(/20 values is not a whole number of layers of 8/);
    expect(() => resampleReplaceLayers(plus, other, [{ start: 6, end: 9 }])).toThrow(/not inside/);
  });

  it("perturbs the region's axes by α·p", () => {
    const p = new Float32Array(8).fill(1);
    expect(Array.from(resamplePerturb(w, p, 0.5, [{ start: 0, end: 2 }]))).toEqual([0.5, 1.5, 2, 3, 4, 5, 6, 7]);
    expect(() => resamplePerturb(w, p, Number.NaN, [])).toThrow(/alpha/);
  });

  it("interpolates with both ends exact", () => {
    const frames = interpolate(w, other, 5);
    expect(frames).toHaveLength(5);
    expect(Array.from(frames[0]!)).toEqual(Array.from(w));
    expect(Array.from(frames[4]!)).toEqual(Array.from(other));
    expect(lerp(w, other, 0.5)[3]).toBeCloseTo(53);
    expect(() => interpolate(w, other, 1)).toThrow(/frames/);
  });

  it("rejects out-of-range axes and mismatched lengths", () => {
    expect(() => resampleReplace(w, other, [{ start: 6, end: 9 }])).toThrow(/not inside/);
    expect(() => resampleReplace(w, new Float32Array(3), [])).toThrow(/lengths differ/);
    expect(Array.from(axisMask(6, [{ start: 1, end: 3 }]))).toEqual([0, 1, 1, 0, 0, 0]);
  });
});
