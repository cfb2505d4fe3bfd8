import { describe, expect, it } from "vitest";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { RegionMask } from "../../shared/regions/schema.ts";
import { DatasetInfo } from "../../shared/weights/manifest.ts";
import { ADVENTURER_FIXED_REGIONS, DEFAULT_STYLE, DICEBEAR_STYLES, faceOptions, openDicebearDataset, type PartName, renderFace, renderFaces, styleLicense, styleParts } from "./dicebear.ts";

const S = 64;
const N = S * S;
const sample = (a: Uint8Array, i: number, len: number) => a.subarray(i * len, (i + 1) * len);
const count1 = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
function centroidX(m: Uint8Array): number {
  let sx = 0;
  let c = 0;
  for (let p = 0; p < m.length; p++) {
    if (m[p]) {
      sx += p % S;
      c++;
    }
  }
  return sx / c;
}

describe("dicebear dataset", () => {
  const batch = renderFaces({ count: 12, seed: 5 });

  it("has the documented shapes and parts", () => {
    expect(DEFAULT_STYLE).toBe("adventurer");
    expect(batch.images.length).toBe(12 * N * 3);
    expect(batch.parts).toEqual(styleParts());
    for (const part of ["background", "skin", "hair", "eyebrows", "eyes", "leftEye", "rightEye", "mouth"] as PartName[]) {
      expect(batch.parts).toContain(part);
      expect(batch.masks[part].length).toBe(12 * N);
    }
  });

  it("is deterministic and index-addressable", () => {
    const again = renderFaces({ count: 12, seed: 5 });
    expect(Buffer.from(again.images).equals(Buffer.from(batch.images))).toBe(true);
    for (const part of batch.parts) expect(Buffer.from(again.masks[part]).equals(Buffer.from(batch.masks[part]))).toBe(true);
    // Sample i is the same whatever the batching.
    const tail = renderFaces({ count: 3, seed: 5, offset: 9 });
    expect(Buffer.from(tail.images).equals(Buffer.from(batch.images.subarray(9 * N * 3)))).toBe(true);
    const one = renderFace({ index: 7, seed: 5 });
    expect(Buffer.from(one.image).equals(Buffer.from(sample(batch.images, 7, N * 3)))).toBe(true);
    expect(Buffer.from(one.masks.mouth!).equals(Buffer.from(sample(batch.masks.mouth, 7, N)))).toBe(true);
  });

  it("pins the option sampling (changing it changes every dataset)", () => {
    expect(faceOptions("adventurer", 0, 0)).toMatchInlineSnapshot(`
      {
        "backgroundColor": [
          "transparent",
        ],
        "earrings": [
          "variant02",
        ],
        "earringsProbability": 0,
        "eyebrows": [
          "variant06",
        ],
        "eyes": [
          "variant08",
        ],
        "features": [
          "freckles",
        ],
        "featuresProbability": 0,
        "glassesProbability": 0,
        "hair": [
          "short19",
        ],
        "hairColor": [
          "dba3be",
        ],
        "hairProbability": 100,
        "mouth": [
          "variant24",
        ],
        "seed": "linkgan",
        "skinColor": [
          "763900",
        ],
      }
    `);
  });

  it("gives distinct faces for distinct indices and seeds", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) seen.add(Buffer.from(sample(batch.images, i, N * 3)).toString("base64"));
    expect(seen.size).toBe(12);
    const other = renderFace({ index: 0, seed: 6 });
    expect(Buffer.from(other.image).equals(Buffer.from(sample(batch.images, 0, N * 3)))).toBe(false);
  });

  it("has binary, mostly non-empty, sensible masks", () => {
    for (const part of batch.parts) expect(batch.masks[part].every((v) => v === 0 || v === 1)).toBe(true);
    for (let i = 0; i < 12; i++) {
      const m = (p: PartName) => sample(batch.masks[p], i, N);
      for (const part of ["background", "skin", "eyes", "mouth"] as PartName[]) expect(count1(m(part)), `${part} of sample ${i}`).toBeGreaterThan(0);
      // leftEye and rightEye partition eyes, left of each other.
      let bad = 0;
      for (let p = 0; p < N; p++) if ((m("leftEye")[p]! & m("rightEye")[p]!) !== 0 || (m("leftEye")[p]! | m("rightEye")[p]!) !== m("eyes")[p]) bad++;
      expect(bad, `eye split of sample ${i}`).toBe(0);
      if (count1(m("leftEye")) && count1(m("rightEye"))) expect(centroidX(m("leftEye"))).toBeLessThan(centroidX(m("rightEye")));
      // Skin and background exclude each other and the parts.
      let overlap = 0;
      for (let p = 0; p < N; p++) if (m("skin")[p] && m("background")[p]! | m("eyes")[p]! | m("mouth")[p]! | m("hair")[p]!) overlap++;
      expect(overlap, `skin overlaps in sample ${i}`).toBe(0);
    }
    for (const part of ["hair", "eyebrows", "leftEye", "rightEye"] as PartName[]) {
      let nonEmpty = 0;
      for (let i = 0; i < 12; i++) if (count1(sample(batch.masks[part], i, N))) nonEmpty++;
      expect(nonEmpty, part).toBeGreaterThanOrEqual(9);
    }
    // Background is the composited solid colour.
    expect([...batch.images.subarray(0, 3)]).toEqual([0xd6, 0xdc, 0xe8]);
  });

  it("renders every supported style, with a licence for each", () => {
    for (const style of DICEBEAR_STYLES) {
      const lic = styleLicense(style);
      expect(DatasetInfo.parse(lic)).toEqual(lic);
      expect(lic.license).toMatch(/CC|Free/);
      expect(lic.attribution.length).toBeGreaterThan(10);
      expect(lic.url).toMatch(/^https:\/\//);
      const f = renderFace({ style, index: 1, size: 32 });
      expect(f.image.length).toBe(32 * 32 * 3);
      for (const part of styleParts(style)) expect(f.masks[part]!.length, `${style} ${part}`).toBe(32 * 32);
      expect(count1(f.masks.eyes!), style).toBeGreaterThan(0);
    }
    expect(styleLicense("adventurer")).toMatchObject({ license: "CC BY 4.0" });
  });

  it("has fixed eye/mouth regions that hold most of the masks", () => {
    for (const [part, r] of Object.entries(ADVENTURER_FIXED_REGIONS)) {
      for (const mask of [r.box, r.ellipse]) {
        const region = rasterizeMask(RegionMask.parse(mask), S).data;
        let inside = 0;
        let total = 0;
        const m = batch.masks[part as PartName];
        for (let k = 0; k < m.length; k++) {
          total += m[k]!;
          inside += m[k]! & region[k % N]!;
        }
        expect(inside / total, `${part} ${mask.kind}`).toBeGreaterThan(0.8);
      }
    }
  });

  it("opens as a training dataset", async () => {
    const ds = openDicebearDataset({ count: 20, seed: 5, resolution: S });
    expect(ds.size).toBe(20);
    const x = await ds.batch([7, 7]);
    expect(x.length).toBe(2 * N * 3);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
    expect(x[0]).toBeCloseTo(batch.images[7 * N * 3]! / 127.5 - 1, 6);
    expect(Buffer.from(ds.masks("leftEye", [7])).equals(Buffer.from(sample(batch.masks.leftEye, 7, N)))).toBe(true);
    await expect(ds.batch([20])).rejects.toThrow(/outside/);
    expect(() => ds.masks("nose", [0])).toThrow(/no masks/);
  });
});
