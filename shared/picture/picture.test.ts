import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { chunk, lyingHeaderPng } from "../png/craft.ts";
import { readPngInfo } from "../png/decode.ts";
import { decodePng, encodePng } from "../png/png.ts";
import { asFourComponents, grayJpeg, patchSof, progressiveGrayJpeg, segmentAt } from "./craft.ts";
import { MAX_JPEG_SCANS, decodeJpeg, orientRgba, readJpegHeader } from "./jpeg.ts";
import { MAX_PICTURE_PIXELS, MIN_PICTURE_SIDE, PictureError, type PictureErrorCode, decodePicture, modelInput, picture, readPictureHeader } from "./picture.ts";

const BG = [0xd6, 0xdc, 0xe8] as const;
/** An 8-bit value as the model reads it. */
const f = (v: number) => v / 127.5 - 1;

/** The PictureError `fn` throws (failing the test when it throws nothing or something else). */
function refusal(fn: () => unknown): { code: PictureErrorCode; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof PictureError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error("expected a PictureError, got none");
}

/** Deterministic bytes in [0, 255]. */
function noise(n: number, seed = 1): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

/** `width`×`height` RGBA, every pixel `rgba(x, y)`. */
function image(width: number, height: number, rgba: (x: number, y: number) => readonly number[]): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(rgba(x, y), (y * width + x) * 4);
  return out;
}

const encodeJpeg = (rgba: Uint8Array, width: number, height: number, quality = 95) => new Uint8Array(jpeg.encode({ data: rgba, width, height }, quality).data);

/** A copy of a JPEG with an APP1 Exif block (IFD0 holding Orientation only) inserted after SOI. */
function withExifOrientation(b: Uint8Array, orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const v = new DataView(tiff.buffer);
  tiff.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 42, littleEndian);
  v.setUint32(4, 8, littleEndian);
  v.setUint16(8, 1, littleEndian); // one entry
  v.setUint16(10, 0x0112, littleEndian); // Orientation
  v.setUint16(12, 3, littleEndian); // SHORT
  v.setUint32(14, 1, littleEndian); // count
  v.setUint16(18, orientation, littleEndian);
  const data = [..."Exif\0\0"].map((c) => c.charCodeAt(0)).concat(Array.from(tiff));
  const app1 = [0xff, 0xe1, (data.length + 2) >> 8, (data.length + 2) & 255, ...data];
  return Uint8Array.from([...b.subarray(0, 2), ...app1, ...b.subarray(2)]);
}

