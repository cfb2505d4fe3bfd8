import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Generator } from "../../shared/generator/generator.ts";
import { decodePng } from "../../shared/png/png.ts";
import { rasterizeMask } from "../../shared/regions/mask.ts";
import { fetchSource, loadModel } from "../../shared/weights/loader.ts";
import { TINY, TINY_REGIONS } from "../../test/fixtures/tiny.ts";
import { MODEL, SEMANTIC_MODEL, seedTinyModel, seedTinySemanticModel } from "../testing.ts";

const get = (path: string, init?: RequestInit) => SELF.fetch(`http://api.test${path}`, init);

let version: string;
beforeAll(async () => {
  version = await seedTinyModel(1);
});

describe("models", () => {
  it("lists models with their active version, resolution and linked regions", async () => {
    const res = await get("/v1/models");
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: { name: string; version: string; resolution: number; regions: { name: string; axes: unknown; maskUrl: string }[] }[] };
    const tiny = models.find((m) => m.name === MODEL)!;
    expect(tiny.version).toBe(version);
    expect(tiny.resolution).toBe(TINY.resolution);
    expect(tiny.regions.map((r) => [r.name, r.axes])).toEqual(TINY_REGIONS.map((r) => [r.name, r.axes]));
  });

  it("gives URLs relative to the API's origin, whatever Host the request names (the list is publicly cacheable)", async () => {
    const a = await (await get("/v1/models")).text();
    const b = await (await SELF.fetch("http://evil.example/v1/models", { headers: { Host: "evil.example", "X-Forwarded-Host": "evil.example" } })).text();
    expect(b).toBe(a);
    expect(a).not.toMatch(/api\.test|evil\.example/);
    const tiny = (JSON.parse(a) as { models: { name: string; weightsUrl: string; regions: { maskUrl: string }[] }[] }).models.find((m) => m.name === MODEL)!;
    expect(tiny.weightsUrl).toBe(`/v1/models/${MODEL}/versions/${version}/`);
    expect(tiny.regions[0]!.maskUrl).toBe(`/v1/models/${MODEL}/regions/left-eye/mask.png?version=${version}`);
    // The OpenAPI document names no host either.
    expect(((await (await SELF.fetch("http://evil.example/v1/openapi.json")).json()) as { servers: { url: string }[] }).servers).toEqual([{ url: "/" }]);
  });

  it("describes one model with its stored versions and card", async () => {
    const res = await get(`/v1/models/${MODEL}`);
    const m = (await res.json()) as { activeVersion: string; versions: string[]; card: { title: string } };
    expect(m.activeVersion).toBe(version);
    expect(m.versions).toContain(version);
    expect(m.card.title).toMatch(/fixture/);
    expect((await get("/v1/models/nope")).status).toBe(404);
  });

  it("serves each fixed region's mask preview: opaque exactly where the region is", async () => {
    const res = await get(`/v1/models/${MODEL}/regions/mouth/mask.png`);
    expect(res.status).toBe(200);
    const img = decodePng(new Uint8Array(await res.arrayBuffer()));
    const mouth = rasterizeMask(TINY_REGIONS[2]!.mask, TINY.resolution);
    expect(Array.from({ length: img.width * img.height }, (_, i) => (img.rgba[i * 4 + 3] ? 1 : 0))).toEqual(Array.from(mouth.data));
    const missing = await get(`/v1/models/${MODEL}/regions/nose/mask.png`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("unknown_region");
  });

  it("gives a semantic region's mask as a URL template of the image's code: the URL as given answers 400 naming it, the expanded one a mask", async () => {
    await seedTinySemanticModel();
    const { models } = (await (await get("/v1/models")).json()) as { models: { name: string; version: string; regions: { name: string; kind: string; maskUrl: string; maskUrlTemplate?: string }[] }[] };
    const m = models.find((x) => x.name === SEMANTIC_MODEL)!;
    const blob = m.regions.find((r) => r.kind === "semantic")!;
    expect(blob.maskUrlTemplate).toBe(`${blob.maskUrl}{&seed,z,w,truncation,noise}`);
    expect(m.regions.filter((r) => r.kind !== "semantic").every((r) => r.maskUrlTemplate === undefined)).toBe(true);
    const bare = await get(blob.maskUrl);
    expect(bare.status).toBe(400);
    expect(((await bare.json()) as { error: { message: string } }).error.message).toMatch(/maskUrlTemplate/);
    // RFC 6570 form continuation: each defined variable becomes &name=value, undefined ones vanish.
    const code: Record<string, string> = { seed: "7", truncation: "0.7" };
    const expanded = blob.maskUrlTemplate!.replace(/\{&([^}]+)\}/, (_, names: string) => names.split(",").filter((n) => n in code).map((n) => `&${n}=${code[n]}`).join(""));
    expect(expanded).toBe(`${blob.maskUrl}&seed=7&truncation=0.7`);
    const res = await get(expanded);
    expect(res.status).toBe(200);
    expect(decodePng(new Uint8Array(await res.arrayBuffer())).width).toBe(TINY.resolution);
  });

  it("serves weights immutably with ETags and CORS, and the shared loader verifies them end to end", async () => {
    const base = `http://api.test/v1/models/${MODEL}/versions/${version}/`;
    const manifest = await get(`${new URL(base).pathname}manifest.json`, { headers: { Origin: "https://app.example" } });
    expect(manifest.headers.get("Cache-Control")).toContain("immutable");
    expect(manifest.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const { shards } = (await manifest.json()) as { shards: { path: string; sha256: string }[] };
    const shard = await get(`${new URL(base).pathname}${shards[0]!.path}`);
    expect(shard.headers.get("ETag")).toBe(`"${shards[0]!.sha256}"`);
    await shard.arrayBuffer();
    const again = await get(`${new URL(base).pathname}${shards[0]!.path}`, { headers: { "If-None-Match": `"${shards[0]!.sha256}"` } });
    expect(again.status).toBe(304);

    const loaded = await loadModel(fetchSource(base, (input, init) => SELF.fetch(input as string, init)));
    expect(loaded.manifest.version).toBe(version);
    Generator.fromValues(loaded.manifest.generator, loaded.values).dispose();
    expect((await get(`${new URL(base).pathname}nope.bin`)).status).toBe(404);
  });
});
