import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { craftPng, deflateBombPng, lyingHeaderPng } from "../../shared/png/craft.ts";
import { encodePng } from "../../shared/png/png.ts";
import { MODEL, MODEL_128, seedModel128, seedTinyModel, testEnv } from "../testing.ts";

const api = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test/v1/models/${MODEL}${path}`, init);
const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: res.status, code: body.error.code }, body.error.message).toEqual({ status, code });
  expect(body.error.message.length).toBeGreaterThan(5);
  if (field) expect(body.error.field).toBe(field);
}

beforeAll(async () => {
  await seedTinyModel(1);
});

describe("bad input gets a 4xx naming what is wrong", () => {
  it("malformed JSON", async () => {
    await expectError(await postJson("/generate", "{seed: 7"), 400, "malformed_body");
  });
  it("unknown model, region, mask, version", async () => {
    await expectError(await SELF.fetch("http://api.test/v1/models/nope/generate?seed=1"), 404, "unknown_model", "model");
    await expectError(await api("/resample?seed=1&regions=nose&resampleSeed=2"), 404, "unknown_region", "regions");
    await expectError(await api(`/resample?seed=1&mask=m${"0".repeat(24)}&resampleSeed=2`), 404, "unknown_mask", "mask");
    await expectError(await api(`/generate?seed=1&version=v${"0".repeat(16)}`), 404, "unknown_version", "version");
  });
  it("NaN, Infinity and wrong-length latents", async () => {
    const nan = new Float32Array(32).fill(Number.NaN);
    const b64 = btoa(String.fromCharCode(...new Uint8Array(nan.buffer)));
    await expectError(await api(`/generate?z=${encodeURIComponent(b64)}`), 400, "invalid_request", "z");
    await expectError(await postJson("/generate", `{"z":[${Array(32).fill("1e999").join(",")}]}`), 400, "invalid_request", "z[0]");
    await expectError(await postJson("/generate", JSON.stringify({ w: [1, 2, 3] })), 400, "invalid_request", "w");
    await expectError(await postJson("/generate", JSON.stringify({ seed: 1, z: [1] })), 400, "invalid_request", "seed");
  });
  it("out-of-range truncation, scale, seed; missing resample seed; alpha in replace mode", async () => {
    await expectError(await api("/generate?seed=1&truncation=3"), 400, "invalid_request", "truncation");
    await expectError(await api("/generate?seed=1&truncation=abc"), 400, "invalid_request", "truncation");
    await expectError(await api("/generate?seed=1&scale=100"), 400, "invalid_request", "scale");
    await expectError(await api("/generate?seed=-1"), 400, "invalid_request", "seed");
    await expectError(await api("/resample?seed=1&regions=mouth"), 400, "invalid_request", "resampleSeed");
    await expectError(await api("/resample?seed=1&regions=mouth&resampleSeed=2&alpha=2"), 400, "invalid_request", "alpha");
    await expectError(await api("/resample?seed=1&regions=mouth,mouth&resampleSeed=2"), 400, "invalid_request", "regions");
  });
  it("empty masks, masks covering no region, non-masks", async () => {
    const up = (body: string | Uint8Array, type: string) => api("/masks", { method: "POST", headers: { "Content-Type": type }, body: body as BodyInit });
    await expectError(await up(encodePng(new Uint8Array(16 * 16), 16, 16, 1), "image/png"), 422, "empty_mask");
    const corner = new Uint8Array(16 * 16);
    corner[0] = 255;
    const id = ((await (await up(encodePng(corner, 16, 16, 1), "image/png")).json()) as { id: string }).id;
    await expectError(await api(`/resample?seed=1&mask=${id}&resampleSeed=2`), 422, "mask_covers_no_region", "mask");
    await expectError(await up("not a png", "image/png"), 400, "invalid_mask");
    await expectError(await up(JSON.stringify({ width: 2, height: 2, counts: [1, 2] }), "application/json"), 400, "invalid_request", "counts");
    await expectError(await up("x", "text/plain"), 415, "unsupported_media_type");
  });
  it("oversized bodies, declared or chunked", async () => {
    await expectError(await postJson("/generate", JSON.stringify({ z: Array(80_000).fill(0.5) })), 413, "body_too_large", "body");
    // No Content-Length: the body arrives as a stream (chunked on the wire) and is counted as it comes.
    const chunked = (bytes: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < bytes; sent += 16384) controller.enqueue(new Uint8Array(16384).fill(32));
          controller.close();
        },
      });
    const res = await api("/generate", { method: "POST", headers: { "Content-Type": "application/json" }, body: chunked(300 * 1024), duplex: "half" } as RequestInit);
    await expectError(res, 413, "body_too_large", "body");
    const masks = await api("/masks", { method: "POST", headers: { "Content-Type": "image/png" }, body: chunked(1200 * 1024), duplex: "half" } as RequestInit);
    await expectError(masks, 413, "body_too_large", "body");
  });
  it("numbers in a query are decimal digits only", async () => {
    for (const v of ["0x10", "1e1", "0b101", "+7", " 7", "7 ", "Infinity", "NaN", "1.", ".5", "1_000"]) {
      await expectError(await api(`/generate?seed=${encodeURIComponent(v)}`), 400, "invalid_request", "seed");
    }
    await expectError(await api("/generate?seed=1&truncation=1e-1"), 400, "invalid_request", "truncation");
    await expectError(await api("/generate?seed=1&scale=0x2"), 400, "invalid_request", "scale");
    await expectError(await api("/generate?seed=1&noise=0x3"), 400, "invalid_request", "noise");
    await expectError(await api("/resample?seed=1&regions=mouth&resampleSeed=%207"), 400, "invalid_request", "resampleSeed");
    const ok = await api("/generate?seed=7&truncation=0.7&noise=007");
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });
  it("long or malformed path parameters are a 400 naming them (no R2 or KV key is ever built from them)", async () => {
    const long = "a".repeat(986);
    const v = `v${"0".repeat(16)}`;
    await expectError(await SELF.fetch(`http://api.test/v1/models/${long}/versions/${v}/manifest.json`), 400, "invalid_request", "model");
    await expectError(await SELF.fetch(`http://api.test/v1/models/${long}/versions/${v}/group1-shard1of1.bin`), 400, "invalid_request", "model");
    await expectError(await SELF.fetch(`http://api.test/v1/models/${long}/generate?seed=1`), 400, "invalid_request", "model");
    await expectError(await SELF.fetch(`http://api.test/v1/models/${long}`), 400, "invalid_request", "model");
    await expectError(await api(`/versions/${v}/${"b".repeat(300)}.bin`), 400, "invalid_request", "shard");
    await expectError(await api("/versions/..%2F..%2Fmasks/manifest.json"), 400, "invalid_request", "version");
    await expectError(await api(`/regions/${"r".repeat(40)}/mask.png`), 400, "invalid_request", "region");
    await expectError(await api("/masks/..%2Fm.png"), 400, "invalid_request", "file");
  });
  it("work per request is bounded: frames × (resolution × scale)² and frames × resolution², named in the error", async () => {
    // The 16 px model: 16 frames at 8× are 16 × (16 × 8)² = 262144 output pixels, exactly the limit.
    const atLimit = await api("/interpolate?seed=1&regions=mouth&resampleSeed=2&frames=16&scale=8");
    expect(atLimit.status).toBe(200);
    await atLimit.arrayBuffer();
    await seedModel128();
    const big = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test/v1/models/${MODEL_128}${path}`, init);
    const ok = await big("/generate?seed=1&scale=4"); // (128 × 4)² = 262144
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    const overScale = await big("/generate?seed=1&scale=8");
    await expectError(overScale, 400, "over_work_limit", "scale");
    const overFrames = await big("/interpolate?seed=1&regions=mouth&resampleSeed=2&frames=5");
    expect(overFrames.status).toBe(400);
    const e = ((await overFrames.json()) as { error: { code: string; message: string; field: string } }).error;
    expect(e).toEqual({ code: "over_work_limit", field: "frames", message: expect.stringMatching(/5 × 128² = 81920 rendered pixels is over the limit of 65536/) });
    const post = await big("/interpolate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ seed: 1, regions: ["mouth"], resampleSeed: 2, frames: 2, scale: 8 }) });
    await expectError(post, 400, "over_work_limit", "scale");
    await expectError(await big("/regions/mouth/mask.png?scale=8"), 400, "over_work_limit", "scale");
  });
  it("unknown routes", async () => {
    await expectError(await SELF.fetch("http://api.test/v2/anything"), 404, "not_found");
  });
});

describe("images are checked before they are decoded", () => {
  const upload = (png: Uint8Array) => api("/masks", { method: "POST", headers: { "Content-Type": "image/png" }, body: png as BodyInit });
  const stored = async () => (await testEnv.WEIGHTS.list({ prefix: "masks/" })).objects.length;

  it("refuses the 70-byte 2147483647×1 bomb, a 10000×10000 header, a deflate bomb and a corrupt file at once, storing nothing", async () => {
    const before = await stored();
    await expectError(await upload(lyingHeaderPng(2147483647, 1)), 400, "image_too_large", "body");
    await expectError(await upload(lyingHeaderPng(10000, 10000)), 400, "image_too_large", "body");
    await expectError(await upload(lyingHeaderPng(4096, 4096, 16, 6)), 400, "image_too_large", "body");
    await expectError(await upload(deflateBombPng(16, 16, 64 << 20)), 400, "invalid_mask", "body");
    const good = craftPng({ width: 16, height: 16, depth: 8, colorType: 0, samples: Array.from({ length: 256 }, (_, i) => (i < 128 ? 255 : 0)) });
    const badCrc = good.slice();
    badCrc[good.length - 13]! ^= 1; // the last IDAT's CRC
    await expectError(await upload(badCrc), 400, "invalid_mask", "body");
    await expectError(await upload(good.subarray(0, good.length - 3)), 400, "invalid_mask", "body"); // cut off inside IEND
    expect(await stored()).toBe(before);
    // The API still answers at once afterwards.
    expect((await SELF.fetch("http://api.test/healthz")).status).toBe(200);
  });

  it("accepts 1-, 2- and 4-bit gray masks, which are the same mask as their 8-bit form", async () => {
    const ids = new Set<string>();
    for (const depth of [1, 2, 4, 8] as const) {
      const on = 2 ** depth - 1;
      const samples = Array.from({ length: 64 * 64 }, (_, i) => (Math.floor(i / 64) >= 40 ? on : 0)); // the bottom rows: the mouth
      const res = await upload(craftPng({ width: 64, height: 64, depth, colorType: 0, samples }));
      expect(res.status, await res.clone().text()).toBe(201);
      const info = (await res.json()) as { id: string; url: string };
      expect(res.headers.get("Location")).toBe(info.url);
      expect(info.url).toBe(`/v1/models/${MODEL}/masks/${info.id}.png`); // relative: no Host header echoed
      ids.add(info.id);
    }
    expect(ids.size).toBe(1);
  });
});

describe("fuzz: no request body yields a 500", () => {
  const value = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.array(fc.double(), { maxLength: 40 }));
  const key = fc.constantFrom("seed", "z", "w", "truncation", "noise", "version", "scale", "regions", "mask", "resampleSeed", "mode", "alpha", "composite", "frames", "extra");
  const body = fc.oneof(fc.dictionary(key, value, { maxKeys: 6 }), fc.jsonValue({ maxDepth: 2 }));
  it("POST /generate, /resample and /interpolate answer JSON 4xx or a PNG", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/generate", "/resample", "/interpolate"), body, async (path, b) => {
        const res = await postJson(path, JSON.stringify(b));
        expect(res.status).toBeLessThan(500);
        const type = res.headers.get("Content-Type") ?? "";
        if (res.status === 200) expect(type).toBe("image/png");
        else expect(type).toMatch(/application\/json/);
        await res.arrayBuffer();
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a client exceeds its budget", async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const r = await api("/generate?seed=1", { headers: { "CF-Connecting-IP": "203.0.113.9" } });
      if (r.status === 429) limited = r;
      else await r.arrayBuffer();
    }
    expect(limited, "no 429 within 60 requests (the test budget is 25 per minute)").toBeDefined();
    expect(limited!.headers.get("Retry-After")).toBe("60");
    await expectError(limited!, 429, "rate_limited");
    // Another client is unaffected.
    expect((await api("/generate?seed=1", { headers: { "CF-Connecting-IP": "203.0.113.10" } })).status).toBe(200);
  });
});

describe("headers", () => {
  it("secure headers everywhere, CORS on the public API", async () => {
    const res = await api("/generate?seed=1", { headers: { Origin: "https://app.example" } });
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-LinkGAN-Cache");
  });
});
