// The client's spelling of requests against the API's own code (params.ts, masks/canonical.ts).
import { describe, expect, it } from "vitest";
import { latentFromSeed } from "../../shared/random/prng.ts";
import { rasterFromRle } from "../masks/canonical.ts";
import { InterpolateQuery as ApiInterpolateQuery, decodeLatent, encodeLatent, fromQuery } from "../render/params.ts";
import { InterpolateParams, LinkGanError, latentFromParam, latentToParam, maskToRle, normalize, parseOr } from "./api.ts";

describe("client request parameters", () => {
  it("spells latents exactly as the API decodes them, both ways", () => {
    const z = latentFromSeed(3, 256);
    expect(latentToParam(z)).toBe(encodeLatent(z));
    expect(decodeLatent(latentToParam(z), "z")).toEqual(z);
    expect(latentFromParam(encodeLatent(z))).toEqual(z);
  });

  it("run-length masks round-trip through the API's decoder", () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (i % 7 < 3 || i === 0 ? 1 : 0));
    expect(rasterFromRle(maskToRle({ size: 8, data })).data).toEqual(data);
    expect(maskToRle({ size: 2, data: Uint8Array.of(1, 1, 0, 0) }).counts).toEqual([0, 2, 2]);
  });

  it("normalizes like the API: defaults, sorted regions, one code, and the API's refusals", () => {
    const req = normalize(parseOr(InterpolateParams, { seed: 7, regions: ["mouth", "left-eye"], resampleSeed: 3 }, "t"), true);
    const api = fromQuery(ApiInterpolateQuery.parse({ seed: "7", regions: "mouth,left-eye", resampleSeed: "3" }), true);
    expect(req.edit).toEqual({ ...api.edit, mask: undefined });
    expect([req.noise, req.truncation, req.frames]).toEqual([api.noise, api.truncation, api.frames]);
    expect(() => normalize(parseOr(InterpolateParams, { seed: 1, w: [1, 2], resampleSeed: 1 }, "t"), true)).toThrow(/only one of seed, z, w/);
    expect(() => normalize(parseOr(InterpolateParams, { w: [1, 2], truncation: 0.5, resampleSeed: 1 }, "t"), true)).toThrow(/truncation applies to seed or z/);
    expect(() => normalize(parseOr(InterpolateParams, { seed: 1, resampleSeed: 1, alpha: 2 }, "t"), true)).toThrow(/alpha applies to mode=perturb/);
    expect(() => parseOr(InterpolateParams, { seed: -1, resampleSeed: 1 }, "resample")).toThrow(LinkGanError);
    expect(() => parseOr(InterpolateParams, { seed: 1, resampleSeed: 1, z: [Number.NaN] }, "resample")).toThrow(/z/);
  });
});
