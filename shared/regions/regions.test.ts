import { describe, expect, it } from "vitest";
import { encodePng } from "../png/png.ts";
import { describeZodError } from "../validation.ts";
import { bytesToBase64, maskArea, maskEdge, rasterizeMask } from "./mask.ts";
import { type Region, regionsSchema } from "./schema.ts";

const box = { kind: "box", x: 0.25, y: 0.25, width: 0.5, height: 0.5 } as const;
const region = (name: string, start: number, end: number): Region => ({ name, axes: { start, end }, mask: box });

function errorOf(value: unknown, wDim = 64): string {
  const r = regionsSchema(wDim).safeParse(value);
  expect(r.success).toBe(false);
  return describeZodError(r.error!);
}

describe("region schema", () => {
  it("accepts disjoint ranges inside W", () => {
    expect(regionsSchema(64).parse([region("a", 0, 16), region("b", 16, 32)])).toHaveLength(2);
  });

  it("rejects overlapping axes, naming both regions", () => {
    expect(errorOf([region("eyes", 0, 16), region("mouth", 10, 20)])).toMatch(/\[1\]\.axes: \[10, 20\) overlaps regions\[0\] \("eyes"\)/);
  });

  it("rejects axes outside W and empty ranges", () => {
    expect(errorOf([region("a", 60, 70)])).toMatch(/\[0\]\.axes\.end: must be ≤ wDim \(64\)/);
    expect(errorOf([region("a", 5, 5)])).toMatch(/\[0\]\.axes\.end: end must be greater than start/);
    expect(errorOf([region("a", -1, 4)])).toMatch(/\[0\]\.axes\.start/);
  });

  it("rejects duplicate names, bad names and masks outside the image", () => {
    expect(errorOf([region("a", 0, 4), region("a", 4, 8)])).toMatch(/\[1\]\.name: duplicate/);
    expect(errorOf([region("Left Eye", 0, 4)])).toMatch(/\[0\]\.name/);
    expect(errorOf([{ ...region("a", 0, 4), mask: { ...box, x: 0.8 } }])).toMatch(/\[0\]\.mask\.width: x \+ width must be ≤ 1/);
    expect(errorOf([{ ...region("a", 0, 4), mask: { kind: "star" } }])).toMatch(/\[0\]\.mask\.kind/);
  });
});

describe("rasterizeMask", () => {
  it("rasterizes a box and an ellipse at pixel centres", () => {
    const m = rasterizeMask(box, 8);
    expect(maskArea(m)).toBe(16);
    expect(m.data[2 * 8 + 2]).toBe(1);
    expect(m.data[1 * 8 + 2]).toBe(0);
    const e = rasterizeMask({ kind: "ellipse", cx: 0.5, cy: 0.5, rx: 0.5, ry: 0.5 }, 32);
    expect(Math.abs(maskArea(e) / (32 * 32) - Math.PI / 4)).toBeLessThan(0.02);
  });

  it("resizes and binarizes a PNG mask", () => {
    const px = new Uint8Array(4 * 4);
    px[0] = 255; // top-left pixel white in a 4×4 gray image
    const m = rasterizeMask({ kind: "image", png: bytesToBase64(encodePng(px, 4, 4, 1)) }, 8);
    expect(Array.from(m.data.subarray(0, 3))).toEqual([1, 1, 0]);
    expect(maskArea(m)).toBe(4);
  });

  it("refuses semantic masks (they are per image)", () => {
    expect(() => rasterizeMask({ kind: "semantic", class: "hair" }, 8)).toThrow(/segmenter/);
  });
});

describe("maskEdge", () => {
  it("keeps the inside pixels with a neighbour outside: a 4×4 box at 8 px has 12 edge pixels and a 2×2 hole", () => {
    const box = rasterizeMask({ kind: "box", x: 0.25, y: 0.25, width: 0.5, height: 0.5 }, 8);
    expect(maskArea(box)).toBe(16);
    const edge = maskEdge(box);
    expect(maskArea(edge)).toBe(12);
    expect([edge.data[3 * 8 + 3], edge.data[3 * 8 + 4], edge.data[2 * 8 + 2], edge.data[0]]).toEqual([0, 0, 1, 0]);
    // A mask that touches the image's border is edged there too.
    expect(maskArea(maskEdge({ size: 3, data: new Uint8Array(9).fill(1) }))).toBe(8);
  });
});
