import { SELF } from "cloudflare:test";
import jpeg from "jpeg-js";
import { beforeAll, describe, expect, it } from "vitest";
import { psnr } from "../../shared/inversion/quality.ts";
import { latentFromParam } from "../../shared/latent-param.ts";
import { chunk, ihdr, lyingHeaderPng, pngFromChunks } from "../../shared/png/craft.ts";
import { decodePng, encodePng } from "../../shared/png/png.ts";
import { fetchSource, loadEncoder } from "../../shared/weights/loader.ts";
import { TINY } from "../../test/fixtures/tiny.ts";
import { CACHE_HEADER } from "../cache/tiers.ts";
import { MODEL, MODEL_128, seedModel128, seedTinyEncoder, seedTinyModel, testEnv } from "../testing.ts";
import { DEFAULT_INVERT_STEPS, MAX_INVERT_STEPS, MAX_INVERT_UPLOAD_BYTES } from "../../shared/inversion/endpoint.ts";
import { DEFAULT_PRIOR_WEIGHT } from "../../shared/inversion/projector.ts";
import { asFourComponents, patchSof, progressiveGrayJpeg } from "../../shared/picture/craft.ts";
import { MAX_JPEG_SCANS } from "../../shared/picture/jpeg.ts";
import { QUERY_INTEGER } from "../../shared/validation.ts";

// The real local R2, KV and Cache API in workerd; the tiny fixture model with a random encoder:
// these check the endpoint's plumbing and its refusals, not how well a trained encoder inverts.

const invert = (body: Uint8Array | string, type = "image/png", query = "", model = MODEL) =>
  SELF.fetch(`http://api.test/v1/models/${model}/invert${query}`, { method: "POST", headers: { "Content-Type": type }, body });

interface Inversion {
  model: string;
  version: string;
  encoder: { name: string; version: string };
  w: string;
  noise: string;
  steps: number;
  prior: number;
  psnr: number;
  ssim: number;
  encoderOnly: { psnr: number; ssim: number };
  source: { format: string; width: number; height: number; sha256: string };
  reconstruction: string;
}

const ok = async (res: Response): Promise<Inversion> => {
  if (res.status !== 200) expect.fail(`HTTP ${res.status}: ${await res.text()}`);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return res.json();
};

const refused = async (res: Response, status: number, code: string, message?: RegExp) => {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  if (message) expect(body.error.message).toMatch(message);
  return body.error;
};

/** A real JPEG (jpeg-js's encoder) of a w×h gradient. */
const jpegOf = (w: number, h: number) => {
  const data = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set([(p % w) * 5, ((p / w) | 0) * 7, 128, 255], p * 4);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 90).data);
};

let version: string;
let encoderVersion: string;
let face: Uint8Array; // the fixture's render of seed 7, as PNG
let target: Float32Array; // the same in [−1, 1], RGB

beforeAll(async () => {
  version = await seedTinyModel(1);
  encoderVersion = await seedTinyEncoder(MODEL, version);
  await seedModel128(); // a model with no encoder
  face = new Uint8Array(await (await SELF.fetch(`http://api.test/v1/models/${MODEL}/generate?seed=7&version=${version}`)).arrayBuffer());
  const { rgba } = decodePng(face);
  target = Float32Array.from({ length: TINY.resolution ** 2 * 3 }, (_, i) => rgba[((i / 3) | 0) * 4 + (i % 3)]! / 127.5 - 1);
});

