import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { decodePng, encodePng } from "../../shared/png/png.ts";
import { type BinaryMask, maskArea, rasterizeMask } from "../../shared/regions/mask.ts";
import { latentFromSeed } from "../../shared/random/prng.ts";
import golden from "../../test/fixtures/tiny-semantic-golden.json";
import { TINY, TINY_SEGMENTER, TINY_SEMANTIC_REGIONS } from "../../test/fixtures/tiny.ts";
import { CACHE_HEADER } from "../cache/tiers.ts";
import { SEMANTIC_MODEL, seedTinySemanticModel } from "../testing.ts";
import { featherFor, featherWeights, regionsCoveredBy, unionMasks } from "../../shared/render/composite.ts";
import { latentToParam } from "../../shared/latent-param.ts";

// Semantic regions through the API (#7), on the tiny semantic fixture: "blob" is masked per image by
// the fixture's random segmenter. Node computed the golden labels (npm run fixtures); workerd must
// serve the same masks.

const res = TINY.resolution;
const api = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test/v1/models/${SEMANTIC_MODEL}${path}`, init);
const png = async (r: Response) => {
  if (r.status !== 200) expect.fail(`HTTP ${r.status}: ${await r.text()}`);
  return decodePng(new Uint8Array(await r.arrayBuffer()));
};
const alphaMask = (img: ReturnType<typeof decodePng>): BinaryMask => ({ size: img.width, data: Uint8Array.from({ length: img.width * img.height }, (_, i) => (img.rgba[i * 4 + 3]! ? 1 : 0)) });
const BLOB = golden.classes.indexOf("blob");
/** Node's mask of "blob" for a golden seed (truncation 1, noise = seed). */
const goldenBlob = (seed: number): BinaryMask => ({ size: res, data: Uint8Array.from(golden.labels[golden.seeds.indexOf(seed)]!, (v) => (v === BLOB ? 1 : 0)) });

let version: string;
beforeAll(async () => {
  version = await seedTinySemanticModel();
});

describe("semantic regions in the API", () => {
  it("the listing says which regions are semantic (their class) and that the model has a segmenter", async () => {
    const { models } = (await (await SELF.fetch("http://api.test/v1/models")).json()) as {
      models: { name: string; version: string; segmenter?: { classes: string[]; resolution: number }; regions: { name: string; kind: string; class?: string; maskUrl: string }[] }[];
    };
    const m = models.find((x) => x.name === SEMANTIC_MODEL)!;
    expect(m.version).toBe(version);
    expect(m.segmenter).toEqual({ resolution: TINY_SEGMENTER.resolution, classes: TINY_SEGMENTER.classes });
    expect(m.regions.map((r) => [r.name, r.kind, r.class])).toEqual(TINY_SEMANTIC_REGIONS.map((r) => [r.name, r.mask.kind, r.mask.kind === "semantic" ? r.mask.class : undefined]));
    expect(m.regions.find((r) => r.name === "blob")!.maskUrl).toMatch(/\/regions\/blob\/mask\.png\?version=v/);
    const detail = (await (await api("")).json()) as { segmenter?: unknown };
    expect(detail.segmenter).toEqual(m.segmenter);
  });

  it("mask.png of a semantic region is that image's segmenter mask: equal to Node's for each seed, different per seed, cached by the code", async () => {
    const [m7, m8] = [alphaMask(await png(await api("/regions/blob/mask.png?seed=7"))), alphaMask(await png(await api("/regions/blob/mask.png?seed=8")))];
    expect(m7.data).toEqual(goldenBlob(7).data);
    expect(m8.data).toEqual(goldenBlob(8).data);
    expect(m7.data).not.toEqual(m8.data);
    expect(maskArea(m7)).toBeGreaterThan(0);

    // The same image spelled as its z (GET) shares the cache entry; scale upsamples.
    const again = await api(`/regions/blob/mask.png?z=${latentToParam(latentFromSeed(7, TINY.zDim))}&noise=7`);
    expect(again.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(again.headers.get("X-Model-Version")).toBe(version);
    const big = await png(await api("/regions/blob/mask.png?seed=7&scale=2"));
    expect([big.width, big.height]).toEqual([res * 2, res * 2]);
    const pinned = await api(`/regions/blob/mask.png?seed=7&version=${version}`);
    expect(pinned.headers.get("Cache-Control")).toContain("immutable");
    expect((await api("/regions/blob/mask.png?seed=7", { headers: { "If-None-Match": again.headers.get("ETag")! } })).status).toBe(304);
  });

  it("without a base code a semantic mask is a 400 naming the field; fixed regions need none", async () => {
    const r = await api("/regions/blob/mask.png");
    expect(r.status).toBe(400);
    const { error } = (await r.json()) as { error: { code: string; field: string; message: string } };
    expect(error).toMatchObject({ code: "missing_base_code", field: "seed" });
    expect(error.message).toMatch(/semantic.*seed, z or w/);
    const mouth = alphaMask(await png(await api("/regions/mouth/mask.png")));
    expect(mouth.data).toEqual(rasterizeMask(TINY_SEMANTIC_REGIONS[2]!.mask, res).data);
  });

  it("resampling the semantic region leaves every pixel outside that image's feathered mask equal to the base, alone or with a fixed region", async () => {
    for (const [seed, regions] of [
      [7, ["blob"]],
      [8, ["blob"]],
      [8, ["blob", "mouth"]],
    ] as const) {
      const base = await png(await api(`/generate?seed=${seed}`));
      const edit = await png(await api(`/resample?seed=${seed}&regions=${regions.join(",")}&resampleSeed=3`));
      const masks = regions.map((n) => (n === "blob" ? goldenBlob(seed) : rasterizeMask(TINY_SEMANTIC_REGIONS.find((r) => r.name === n)!.mask, res)));
      const mask = unionMasks(res, masks);
      const alpha = featherWeights(mask, featherFor(res));
      let outside = 0;
      let changedInside = 0;
      for (let i = 0; i < res * res; i++) {
        const same = [0, 1, 2, 3].every((c) => edit.rgba[i * 4 + c] === base.rgba[i * 4 + c]);
        if (alpha[i] === 0) {
          outside++;
          expect(same, `seed ${seed} ${regions}: pixel ${i} outside the feathered mask changed`).toBe(true);
        } else if (mask.data[i] && !same) changedInside++;
      }
      expect(outside, "the test checks some pixels").toBeGreaterThan(0);
      expect(changedInside, `seed ${seed} ${regions}: the edit changed pixels inside the mask`).toBeGreaterThan(0);
    }
  });

  it("an uploaded mask selects the semantic region it covers in that image (as naming the covered regions does) and shows the edit inside itself", async () => {
    const blob7 = goldenBlob(7);
    const up = await SELF.fetch(`http://api.test/v1/models/${SEMANTIC_MODEL}/masks`, { method: "POST", headers: { "Content-Type": "image/png" }, body: encodePng(blob7.data.map((v) => v * 255), res, res, 1) });
    expect(up.status).toBe(201);
    const { id } = (await up.json()) as { id: string };
    const candidates = TINY_SEMANTIC_REGIONS.map((r) => ({ name: r.name, mask: r.mask.kind === "semantic" ? blob7 : rasterizeMask(r.mask, res) }));
    const covered = regionsCoveredBy(candidates, blob7).map((c) => c.name);
    expect(covered).toContain("blob");
    // The same axes are resampled (the raw renders agree), and the edit shows inside the uploaded mask only.
    const rawByMask = await png(await api(`/resample?seed=7&mask=${id}&resampleSeed=5&composite=false`));
    const rawByName = await png(await api(`/resample?seed=7&regions=${covered.join(",")}&resampleSeed=5&composite=false`));
    expect(rawByMask.rgba).toEqual(rawByName.rgba);
    const base = await png(await api("/generate?seed=7"));
    const edit = await png(await api(`/resample?seed=7&mask=${id}&resampleSeed=5`));
    const alpha = featherWeights(blob7, featherFor(res));
    for (let i = 0; i < res * res; i++) if (alpha[i] === 0) expect(edit.rgba.subarray(i * 4, i * 4 + 4), `pixel ${i}`).toEqual(base.rgba.subarray(i * 4, i * 4 + 4));
    expect(edit.rgba).not.toEqual(base.rgba);
  });
});