describe("readPictureHeader: every refusal from the header, before any pixel is decoded", () => {
  const png = encodePng(noise(40 * 30 * 4), 40, 30);
  // Noise, so that the entropy-coded data is most of the file and "cut at half" lands inside it.
  const jpg = encodeJpeg(noise(64 * 48 * 4, 5).map((v, i) => (i % 4 === 3 ? 255 : v)), 64, 48);

  it("reads a PNG's and a JPEG's format and size", () => {
    expect(readPictureHeader(png)).toEqual({ format: "png", width: 40, height: 30 });
    expect(readPictureHeader(jpg)).toEqual({ format: "jpeg", width: 64, height: 48 });
    expect(readJpegHeader(jpg)).toEqual({ width: 64, height: 48, components: 3, progressive: false, orientation: 1 });
  });

  it("refuses what is not an image, saying what it looks like", () => {
    expect(refusal(() => readPictureHeader(new TextEncoder().encode("name,score\nada,3\n")))).toEqual({ code: "not_an_image", message: "not a PNG or JPEG: it looks like text" });
    const gif = Uint8Array.from([..."GIF89a"].map((c) => c.charCodeAt(0)).concat([16, 0, 16, 0, 0x80, 0, 0]));
    expect(refusal(() => readPictureHeader(gif))).toEqual({ code: "not_an_image", message: "not a PNG or JPEG: it looks like a GIF image" });
    const webp = Uint8Array.from([..."RIFF\x20\0\0\0WEBPVP8 "].map((c) => c.charCodeAt(0)));
    expect(refusal(() => readPictureHeader(webp)).message).toMatch(/WebP/);
    expect(refusal(() => readPictureHeader(new Uint8Array(0))).message).toMatch(/empty/);
    expect(refusal(() => readPictureHeader(Uint8Array.of(0, 1, 2, 250, 251)))).toEqual({ code: "not_an_image", message: "not a PNG or JPEG: its first bytes are 00 01 02 fa fb" });
  });

  it("refuses a truncated PNG and a JPEG cut at half as corrupt", () => {
    const cutPng = refusal(() => readPictureHeader(png.subarray(0, png.length >> 1)));
    expect(cutPng.code).toBe("corrupt");
    expect(cutPng.message).toMatch(/^a truncated or corrupt PNG: cut off inside the IDAT chunk/);
    const cutJpg = refusal(() => readPictureHeader(jpg.subarray(0, jpg.length >> 1)));
    expect(cutJpg).toEqual({ code: "corrupt", message: "a truncated or corrupt JPEG: the file is cut off inside the image data" });
    // decodePicture refuses them the same way (it reads the header first).
    expect(refusal(() => decodePicture(jpg.subarray(0, jpg.length >> 1))).code).toBe("corrupt");
    expect(refusal(() => decodeJpeg(jpg.subarray(0, jpg.length - 2))).message).toMatch(/cut off/);
  });

  it("refuses decompression bombs from the header: a PNG claiming 100000×100000, a JPEG SOF claiming 60000×60000", () => {
    const pngBomb = lyingHeaderPng(100000, 100000);
    expect(pngBomb.length).toBeLessThan(100);
    expect(refusal(() => readPictureHeader(pngBomb))).toEqual({ code: "too_large", message: "too large: 100000×100000 is larger than the limit of 4096×4096" });
    const jpgBomb = patchSof(jpg, { width: 60000, height: 60000 });
    expect(refusal(() => decodePicture(jpgBomb))).toEqual({ code: "too_large", message: "too large: 60000×60000 is larger than the limit of 4096×4096" });
    // Within the sides but over the decoded-size limit: 3 components × 4000 × 3000.
    expect(refusal(() => readPictureHeader(patchSof(jpg, { width: 4000, height: 3000 })))).toMatchObject({ code: "too_large", message: expect.stringMatching(/decodes to 36000000 bytes/) });
  });

  it("refuses pictures over MAX_PICTURE_PIXELS from the header (what an isolate can decode), and takes one at the limit", () => {
    expect(MAX_PICTURE_PIXELS).toBe(1024 * 1024);
    expect(refusal(() => readPictureHeader(patchSof(jpg, { width: 1100, height: 1000 })))).toMatchObject({ code: "too_large", message: expect.stringMatching(/^too large: 1100×1000 has more than 1048576 pixels/) });
    expect(refusal(() => readPictureHeader(lyingHeaderPng(2048, 1024)))).toMatchObject({ code: "too_large", message: expect.stringMatching(/2048×1024 has more than 1048576 pixels/) });
    expect(readPictureHeader(patchSof(jpg, { width: 1024, height: 1024 }))).toMatchObject({ width: 1024, height: 1024 });
  });

  it("refuses 1×1 PNG and JPEG pictures as too small, and accepts 16×16", () => {
    const tiny = refusal(() => readPictureHeader(encodePng(Uint8Array.of(1, 2, 3, 255), 1, 1)));
    expect(tiny.code).toBe("too_small");
    expect(tiny.message).toMatch(/^too small: 1×1; the smallest accepted picture is 16×16/);
    expect(refusal(() => readPictureHeader(encodeJpeg(Uint8Array.of(1, 2, 3, 255), 1, 1)))).toMatchObject({ code: "too_small", message: expect.stringMatching(/^too small: 1×1/) });
    expect(refusal(() => readPictureHeader(encodePng(new Uint8Array(40 * 15 * 4), 40, 15))).message).toMatch(/40×15/);
    expect(MIN_PICTURE_SIDE).toBe(16);
    expect(readPictureHeader(encodePng(new Uint8Array(16 * 16 * 4), 16, 16)).width).toBe(16);
  });

  it("refuses an animated PNG (acTL before the first IDAT) with its frame count; acTL after IDAT is no animation", () => {
    const acTL = chunk("acTL", Uint8Array.of(0, 0, 0, 3, 0, 0, 0, 0));
    const animated = Uint8Array.from([...png.subarray(0, 33), ...acTL, ...png.subarray(33)]);
    expect(readPngInfo(animated).animationFrames).toBe(3);
    expect(refusal(() => readPictureHeader(animated))).toEqual({ code: "animated", message: "an animated PNG (3 frames); give one still picture" });
    const late = Uint8Array.from([...png.subarray(0, png.length - 12), ...acTL, ...png.subarray(png.length - 12)]);
    expect(readPngInfo(late).animationFrames).toBeUndefined();
    expect(readPictureHeader(late).format).toBe("png");
    // decodePng still reads an APNG's default image (the structure is valid).
    expect(decodePng(animated).width).toBe(40);
  });

  it("refuses a CMYK JPEG from its frame header, before decoding", () => {
    const cmyk = asFourComponents(jpg);
    expect(refusal(() => readJpegHeader(cmyk))).toEqual({ code: "unsupported", message: "a CMYK JPEG; convert it to RGB" });
    expect(refusal(() => decodePicture(cmyk))).toEqual({ code: "unsupported", message: "a CMYK JPEG; convert it to RGB" });
    // The same file cut right after its frame header: refused the same way, so no scan data was needed.
    const at = segmentAt(cmyk, 0xc0);
    expect(refusal(() => readPictureHeader(cmyk.subarray(0, at + 2 + 20))).message).toBe("a CMYK JPEG; convert it to RGB");
  });

  it("refuses arithmetic coding, a DNL-defined height and a zero width; reads SOF2 as progressive", () => {
    expect(refusal(() => readPictureHeader(patchSof(jpg, { marker: 0xc9 })))).toMatchObject({ code: "unsupported", message: expect.stringMatching(/^an arithmetic-coded JPEG \(SOF9\)/) });
    expect(refusal(() => readPictureHeader(patchSof(jpg, { marker: 0xc3 }))).message).toMatch(/lossless/);
    expect(refusal(() => readPictureHeader(patchSof(jpg, { height: 0 })))).toMatchObject({ code: "unsupported", message: expect.stringMatching(/DNL/) });
    expect(refusal(() => readPictureHeader(patchSof(jpg, { width: 0 })))).toMatchObject({ code: "corrupt", message: expect.stringMatching(/width is 0/) });
    expect(readJpegHeader(patchSof(jpg, { marker: 0xc2 })).progressive).toBe(true);
    expect(refusal(() => readPictureHeader(Uint8Array.of(0xff, 0xd8, 0xff, 0xd9))).code).toBe("corrupt");
  });

  it(`refuses a JPEG of more than MAX_JPEG_SCANS (${MAX_JPEG_SCANS}) scans from its structure, and decodes one at the limit`, () => {
    const value = (bx: number, by: number) => 40 + 30 * bx + 50 * by;
    // The DC scan and MAX_JPEG_SCANS − 1 AC scans: a valid file at the limit, decoded to the baseline file's pixels.
    const atLimit = progressiveGrayJpeg(3, 2, value, MAX_JPEG_SCANS - 1);
    expect(readJpegHeader(atLimit)).toMatchObject({ width: 24, height: 16, progressive: true });
    expect(Array.from(decodePicture(atLimit).rgba)).toEqual(Array.from(decodePicture(grayJpeg(3, 2, value)).rgba));
    const over = progressiveGrayJpeg(3, 2, value, MAX_JPEG_SCANS);
    const refused = { code: "unsupported", message: `a JPEG with more than ${MAX_JPEG_SCANS} scans, which is not read (each scan costs a pass over the whole picture; progressive files have about 10); re-save it` };
    expect(refusal(() => readPictureHeader(over))).toEqual(refused);
    expect(refusal(() => decodeJpeg(over))).toEqual(refused);
    // The bomb: 73 KB that would keep the decoder busy for about a second. Refused at its scan
    // MAX_JPEG_SCANS + 1, before that scan's data: the same file cut right after that scan's header is refused the same way.
    const bomb = progressiveGrayJpeg(128, 128, () => 128, 5000);
    expect(bomb.length).toBeLessThan(80_000);
    expect(refusal(() => decodePicture(bomb))).toEqual(refused);
    let at = 0;
    for (let s = 0; s <= MAX_JPEG_SCANS; s++) at = bomb.indexOf(0xda, at + 2) - 1; // every 0xDA byte here is an SOS marker's (no scan data holds one)
    expect([bomb[at], bomb[at + 1]]).toEqual([0xff, 0xda]);
    expect(refusal(() => readPictureHeader(bomb.subarray(0, at + 10)))).toEqual(refused);
  });
});