describe("POST /v1/models/{model}/invert", () => {
  it("answers a code that every render endpoint takes, whose render is the reconstruction it measured", async () => {
    const r = await ok(await invert(face, "image/png", "?steps=0"));
    expect(r).toMatchObject({ model: MODEL, version, noise: "zeros", steps: 0, prior: 0, source: { format: "png", width: TINY.resolution, height: TINY.resolution } });
    expect(r.encoder.name).toBe(`${MODEL}-encoder`);
    expect(latentFromParam(r.w)).toHaveLength(TINY.wDim);
    expect(r.psnr).toBe(r.encoderOnly.psnr);
    const rec = await SELF.fetch(`http://api.test${r.reconstruction}`);
    expect(rec.status).toBe(200);
    const { rgba } = decodePng(new Uint8Array(await rec.arrayBuffer()));
    const rendered = Float32Array.from({ length: target.length }, (_, i) => rgba[((i / 3) | 0) * 4 + (i % 3)]! / 127.5 - 1);
    // The PNG is 8-bit: within a tenth of a dB of the float figure.
    expect(Math.abs(psnr(target, rendered) - r.psnr)).toBeLessThan(0.1);
    const edit = await SELF.fetch(`http://api.test/v1/models/${MODEL}/resample?w=${r.w}&noise=zeros&regions=mouth&resampleSeed=3`);
    expect(edit.status).toBe(200);
  });

  it("projector steps refine the encoder's code: a higher PSNR, the encoder's own figure kept beside it; by default, the most steps", async () => {
    const zero = await ok(await invert(face, "image/png", "?steps=0"));
    const refined = await ok(await invert(face));
    expect(refined.steps).toBe(DEFAULT_INVERT_STEPS);
    expect(DEFAULT_INVERT_STEPS).toBe(MAX_INVERT_STEPS);
    expect(refined.prior).toBe(DEFAULT_PRIOR_WEIGHT.w);
    expect(refined.encoderOnly.psnr).toBeCloseTo(zero.psnr, 4);
    expect(refined.psnr).toBeGreaterThan(zero.psnr + 1);
    expect(refined.w).not.toBe(zero.w);
  });

  it("is cached by the picture's bytes: the same upload is a hit, another step count or picture a miss", async () => {
    const bytes = encodePng(new Uint8Array(20 * 20 * 4).fill(200), 20, 20);
    const first = await invert(bytes);
    expect(first.headers.get(CACHE_HEADER)).toBe("miss");
    const again = await invert(bytes.slice(), "application/octet-stream");
    expect(again.headers.get(CACHE_HEADER)).toBe("hit; tier=memory");
    expect(await again.text()).toBe(await first.text());
    expect((await invert(bytes, "image/png", "?steps=1")).headers.get(CACHE_HEADER)).toBe("miss");
    const other = encodePng(new Uint8Array(20 * 20 * 4).fill(201), 20, 20);
    expect((await invert(other)).headers.get(CACHE_HEADER)).toBe("miss");
  });

  it("reads a JPEG of any size and aspect, reporting its upright size; a pinned version answers as immutable", async () => {
    const res = await invert(jpegOf(48, 32), "image/jpeg", `?version=${version}`);
    const r = await ok(res);
    expect(r.source).toMatchObject({ format: "jpeg", width: 48, height: 32 });
    expect(res.headers.get("Cache-Control")).toMatch(/immutable/);
  });

  describe("refuses, naming the problem, and stores nothing", () => {
    const png1x1 = encodePng(Uint8Array.of(1, 2, 3, 255), 1, 1);
    const apng = (() => {
      // A real PNG with an acTL chunk (2 frames) before its IDAT: an animated PNG.
      const still = encodePng(new Uint8Array(16 * 16 * 4), 16, 16);
      const idat = still.findIndex((v, i) => String.fromCharCode(v, still[i + 1]!, still[i + 2]!, still[i + 3]!) === "IDAT") - 4;
      const actl = chunk("acTL", Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 0));
      const out = new Uint8Array(still.length + actl.length);
      out.set(still.subarray(0, idat), 0);
      out.set(actl, idat);
      out.set(still.subarray(idat), idat + actl.length);
      return out;
    })();
    const cmyk = asFourComponents(jpegOf(32, 32));
    const bombJpeg = patchSof(jpegOf(32, 32), { width: 60000, height: 60000 });
    // A 1024×1024 progressive JPEG of 2,000 scans, 34 KB: each scan a decoder pass over 16,384 blocks.
    const manyScans = progressiveGrayJpeg(128, 128, () => 128, 2000);
    // Bodies are built when each test runs (the fixture's face exists only after beforeAll).
    const cases: [string, () => Uint8Array | string, string, number, string, RegExp][] = [
      ["text", () => "hello, I am not a picture", "image/png", 415, "not_an_image", /PNG or JPEG/],
      ["a truncated PNG", () => face.subarray(0, face.length >> 1), "image/png", 400, "corrupt_image", /cut off|truncated|corrupt/],
      ["a truncated JPEG", () => jpegOf(32, 32).subarray(0, 300), "image/jpeg", 400, "corrupt_image", /truncated|corrupt|cut off/],
      ["a PNG that claims 100000×100000 pixels", () => lyingHeaderPng(100000, 100000), "image/png", 400, "image_too_large", /100000×100000/],
      ["a JPEG that claims 60000×60000 pixels", () => bombJpeg, "image/jpeg", 400, "image_too_large", /60000×60000/],
      ["a 1×1 PNG", () => png1x1, "image/png", 422, "image_too_small", /1×1/],
      ["an animated PNG", () => apng, "image/png", 422, "animated_image", /animated/],
      ["a CMYK JPEG", () => cmyk, "image/jpeg", 415, "unsupported_image", /CMYK/],
      [`a JPEG of more than ${MAX_JPEG_SCANS} scans`, () => manyScans, "image/jpeg", 415, "unsupported_image", new RegExp(`more than ${MAX_JPEG_SCANS} scans`)],
      ["a PNG with a bad IHDR CRC", () => pngFromChunks([chunk("IHDR", ihdr(20, 20, 8, 2), 0), chunk("IEND")]), "image/png", 400, "corrupt_image", /CRC/],
    ];
    for (const [what, body, type, status, code, message] of cases) {
      it(`${what}: ${status} ${code}`, async () => {
        const before = (await testEnv.WEIGHTS.list()).objects.length;
        const e = await refused(await invert(body(), type), status, code, message);
        expect(e.field).toBe("body");
        expect((await testEnv.WEIGHTS.list()).objects.length).toBe(before);
      });
    }

    it("an empty body, a body over the limit, another Content-Type, too many steps", async () => {
      await refused(await invert(new Uint8Array(0)), 400, "empty_body");
      await refused(await invert(new Uint8Array(MAX_INVERT_UPLOAD_BYTES + 1)), 413, "body_too_large");
      await refused(await invert(face, "text/plain"), 415, "unsupported_media_type", /image\/png/);
      const e = await refused(await invert(face, "image/png", `?steps=${MAX_INVERT_STEPS + 1}`), 400, "invalid_request");
      expect(e.field).toBe("steps");
    });

    it("steps only as a decimal integer: 0x5, 1e1, 0b101, +7, %2B7, %207, 5.0 and Infinity are a 400 naming steps", async () => {
      // The shared query-number parser (shared/validation.ts): Number() would read each as a step count.
      for (const spelled of ["0x5", "1e1", "0b101", "+7", "%2B7", "%207", "5.0", "Infinity"]) {
        const e = await refused(await invert(face, "image/png", `?steps=${spelled}`), 400, "invalid_request", /steps: must be a decimal integer/);
        expect(e.field, spelled).toBe("steps");
      }
      expect((await ok(await invert(face, "image/png", "?steps=1"))).steps).toBe(1);
      expect((await ok(await invert(face, "image/png", "?steps="))).steps).toBe(DEFAULT_INVERT_STEPS);
      // The OpenAPI document says so: a string of decimal digits, not required.
      const doc = (await (await SELF.fetch("http://api.test/v1/openapi.json")).json()) as { paths: Record<string, { post: { parameters: { name: string; required?: boolean; schema: { type: string; pattern?: string } }[] } }> };
      const steps = doc.paths["/v1/models/{model}/invert"]!.post.parameters.find((p) => p.name === "steps")!;
      expect(steps).toMatchObject({ required: false, schema: { type: "string", pattern: QUERY_INTEGER.source } });
    });

    it("an unknown model or version; a model with no encoder", async () => {
      await refused(await invert(face, "image/png", "", "no-such-model"), 404, "unknown_model");
      await refused(await invert(face, "image/png", "?version=v0000000000000000"), 404, "unknown_version");
      await refused(await invert(face, "image/png", "", MODEL_128), 404, "no_encoder", /no encoder/);
    });
  });
});

