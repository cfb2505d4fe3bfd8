import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { packModel } from "../../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../../test/fixtures/tiny.ts";
import { putModel } from "../models/store.ts";
import { MODEL, SEMANTIC_MODEL, seedTinyModel, seedTinySemanticModel, testEnv } from "../testing.ts";

beforeAll(async () => {
  await seedTinyModel(1);
});

describe("demo page", () => {
  it("embeds the editor with the default model, falling back to the first stored one", async () => {
    const res = await SELF.fetch("http://api.test/");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    // The widget and the embed snippet come from the build's immutable folder (dist/client/client.json).
    const index = await testEnv.ASSETS.fetch("http://api.test/client.json");
    expect(index.status, "dist/client is not built: run npm run build:client (npm test does)").toBe(200);
    const { path } = (await index.json()) as { path: string };
    expect(path).toMatch(/^\/v\d+\.\d+\.\d+-[0-9a-f]{8}\/$/);
    expect(html).toContain(`<script type="module" src="${path}linkgan-editor.js"></script>`);
    expect(html).toContain(`&lt;script type="module" src="<span class="origin"></span>${path}linkgan-editor.js"&gt;`);
    // DEFAULT_MODEL (faces64) is not stored here, so the page uses the first stored model.
    expect(html).toContain(`<linkgan-editor model="${MODEL}" seed="7"></linkgan-editor>`);
  });

  it("passes valid model, mode and seed query parameters to the element and ignores invalid ones", async () => {
    const html = await (await SELF.fetch("http://api.test/?mode=remote&seed=9")).text();
    expect(html).toContain(`<linkgan-editor model="${MODEL}" mode="remote" seed="9"></linkgan-editor>`);
    const bad = await (await SELF.fetch('http://api.test/?mode=<script>&seed=x"')).text();
    expect(bad).toContain(`<linkgan-editor model="${MODEL}" seed="7"></linkgan-editor>`);
    expect(bad).not.toContain("<script>&");
  });

  it("has a Content-Security-Policy allowing this origin's assets only, its inline script and style by the response's nonce", async () => {
    const res = await SELF.fetch("http://evil.example/?mode=remote", { headers: { Host: "evil.example" } });
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toMatch(/default-src 'none'/);
    // 'wasm-unsafe-eval' lets the widget compile tfjs's WebAssembly backend; plain eval stays refused.
    expect(csp).toMatch(new RegExp(`script-src 'self' 'nonce-${nonce!.replace(/[+/=]/g, "\\$&")}' 'wasm-unsafe-eval'(;|$)`));
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/https?:|unsafe-inline|'unsafe-eval'|\*/);
    const html = await res.text();
    expect(html).toContain(`<script type="module" nonce="${nonce}">`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toContain("evil.example"); // the embed snippet's origin comes from location, not the Host header
    const again = (await SELF.fetch("http://api.test/")).headers.get("Content-Security-Policy");
    expect(again).not.toBe(csp); // a fresh nonce per response
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("/docs allows this origin only: Swagger UI is served from the worker's assets", async () => {
    const res = await SELF.fetch("http://api.test/docs");
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(csp).toMatch(/(^|; )style-src 'self'(;|$)/);
    expect(csp).not.toMatch(/https?:|nonce|unsafe/);
    const html = await res.text();
    expect(html).toContain('<script src="/docs-assets/swagger-ui-bundle.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("links every other stored model, and lists the random-weight test fixtures apart, not as models", async () => {
    await seedTinySemanticModel();
    // A model whose card is not a test fixture's (the same tiny weights, under another name and card).
    const packed = await packModel({ name: "cartoons", generator: TINY, regions: TINY_REGIONS, card: { ...TINY_CARD, title: "cartoons: a trained model" }, provenance: { trainer: "worker/demo/routes.test.ts" }, values: tinyValues(1), dtype: "int8" });
    await putModel(testEnv, packed, { activate: true });
    const html = await (await SELF.fetch(`http://api.test/?model=${MODEL}`)).text();
    expect(html).toContain('<p>Other models: <a href="/?model=cartoons">cartoons</a>.</p>');
    expect(html).toContain(`<p class="fixtures">Test fixtures (random weights: they render noise, for the tests): <a href="/?model=${SEMANTIC_MODEL}">${SEMANTIC_MODEL}</a>.</p>`);
    expect(html.indexOf("Other models")).toBeGreaterThan(html.indexOf("<linkgan-editor")); // Tab reaches the editor first
    const other = await (await SELF.fetch(`http://api.test/?model=${SEMANTIC_MODEL}`)).text();
    expect(other).toContain(`<linkgan-editor model="${SEMANTIC_MODEL}" seed="7"></linkgan-editor>`);
    expect(other).toContain(`Test fixtures (random weights: they render noise, for the tests): <a href="/?model=${MODEL}">${MODEL}</a>`);
    // With no query and DEFAULT_MODEL not stored, the page shows the real model, not a fixture.
    expect(await (await SELF.fetch("http://api.test/")).text()).toContain('<linkgan-editor model="cartoons" seed="7"></linkgan-editor>');
  });

  it("shows no raw event log: the widget's status line says what happened", async () => {
    const html = await (await SELF.fetch("http://api.test/")).text();
    expect(html).not.toMatch(/JSON\.stringify|id="log"/);
  });
});