describe("decodePicture", () => {
  it("decodes a PNG to its RGBA, alpha kept", () => {
    const rgba = noise(20 * 17 * 4, 7);
    const d = decodePicture(encodePng(rgba, 20, 17));
    expect([d.width, d.height]).toEqual([20, 17]);
    expect(Array.from(d.rgba)).toEqual(Array.from(rgba));
  });

  it("decodes a JPEG close to what was encoded, opaque", () => {
    const rgba = image(32, 16, (x) => (x < 16 ? [200, 30, 30, 255] : [30, 30, 200, 255]));
    const d = decodePicture(encodeJpeg(rgba, 32, 16, 100));
    expect([d.width, d.height]).toEqual([32, 16]);
    const at = (x: number, y: number) => Array.from(d.rgba.subarray((y * 32 + x) * 4, (y * 32 + x) * 4 + 4));
    for (const [[x, y], want] of [[[4, 4], [200, 30, 30]], [[28, 12], [30, 30, 200]]] as const) {
      const got = at(x, y);
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c]! - want[c]!)).toBeLessThanOrEqual(3);
      expect(got[3]).toBe(255);
    }
  });

  it("decodes a grayscale (1-component) JPEG to RGB", () => {
    const values = [[40, 90, 160], [220, 128, 0]];
    const gray = grayJpeg(3, 2, (bx, by) => values[by]![bx]!);
    expect(readJpegHeader(gray).components).toBe(1);
    const d = decodePicture(gray);
    expect([d.width, d.height]).toEqual([24, 16]);
    for (const [x, y] of [[3, 3], [12, 5], [20, 2], [1, 9], [14, 14], [23, 15]] as const) {
      const p = Array.from(d.rgba.subarray((y * 24 + x) * 4, (y * 24 + x) * 4 + 4));
      expect(Math.abs(p[0]! - values[y >> 3]![x >> 3]!)).toBeLessThanOrEqual(1);
      expect([p[1], p[2], p[3]]).toEqual([p[0], p[0], 255]);
    }
  });

  it("turns a JPEG upright by its EXIF orientation 6 (rotate 90° clockwise), both byte orders, as the unrotated decode rotated", () => {
    // 24×16, asymmetric: a red 8×8 block at the stored top-left, gradients elsewhere.
    const [W, H] = [24, 16];
    const stored = encodeJpeg(image(W, H, (x, y) => (x < 8 && y < 8 ? [230, 20, 20, 255] : [20 + x * 8, 20 + y * 12, 90, 255])), W, H, 100);
    const plain = decodeJpeg(stored);
    for (const littleEndian of [true, false]) {
      const rotatedFile = withExifOrientation(stored, 6, littleEndian);
      expect(readJpegHeader(rotatedFile).orientation).toBe(6);
      expect(readPictureHeader(rotatedFile)).toEqual({ format: "jpeg", width: H, height: W });
      const r = decodePicture(rotatedFile);
      expect([r.width, r.height]).toEqual([H, W]);
      let mismatches = 0;
      for (let y = 0; y < W; y++) {
        for (let x = 0; x < H; x++) {
          // Upright (x, y) is stored (y, H − 1 − x).
          const s = ((H - 1 - x) * W + y) * 4;
          const o = (y * H + x) * 4;
          for (let c = 0; c < 4; c++) if (r.rgba[o + c] !== plain.rgba[s + c]) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
      // Independently of that formula: turned clockwise, the stored top-left red block is at the top right.
      const topRight = (2 * H - 1) * 4; // (H − 1, 1)
      expect(r.rgba[topRight]).toBeGreaterThan(200);
      expect(r.rgba[topRight + 1]).toBeLessThan(60);
      expect(r.rgba[4]).toBeLessThan(120); // (1, 0): not red
    }
  });

  it("orients RGBA for all 8 EXIF orientations", () => {
    // Stored 3×2:  a b c / d e f, pixel k's red channel = k.
    const stored = image(3, 2, (x, y) => [y * 3 + x, 0, 0, 255]);
    const [a, b, c, d, e, g] = [0, 1, 2, 3, 4, 5];
    const expected: Record<number, [number, number, number[]]> = {
      1: [3, 2, [a, b, c, d, e, g]],
      2: [3, 2, [c, b, a, g, e, d]],
      3: [3, 2, [g, e, d, c, b, a]],
      4: [3, 2, [d, e, g, a, b, c]],
      5: [2, 3, [a, d, b, e, c, g]],
      6: [2, 3, [d, a, e, b, g, c]],
      7: [2, 3, [g, c, e, b, d, a]],
      8: [2, 3, [c, g, b, e, a, d]],
    };
    for (const [o, [w, h, reds]] of Object.entries(expected)) {
      const r = orientRgba(stored, 3, 2, Number(o));
      expect({ o, w: r.width, h: r.height, reds: Array.from(r.rgba.filter((_, i) => i % 4 === 0)) }).toEqual({ o, w, h, reds });
    }
  });
});