describe("the encoder's weights, for inversion in the browser", () => {
  it("the model list names each version's encoder, whose folder the shared loader reads (every hash checked)", async () => {
    const list = (await (await SELF.fetch("http://api.test/v1/models")).json()) as { models: { name: string; encoder?: { name: string; version: string; weightsUrl: string } }[] };
    const tiny = list.models.find((m) => m.name === MODEL)!;
    expect(tiny.encoder).toEqual({ name: `${MODEL}-encoder`, version: encoderVersion, weightsUrl: `/v1/models/${MODEL}/versions/${version}/encoder/` });
    expect(list.models.find((m) => m.name === MODEL_128)!.encoder).toBeUndefined();
    const fetchFn = ((url: string) => SELF.fetch(url)) as typeof fetch;
    const { manifest } = await loadEncoder(fetchSource(`http://api.test${tiny.encoder!.weightsUrl}`, fetchFn));
    expect(manifest.version).toBe(encoderVersion);
    expect(manifest.inverts).toEqual({ name: MODEL, version });
  });

  it("is immutable (304 on its ETag), and a version without an encoder or a shard it lacks is a 404", async () => {
    const base = `http://api.test/v1/models/${MODEL}/versions/${version}/encoder/`;
    const m = await SELF.fetch(`${base}manifest.json`);
    expect(m.headers.get("Cache-Control")).toMatch(/immutable/);
    const shard = ((await m.json()) as { shards: { path: string; sha256: string }[] }).shards[0]!;
    const again = await SELF.fetch(`${base}${shard.path}`, { headers: { "If-None-Match": `"${shard.sha256}"` } });
    expect(again.status).toBe(304);
    await refused(await SELF.fetch(`${base}nope.bin`), 404, "unknown_shard");
    const v128 = ((await (await SELF.fetch(`http://api.test/v1/models/${MODEL_128}`)).json()) as { activeVersion: string }).activeVersion;
    await refused(await SELF.fetch(`http://api.test/v1/models/${MODEL_128}/versions/${v128}/encoder/manifest.json`), 404, "no_encoder");
  });
});
