import { decode as fastPngDecode } from "fast-png";
import fc from "fast-check";
import { zlibSync } from "fflate";
import { describe, expect, it } from "vitest";
import { type CraftOptions, chunk, craftPng, deflateBombPng, ihdr, lyingHeaderPng, pngFromChunks } from "./craft.ts";
import { IMAGE_LIMITS, ImageTooLargeError, PngError, decodePng, decodePngGray, encodePng, readPngHeader } from "./png.ts";

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

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const DEPTHS = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] } as const;

/** What a pixel of `o` must decode to, from its samples, by the PNG specification. */
function expectedRgba(o: CraftOptions): number[] {
  const ch = CHANNELS[o.colorType];
  const max = 2 ** o.depth - 1;
  const to8 = (v: number) => Math.round((v * 255) / max);
  const out: number[] = [];
  for (let i = 0; i < o.width * o.height; i++) {
    const s = Array.from({ length: ch }, (_, c) => o.samples[i * ch + c]!);
    if (o.colorType === 3) {
      const k = s[0]!;
      out.push(o.palette![3 * k]!, o.palette![3 * k + 1]!, o.palette![3 * k + 2]!, o.transparency?.[k] ?? 255);
    } else if (o.colorType === 0 || o.colorType === 4) {
      const g = to8(s[0]!);
      const key = o.transparency ? (o.transparency[0]! << 8) | o.transparency[1]! : -1;
      out.push(g, g, g, o.colorType === 4 ? to8(s[1]!) : s[0] === key ? 0 : 255);
    } else {
      const t = o.transparency;
      const keyed = t !== undefined && [0, 1, 2].every((c) => s[c] === ((t[2 * c]! << 8) | t[2 * c + 1]!));
      out.push(to8(s[0]!), to8(s[1]!), to8(s[2]!), o.colorType === 6 ? to8(s[3]!) : keyed ? 0 : 255);
    }
  }
  return out;
}

/** fast-png's reading of the same file, unpacked to one number per sample: an independent check of what craftPng wrote. */
function fastPngSamples(png: Uint8Array, o: CraftOptions): number[] {
  const d = fastPngDecode(png);
  const ch = CHANNELS[o.colorType];
  if (o.depth >= 8) return Array.from(d.data);
  const rowBytes = Math.ceil((o.width * ch * o.depth) / 8);
  const out: number[] = [];
  for (let y = 0; y < o.height; y++) {
    for (let s = 0; s < o.width * ch; s++) {
      const byte = d.data[y * rowBytes + ((s * o.depth) >> 3)]!;
      out.push((byte >> (8 - o.depth - ((s * o.depth) & 7))) & (2 ** o.depth - 1));
    }
  }
  return out;
}

const image = fc
  .record({
    colorType: fc.constantFrom(0, 2, 3, 4, 6),
    width: fc.integer({ min: 1, max: 19 }),
    height: fc.integer({ min: 1, max: 13 }),
    interlaced: fc.boolean(),
    depthPick: fc.nat(),
    seed: fc.nat(),
    withTransparency: fc.boolean(),
  })
  .map(({ colorType, width, height, interlaced, depthPick, seed, withTransparency }): CraftOptions => {
    const depths = DEPTHS[colorType as keyof typeof DEPTHS];
    const depth = depths[depthPick % depths.length]! as CraftOptions["depth"];
    const ch = CHANNELS[colorType as keyof typeof CHANNELS];
    const colors = colorType === 3 ? Math.min(2 ** depth, 1 + (seed % 200)) : 0;
    let s = seed;
    const next = (n: number) => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s % n;
    };
    const limit = colorType === 3 ? colors : 2 ** depth;
    const samples = Array.from({ length: width * height * ch }, () => next(limit));
    const palette = colorType === 3 ? Uint8Array.from({ length: colors * 3 }, () => next(256)) : undefined;
    let transparency: Uint8Array | undefined;
    if (withTransparency && colorType === 3) transparency = Uint8Array.from({ length: 1 + next(colors) }, () => next(256));
    if (withTransparency && (colorType === 0 || colorType === 2)) {
      const key = samples.slice(0, colorType === 0 ? 1 : 3); // the first pixel's colour is transparent
      transparency = Uint8Array.from(key.flatMap((v) => [v >> 8, v & 255]));
    }
    return { width, height, depth, colorType: colorType as CraftOptions["colorType"], interlaced, samples, palette, transparency };
  });