describe("modelInput", () => {
  it("maps a solid colour of any size to that colour, down- or upscaled", () => {
    for (const [w, h, res] of [[37, 23, 16], [300, 200, 64], [20, 20, 64], [64, 64, 64]] as const) {
      const out = modelInput(image(w, h, () => [10, 200, 77, 255]), w, h, res, BG);
      expect([out.width, out.height, out.data.length]).toEqual([res, res, res * res * 3]);
      expect(maxDeviation(out.data, [f(10), f(200), f(77)])).toBeLessThan(5e-7);
    }
  });

  it("uses only the centre square of a 2:1 (and odd-sized, and tall) picture: the side strips never leak", () => {
    const RED = [255, 0, 0, 255];
    const BLUE = [0, 0, 255, 255];
    const GREEN = [0, 200, 0, 255];
    // 33×16: side 16, offset floor(17 / 2) = 8; columns 0–7 red, 8–23 green, 24–32 blue.
    for (const [w, h] of [[32, 16], [33, 16]] as const) {
      const rgba = image(w, h, (x) => (x < 8 ? RED : x >= 24 ? BLUE : GREEN));
      for (const res of [8, 16, 40]) {
        const out = modelInput(rgba, w, h, res, BG);
        expect(maxDeviation(out.data, [f(0), f(200), f(0)])).toBeLessThan(5e-7);
      }
    }
    const tall = image(16, 35, (_, y) => (y < 9 ? RED : y >= 25 ? BLUE : GREEN));
    const out = modelInput(tall, 16, 35, 4, BG);
    expect(maxDeviation(out.data, [f(0), f(200), f(0)])).toBeLessThan(5e-7);
  });

  it("averages areas exactly: a 2× downscale is the mean of each 2×2 block", () => {
    const rgba = noise(8 * 8 * 4, 3).map((v, i) => (i % 4 === 3 ? 255 : v));
    const out = modelInput(rgba, 8, 8, 4, BG);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const want = [0, 1, 2].map((c) => {
          const at = (sx: number, sy: number) => rgba[(sy * 8 + sx) * 4 + c]!;
          return f((at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4);
        });
        close(px(out, x, y), want);
      }
    }
  });

  it("weights fractional edges: 3 → 2 pixels covers [0, 1.5) and [1.5, 3)", () => {
    // Columns 0, 30, 60 (every row): out 0 = (0·1 + 30·0.5) / 1.5 = 10, out 1 = (30·0.5 + 60·1) / 1.5 = 50.
    const out = modelInput(image(3, 3, (x) => [x * 30, 0, 255, 255]), 3, 3, 2, BG);
    for (const y of [0, 1]) {
      close(px(out, 0, y), [f(10), f(0), f(255)]);
      close(px(out, 1, y), [f(50), f(0), f(255)]);
    }
  });

  it("composites straight alpha onto the background before resampling", () => {
    const rgba = image(16, 16, (x, y) => (x === 3 && y === 5 ? [255, 0, 0, 0] : x === 7 && y === 2 ? [200, 100, 0, 128] : [50, 60, 70, 255]));
    const out = modelInput(rgba, 16, 16, 16, BG);
    close(px(out, 3, 5), BG.map(f));
    const a = 128 / 255;
    close(px(out, 7, 2), [200, 100, 0].map((v, c) => f(v * a + BG[c]! * (1 - a))));
    close(px(out, 0, 0), [f(50), f(60), f(70)]);
    // Downscaled, a transparent pixel contributes the background, not its (red) colour: 2×2 → 1.
    const quad = image(2, 2, (x, y) => (x === 0 && y === 0 ? [255, 0, 0, 0] : [0, 0, 0, 255]));
    close(px(modelInput(quad, 2, 2, 1, BG), 0, 0), BG.map((v) => f(v / 4)));
  });

  it("upscales 8×8 → 64×64 bilinearly, pixel centres aligned, a constant image staying constant", () => {
    const flat = modelInput(image(8, 8, () => [33, 66, 99, 255]), 8, 8, 64, BG);
    for (let i = 0; i < flat.data.length; i += 3) expect([flat.data[i], flat.data[i + 1], flat.data[i + 2]]).toEqual([f(33), f(66), f(99)].map(Math.fround));
    // A horizontal ramp, column c = 16·c. Output x = 10: u = 10.5 / 8 − 0.5 = 0.8125 → 0·0.1875 + 16·0.8125 = 13.
    // x = 0: u = −0.4375, clamped to 0 → 0. x = 63: u = 7.4375, clamped to 7 → 112. x = 36: u = 4.0625 → 64 + 1 = 65.
    const ramp = modelInput(image(8, 8, (x) => [16 * x, 0, 0, 255]), 8, 8, 64, BG);
    for (const y of [0, 31, 63]) {
      expect(px(ramp, 10, y)[0]).toBeCloseTo(f(13), 6);
      expect(px(ramp, 0, y)[0]).toBeCloseTo(f(0), 6);
      expect(px(ramp, 63, y)[0]).toBeCloseTo(f(112), 6);
      expect(px(ramp, 36, y)[0]).toBeCloseTo(f(65), 6);
    }
  });

  it("refuses inputs that do not match their size", () => {
    expect(() => modelInput(new Uint8Array(15), 2, 2, 4, BG)).toThrow(/expected 16 bytes/);
    expect(() => modelInput(new Uint8Array(16), 2, 2, 0, BG)).toThrow(/resolution/);
    expect(() => modelInput(new Uint8Array(4 * 5000 * 4), 5000, 4, 4, BG)).toThrow(/larger than the limit/);
  });
});

