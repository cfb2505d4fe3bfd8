import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { encodePng } from "../../shared/png/png.ts";
import { MODEL, seedTinyModel } from "../testing.ts";

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
  it("oversized bodies", async () => {
    await expectError(await postJson("/generate", JSON.stringify({ z: Array(80_000).fill(0.5) })), 413, "body_too_large");
  });
  it("unknown routes", async () => {
    await expectError(await SELF.fetch("http://api.test/v2/anything"), 404, "not_found");
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