describe("every colour type, bit depth, filter and interlacing", () => {
  it("decodes to the samples written (and fast-png reads the same samples from the file)", () => {
    fc.assert(
      fc.property(image, (o) => {
        const png = craftPng(o);
        // fast-png checks what craftPng wrote, where it can: not for an RGB colour key on images of
        // fewer than 3 pixels (it refuses the tRNS chunk) nor for interlaced sub-byte samples (it misreads them).
        if (!(o.interlaced && o.depth < 8)) expect(fastPngSamples(craftPng({ ...o, transparency: undefined }), o)).toEqual(Array.from(o.samples));
        const d = decodePng(png);
        expect([d.width, d.height]).toEqual([o.width, o.height]);
        const want = expectedRgba(o);
        expect(Array.from(d.rgba)).toEqual(want);
        const luma = Array.from({ length: o.width * o.height }, (_, i) => Math.round(((0.299 * want[4 * i]! + 0.587 * want[4 * i + 1]! + 0.114 * want[4 * i + 2]!) * want[4 * i + 3]!) / 255));
        expect(Array.from(decodePngGray(png).gray)).toEqual(luma);
      }),
      { numRuns: 120, seed: 15 },
    );
  });

  it("unpacks 1-, 2- and 4-bit gray masks (64×64)", () => {
    for (const depth of [1, 2, 4] as const) {
      const max = 2 ** depth - 1;
      const samples = Array.from({ length: 64 * 64 }, (_, i) => (i % 64 < 32 ? max : 0));
      const { gray } = decodePngGray(craftPng({ width: 64, height: 64, depth, colorType: 0, samples }));
      expect(gray.length).toBe(64 * 64);
      expect(new Set(gray.subarray(0, 32))).toEqual(new Set([255]));
      expect(new Set(gray.subarray(32, 64))).toEqual(new Set([0]));
    }
  });

  it("reads image data split over many IDAT chunks and skips ancillary chunks without decoding them", () => {
    const o: CraftOptions = { width: 9, height: 7, depth: 8, colorType: 6, samples: Array.from({ length: 9 * 7 * 4 }, (_, i) => (i * 13) % 256), idatChunkBytes: 5 };
    expect(Array.from(decodePng(craftPng(o)).rgba)).toEqual(expectedRgba(o));
    // An iCCP "profile" that would inflate to 8 MiB (fast-png inflated these in full): skipped, never inflated.
    const iccBomb = chunk("iCCP", Uint8Array.from([...new TextEncoder().encode("icc"), 0, 0, ...zlibSync(new Uint8Array(8 << 20), { level: 9 })]));
    const plain = craftPng({ width: 2, height: 1, depth: 8, colorType: 0, samples: [0, 255] });
    const withAncillary = pngFromChunks([plain.subarray(8, 33), chunk("tEXt", new TextEncoder().encode("Comment\0hi")), iccBomb, plain.subarray(33)]);
    expect(Array.from(decodePngGray(withAncillary).gray)).toEqual([0, 255]);
  });
});