describe("picture", () => {
  it("prepares a 40×30 PNG with a transparent left half: centre square, background composited, resized", () => {
    // The middle 30×30 (file columns 5–34): crop columns 0–15 transparent, 16–29 red. At 16 px, output
    // column i covers crop [i·1.875, (i + 1)·1.875): columns 0–7 all background, 8 straddles, 9–15 red.
    const rgba = image(40, 30, (x) => (x < 21 ? [0, 0, 0, 0] : [200, 40, 40, 255]));
    const p = picture(encodePng(rgba, 40, 30), 16, BG);
    expect([p.format, p.width, p.height, p.image.width, p.image.height]).toEqual(["png", 40, 30, 16, 16]);
    for (const y of [0, 8, 15]) {
      close(px(p.image, 0, y), BG.map(f));
      close(px(p.image, 7, y), BG.map(f));
      close(px(p.image, 9, y), [f(200), f(40), f(40)]);
      // Column 8 covers crop [15, 16.875): 1 px background (x = 20 in the file), 0.875 px red.
      close(px(p.image, 8, y), [200, 40, 40].map((v, c) => f((BG[c]! * 1 + v * 0.875) / 1.875)));
    }
  });

  it("prepares an upright JPEG: EXIF orientation 8 swaps the sides", () => {
    const jpg = withExifOrientation(encodeJpeg(image(32, 20, () => [90, 90, 90, 255]), 32, 20), 8, false);
    const p = picture(jpg, 8, BG);
    expect([p.format, p.width, p.height]).toEqual(["jpeg", 20, 32]);
    for (const v of p.image.data) expect(Math.abs(v - f(90))).toBeLessThan(3 / 127.5);
  });
});

/** Output pixel (x, y) as 3 floats. */
function px(img: { width: number; data: Float32Array }, x: number, y: number): number[] {
  return Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
}

/** The largest |value − rgb[channel]| over HWC RGB data. */
function maxDeviation(data: Float32Array, rgb: readonly number[]): number {
  let worst = 0;
  for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i]! - rgb[i % 3]!));
  return worst;
}

/** Each value within 5e-7 of the wanted one (float32 of values in [−1, 1]). */
function close(got: number[], want: number[]) {
  expect(got).toHaveLength(want.length);
  for (const [i, v] of got.entries()) expect(v).toBeCloseTo(want[i]!, 6);
}
