// Runs in Node (the validator compiles JSON Schemas with `new Function`, which workerd forbids).
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { DOCS_INIT_SCRIPT } from "./http/security.ts";

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const res = await createApp().request("http://api.test/v1/openapi.json");
    expect(res.status).toBe(200);
    const result = await new Validator().validate((await res.json()) as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("declares every route the app serves, and no route it does not serve", async () => {
    const app = createApp();
    const doc = (await (await app.request("http://api.test/v1/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`)));
    // What Hono routes (middleware is method ALL), in OpenAPI's path syntax.
    const served = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`));
    // Pages for people, and the document itself.
    const pages = ["GET /", "GET /docs", "GET /v1/openapi.json"];
    expect([...served].filter((r) => !documented.has(r) && !pages.includes(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
    for (const r of ["POST /hooks/retrain", "POST /agent/claim", "PUT /agent/jobs/{id}/files/{name}", "POST /admin/models/{model}/activate", "GET /healthz", "GET /v1/models/{model}/generate"]) expect(documented, r).toContain(r);
  });

  it("gives the retraining routes their security schemes and error bodies", async () => {
    type Op = { security?: Record<string, string[]>[]; responses: Record<string, { content?: { "application/json"?: { schema: { $ref?: string } } } }>; parameters?: { name: string; in: string; required?: boolean }[] };
    const doc = (await (await createApp().request("http://api.test/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, Op>>;
      components: { securitySchemes: Record<string, { type: string; scheme?: string; in?: string; name?: string }> };
    };
    expect(doc.components.securitySchemes).toMatchObject({
      webhookSignature: { type: "apiKey", in: "header", name: "LinkGAN-Signature" },
      agentToken: { type: "http", scheme: "bearer" },
      adminToken: { type: "http", scheme: "bearer" },
    });
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${p}`, op] as const));
    const scheme = (route: string) => (route.includes(" /hooks/") ? "webhookSignature" : route.includes(" /agent/") ? "agentToken" : route.includes(" /admin/") ? "adminToken" : undefined);
    const retraining = ops.filter(([r]) => scheme(r));
    expect(retraining).toHaveLength(11);
    for (const [route, op] of retraining) {
      expect(op.security, route).toEqual([{ [scheme(route)!]: [] }]);
      expect(op.responses["401"]?.content?.["application/json"]?.schema.$ref, route).toBe("#/components/schemas/Error");
    }
    const hook = doc.paths["/hooks/retrain"]!.post!;
    expect(hook.parameters).toContainEqual(expect.objectContaining({ name: "LinkGAN-Delivery", in: "header", required: true }));
    expect(Object.keys(hook.responses).sort()).toEqual(["202", "400", "401", "413"]);
  });

  it("states the per-request work bound, the decimal-only query numbers and the path parameter schemas", async () => {
    const doc = (await (await createApp().request("http://api.test/v1/openapi.json")).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; schema: { pattern?: string; description?: string }; description?: string }[] }>>;
    };
    const params = doc.paths["/v1/models/{model}/interpolate"]!.get!.parameters!;
    const byName = (n: string) => params.find((p) => p.name === n)!;
    for (const n of ["scale", "frames"]) {
      const text = JSON.stringify(byName(n));
      expect(text, n).toContain("frames × (resolution × scale)² ≤ 262144 output pixels");
      expect(text, n).toContain("frames × resolution² ≤ 65536 rendered pixels");
      expect(byName(n).schema.pattern, n).toBe("^-?[0-9]{1,16}$");
    }
    expect(byName("truncation").schema.pattern).toBe("^-?[0-9]{1,16}(\\.[0-9]{1,16})?$");
    expect(byName("model").schema.pattern).toBe("^[a-z0-9][a-z0-9_-]{0,63}$");
    const shard = doc.paths["/v1/models/{model}/versions/{version}/{shard}"]!.get!.parameters!;
    expect(shard.find((p) => p.name === "version")!.schema.pattern).toBe("^v[0-9a-f]{16}$");
  });

  it("has an interactive reference page that loads only this origin's assets", async () => {
    const res = await createApp().request("http://api.test/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(urls.sort()).toEqual(["/docs-assets/docs-init.js", "/docs-assets/favicon-32x32.png", "/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"]);
    expect(html).not.toMatch(/<script>|<style|style=/);
    expect(DOCS_INIT_SCRIPT).toContain('url: "/v1/openapi.json"');
  });
});