describe("size limits, from the header alone", () => {
  const tooLarge = (png: Uint8Array) => {
    const t0 = performance.now();
    expect(() => decodePngGray(png)).toThrow(ImageTooLargeError);
    return performance.now() - t0;
  };

  it("refuses the 70-byte 2147483647×1 bomb, 10000×10000 and a 4096×4096 16-bit RGBA at once", () => {
    const bomb = lyingHeaderPng(2147483647, 1);
    expect(bomb.length).toBeLessThan(80);
    expect(tooLarge(bomb)).toBeLessThan(50);
    expect(() => readPngHeader(bomb)).toThrow(/larger than the limit of 4096×4096/);
    expect(tooLarge(lyingHeaderPng(10000, 10000))).toBeLessThan(50);
    expect(() => decodePng(lyingHeaderPng(4096, 4096, 16, 6))).toThrow(/decodes to 134217728 bytes, more than the limit of 16777216/);
    expect(() => decodePng(lyingHeaderPng(4097, 1))).toThrow(ImageTooLargeError);
  });

  it("accepts the largest allowed size, and refuses image data that inflates past what the header holds (a deflate bomb)", () => {
    const side = IMAGE_LIMITS.maxSide;
    const full = craftPng({ width: side, height: side, depth: 8, colorType: 0, samples: new Uint8Array(side * side), filter: () => 0 });
    expect(decodePngGray(full).gray.length).toBe(side * side);
    expect(() => decodePngGray(lyingHeaderPng(side, side, 16, 0))).toThrow(/more than the limit of 16777216/);
    const bomb = deflateBombPng(64, 64, 16 << 20);
    expect(bomb.length).toBeLessThan(32_000);
    const t0 = performance.now();
    expect(() => decodePngGray(bomb)).toThrow(/inflates to more than the 4160 bytes/);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe("corrupt files are refused, not guessed at", () => {
  const good = craftPng({ width: 4, height: 3, depth: 8, colorType: 0, samples: Array.from({ length: 12 }, (_, i) => i * 20) });
  const iendAt = good.length - 12;
  const cases: [string, Uint8Array, RegExp][] = [
    ["a bad CRC in IDAT", (() => {
      const b = good.slice();
      b[iendAt - 1]! ^= 1;
      return b;
    })(), /IDAT: CRC mismatch/],
    ["a bad CRC in IHDR", (() => {
      const b = good.slice();
      b[30]! ^= 1;
      return b;
    })(), /IHDR: CRC mismatch/],
    ["a file cut off inside IEND", good.subarray(0, good.length - 2), /cut off inside the IEND chunk/],
    ["no IEND", good.subarray(0, iendAt), /no IEND chunk/],
    ["bytes after IEND", Uint8Array.from([...good, 0]), /1 byte\(s\) after IEND/],
    ["an unknown critical chunk", pngFromChunks([good.subarray(8, 33), chunk("ABCD"), good.subarray(33)]), /unknown critical chunk ABCD/],
    ["image data cut off", pngFromChunks([chunk("IHDR", ihdr(4, 3, 8, 0)), chunk("IDAT", zlibSync(new Uint8Array(10))), chunk("IEND")]), /cut off: 10 of 15 bytes/],
    ["an unknown filter type", pngFromChunks([chunk("IHDR", ihdr(1, 1, 8, 0)), chunk("IDAT", zlibSync(Uint8Array.of(7, 0))), chunk("IEND")]), /unknown filter type 7/],
    ["a palette index outside the palette", craftPng({ width: 2, height: 1, depth: 8, colorType: 3, samples: [0, 5], palette: new Uint8Array(6) }), /palette index 5 is outside the 2-colour palette/],
    ["a bit depth the colour type does not allow", pngFromChunks([chunk("IHDR", ihdr(1, 1, 4, 2)), chunk("IEND")]), /bit depth 4 is not allowed for colour type 2/],
    ["IDAT that is not zlib", pngFromChunks([chunk("IHDR", ihdr(1, 1, 8, 0)), chunk("IDAT", Uint8Array.of(1, 2, 3)), chunk("IEND")]), /not a valid zlib stream/],
  ];
  for (const [what, png, message] of cases) {
    it(what, () => {
      expect(() => decodePng(png)).toThrow(PngError);
      expect(() => decodePng(png)).toThrow(message);
    });
  }
});
