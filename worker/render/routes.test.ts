import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { latentFromSeed } from "../../shared/random/prng.ts";
import { decodePng, encodePng } from "../../shared/png/png.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { TINY, TINY_REGIONS } from "../../test/fixtures/tiny.ts";
import { CACHE_HEADER, clearMemoryTier } from "../cache/tiers.ts";
import { unloadModels } from "../models/registry.ts";
import { MODEL, activate, seedTinyModel } from "../testing.ts";
import { featherFor, featherWeights } from "../../shared/render/composite.ts";
import { latentToParam } from "../../shared/latent-param.ts";

const api = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test/v1/models/${MODEL}${path}`, init);
const post = (path: string, body: unknown) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const pixels = async (res: Response) => {
  if (res.status !== 200) expect.fail(`HTTP ${res.status}: ${await res.text()}`);
  expect(res.headers.get("Content-Type")).toBe("image/png");
  return decodePng(new Uint8Array(await res.arrayBuffer()));
};

let v1: string;
beforeAll(async () => {
  v1 = await seedTinyModel(1);
});

describe("generate", () => {
  it("renders a seed at the model's resolution, scaled on request", async () => {
    const img = await pixels(await api("/generate?seed=7&truncation=0.7&scale=3"));
    expect([img.width, img.height]).toEqual([TINY.resolution * 3, TINY.resolution * 3]);
    const one = await pixels(await api("/generate?seed=7&truncation=0.7"));
    expect(img.rgba.subarray(0, 4)).toEqual(one.rgba.subarray(0, 4));
  });

  it("misses once, then hits the memory tier; after an isolate restart the edge tier answers", async () => {
    const first = await api("/generate?seed=101");
    expect(first.headers.get(CACHE_HEADER)).toBe("miss");
    const a = new Uint8Array(await first.arrayBuffer());
    const second = await api("/generate?seed=101");
    expect(second.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(a);
    clearMemoryTier();
    let tier = "";
    for (let i = 0; i < 20 && tier !== "hit; tier=edge"; i++) {
      const r = await api("/generate?seed=101");
      tier = r.headers.get(CACHE_HEADER) ?? "";
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(a);
      if (tier !== "hit; tier=edge") clearMemoryTier(); // the edge put runs in waitUntil
    }
    expect(tier).toBe("hit; tier=edge");
  });

  it("a seed and its z written out (GET base64url or POST array) share one entry; the seed's w is keyed apart, same bytes", async () => {
    const first = await api("/generate?seed=202&truncation=0.5");
    expect(first.headers.get(CACHE_HEADER)).toBe("miss");
    const bytes = new Uint8Array(await first.arrayBuffer());
    const z = latentFromSeed(202, TINY.zDim);
    const viaGet = await api(`/generate?z=${latentToParam(z)}&noise=202&truncation=0.5`);
    expect(viaGet.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(viaGet.headers.get("ETag")).toBe(first.headers.get("ETag"));
    const viaPost = await post("/generate", { z: Array.from(z), noise: 202, truncation: 0.5 });
    expect(viaPost.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    // Keys come from the request, never from a mapping: the seed's w is another spelling, another entry.
    const { w } = (await (await api("/latent?seed=202&truncation=0.5")).json()) as { w: string };
    const viaW = await api(`/generate?w=${w}&noise=202`);
    expect(viaW.headers.get(CACHE_HEADER)).toBe("miss");
    expect(viaW.headers.get("ETag")).not.toBe(first.headers.get("ETag"));
    expect(new Uint8Array(await viaW.arrayBuffer())).toEqual(bytes);
  });

  it("answers 304 to a matching If-None-Match; pinned versions are immutable, unpinned revalidate", async () => {
    const r = await api("/generate?seed=7");
    expect(r.headers.get("Cache-Control")).toContain("must-revalidate");
    expect(r.headers.get("X-Model-Version")).toBe(v1);
    const again = await api("/generate?seed=7", { headers: { "If-None-Match": r.headers.get("ETag")! } });
    expect(again.status).toBe(304);
    const pinned = await api(`/generate?seed=7&version=${v1}`);
    expect(pinned.headers.get("Cache-Control")).toContain("immutable");
  });
});

describe("resample", () => {
  it("changes the named regions and leaves every pixel outside the feathered mask equal to the base", async () => {
    const base = await pixels(await api("/generate?seed=7"));
    const edit = await pixels(await api("/resample?seed=7&regions=mouth,left-eye&resampleSeed=3"));
    const res = TINY.resolution;
    const m0 = rasterizeMask(TINY_REGIONS[0]!.mask, res);
    const m2 = rasterizeMask(TINY_REGIONS[2]!.mask, res);
    const alpha = featherWeights({ size: res, data: m0.data.map((v, i) => v | m2.data[i]!) }, featherFor(res));
    let inside = 0;
    for (let i = 0; i < res * res; i++) {
      const same = [0, 1, 2].every((c) => edit.rgba[i * 4 + c] === base.rgba[i * 4 + c]);
      if (alpha[i] === 0) expect(same, `pixel ${i} outside the mask changed`).toBe(true);
      else if (!same) inside++;
    }
    expect(inside).toBeGreaterThan(10); // the edit did something inside
  });

  it("regions named in any order, GET or POST, share one entry", async () => {
    const a = await api("/resample?seed=8&regions=mouth,right-eye&resampleSeed=4");
    expect(a.headers.get(CACHE_HEADER)).toBe("miss");
    const b = await api("/resample?seed=8&regions=right-eye,mouth&resampleSeed=4");
    expect(b.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    const c = await post("/resample", { seed: 8, regions: ["right-eye", "mouth"], resampleSeed: 4 });
    expect(c.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
  });

  it("perturb mode and composite=false give different images than replace", async () => {
    const replace = await pixels(await api("/resample?seed=9&regions=mouth&resampleSeed=5"));
    const perturb = await pixels(await api("/resample?seed=9&regions=mouth&resampleSeed=5&mode=perturb&alpha=2"));
    const raw = await pixels(await api("/resample?seed=9&regions=mouth&resampleSeed=5&composite=false"));
    expect(perturb.rgba).not.toEqual(replace.rgba);
    expect(raw.rgba).not.toEqual(replace.rgba);
  });

  it("by an uploaded mask: equal masks (PNG at another size, or run-length) get one id and one entry", async () => {
    const res = TINY.resolution;
    // The mouth box, drawn at 2× as a PNG, and written as run-length at 1×.
    const mouth = rasterizeMask(TINY_REGIONS[2]!.mask, res);
    const big = new Uint8Array(res * 2 * res * 2);
    for (let y = 0; y < res * 2; y++) for (let x = 0; x < res * 2; x++) big[y * res * 2 + x] = mouth.data[(y >> 1) * res + (x >> 1)]! * 255;
    const up1 = await SELF.fetch(`http://api.test/v1/models/${MODEL}/masks`, { method: "POST", headers: { "Content-Type": "image/png" }, body: encodePng(big, res * 2, res * 2, 1) });
    expect(up1.status).toBe(201);
    const counts: number[] = [];
    let run = 0;
    let cur = 0;
    for (const v of mouth.data) {
      if (v !== cur) {
        counts.push(run);
        run = 0;
        cur = v;
      }
      run++;
    }
    counts.push(run);
    const up2 = await SELF.fetch(`http://api.test/v1/models/${MODEL}/masks`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ width: res, height: res, counts }) });
    const [i1, i2] = [(await up1.json()) as { id: string; area: number }, (await up2.json()) as { id: string }];
    expect(i1.id).toBe(i2.id);
    expect(i1.area).toBe(mouth.data.reduce((a, b) => a + b, 0));

    const stored = await pixels(await SELF.fetch(`http://api.test/v1/models/${MODEL}/masks/${i1.id}.png`));
    expect(stored.gray.map((g) => (g ? 1 : 0))).toEqual(mouth.data);

    const byMask = await api(`/resample?seed=10&mask=${i1.id}&resampleSeed=6`);
    expect(byMask.headers.get(CACHE_HEADER)).toBe("miss");
    const byMaskAgain = await api(`/resample?seed=10&mask=${i2.id}&resampleSeed=6`);
    expect(byMaskAgain.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    // The mask covers the mouth region, so its axes are resampled, and the picture matches naming it.
    const byName = await pixels(await api("/resample?seed=10&regions=mouth&resampleSeed=6"));
    expect((await pixels(byMaskAgain)).rgba).toEqual(byName.rgba);
  });

  it("interpolates from the base to the edit as a strip of frames", async () => {
    const strip = await pixels(await api("/interpolate?seed=7&regions=mouth&resampleSeed=3&frames=4"));
    const res = TINY.resolution;
    expect([strip.width, strip.height]).toEqual([res * 4, res]);
    const base = await pixels(await api("/generate?seed=7"));
    const edit = await pixels(await api("/resample?seed=7&regions=mouth&resampleSeed=3"));
    const frame = (k: number) => {
      const out = new Uint8Array(res * res * 4);
      for (let y = 0; y < res; y++) out.set(strip.rgba.subarray((y * res * 4 + k * res) * 4, (y * res * 4 + (k + 1) * res) * 4), y * res * 4);
      return out;
    };
    expect(frame(0)).toEqual(base.rgba);
    expect(frame(3)).toEqual(edit.rgba);
  });
});

