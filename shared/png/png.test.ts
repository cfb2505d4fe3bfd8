import { describe, expect, it } from "vitest";
import { decodePng, encodePng } from "./png.ts";

describe("png", () => {
  it("round-trips RGBA and gray pixels", () => {
    const rgba = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
    const back = decodePng(encodePng(rgba, 3, 2));
    expect(back.width).toBe(3);
    expect(Array.from(back.rgba)).toEqual(Array.from(rgba));
    const gray = Uint8Array.from([0, 64, 128, 255]);
    expect(Array.from(decodePng(encodePng(gray, 2, 2, 1)).gray)).toEqual([0, 64, 128, 255]);
  });

  it("starts with the PNG signature and rejects garbage and wrong sizes", () => {
    const png = encodePng(new Uint8Array(4), 1, 1);
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    expect(() => decodePng(new Uint8Array([1, 2, 3]))).toThrow(/not a valid PNG/);
    expect(() => encodePng(new Uint8Array(3), 1, 1)).toThrow(/expected 4 bytes/);
  });
});