describe("latent", () => {
  it("returns the w a seed maps to; rendering that w with the seed's noise gives the seed's image", async () => {
    const res = await api("/latent?seed=7&truncation=0.7");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { w: string; noise: number; version: string };
    expect(body.noise).toBe(7);
    expect(body.version).toBe(v1);
    const byW = await pixels(await api(`/generate?w=${body.w}&noise=7`));
    const bySeed = await pixels(await api("/generate?seed=7&truncation=0.7"));
    expect(byW.rgba).toEqual(bySeed.rgba);
    expect((await api("/latent?seed=7&truncation=0.7&w=AAAA")).status).toBe(400);
  });
});

describe("hits need no model", () => {
  const loaded = async () => ((await (await SELF.fetch("http://api.test/healthz")).json()) as { liveModels: string[] }).liveModels;
  /** Request `path` until the edge tier answers (its put runs in waitUntil), each time from empty isolate memory. */
  const fromEdge = async (path: string, init?: RequestInit) => {
    for (let i = 0; i < 20; i++) {
      clearMemoryTier();
      unloadModels();
      const r = await api(path, init);
      if (r.headers.get(CACHE_HEADER) === "hit; tier=edge") return r;
      await r.arrayBuffer();
    }
    return expect.fail(`${path}: the edge tier never answered`);
  };

  it("a pinned seed hit, from memory or the edge, loads no model and returns the miss's bytes", async () => {
    const path = `/generate?seed=404&truncation=0.7&scale=2&version=${v1}`;
    const miss = await api(path);
    expect(miss.headers.get(CACHE_HEADER)).toBe("miss");
    const bytes = new Uint8Array(await miss.arrayBuffer());
    expect(await loaded()).toContain(`${MODEL}@${v1}`);

    unloadModels();
    expect(await loaded()).toEqual([]);
    const memory = await api(path);
    expect(memory.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(new Uint8Array(await memory.arrayBuffer())).toEqual(bytes);
    expect(await loaded()).toEqual([]);

    const edge = await fromEdge(path);
    expect(new Uint8Array(await edge.arrayBuffer())).toEqual(bytes);
    expect(edge.headers.get("ETag")).toBe(miss.headers.get("ETag"));
    expect(edge.headers.get("Cache-Control")).toContain("immutable");
    expect(await loaded()).toEqual([]);

    unloadModels();
    const notModified = await api(path, { headers: { "If-None-Match": miss.headers.get("ETag")! } });
    expect(notModified.status).toBe(304);
    expect(await loaded()).toEqual([]);
  });

  it("an unpinned resample hit and a POST hit load no model; a miss still validates the request", async () => {
    const path = "/resample?seed=405&regions=mouth&resampleSeed=2";
    const miss = await api(path);
    expect(miss.headers.get(CACHE_HEADER)).toBe("miss");
    const bytes = new Uint8Array(await miss.arrayBuffer());
    unloadModels();
    const hit = await post("/resample", { seed: 405, regions: ["mouth"], resampleSeed: 2 });
    expect(hit.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(hit.headers.get("X-Model-Version")).toBe(v1);
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(bytes);
    expect(await loaded()).toEqual([]);
    // Nothing is cached for a request that cannot render: these still answer their errors.
    expect((await api("/resample?seed=405&regions=nose&resampleSeed=2")).status).toBe(404);
    expect((await api(`/generate?seed=405&version=v${"0".repeat(16)}`)).status).toBe(404);
    expect((await api(`/generate?z=${latentToParam(new Float32Array(3))}`)).status).toBe(400);
  });
});

describe("versions", () => {
  it("switching the active version changes every key and the image; nothing stale is served", async () => {
    const before = await api("/generate?seed=303");
    const pixelsBefore = new Uint8Array(await before.arrayBuffer());
    const v2 = await seedTinyModel(2, false);
    await activate(v2);
    try {
      const after = await api("/generate?seed=303");
      expect(after.headers.get("X-Model-Version")).toBe(v2);
      expect(after.headers.get(CACHE_HEADER)).toBe("miss");
      expect(after.headers.get("ETag")).not.toBe(before.headers.get("ETag"));
      expect(new Uint8Array(await after.arrayBuffer())).not.toEqual(pixelsBefore);
      // The old version stays addressable by pinning it.
      const pinnedOld = await api(`/generate?seed=303&version=${v1}`);
      expect(new Uint8Array(await pinnedOld.arrayBuffer())).toEqual(pixelsBefore);
    } finally {
      await activate(v1);
    }
  });
});
