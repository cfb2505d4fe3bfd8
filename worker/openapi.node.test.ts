// Runs in Node (the validator compiles JSON Schemas with `new Function`, which workerd forbids).
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";

describe("OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document describing every route", async () => {
    const app = createApp();
    const res = await app.request("http://api.test/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
    const ops = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    expect(ops.sort()).toEqual(
      [
        "GET /v1/models",
        "GET /v1/models/{model}",
        "GET /v1/models/{model}/regions/{region}/mask.png",
        "GET /v1/models/{model}/versions/{version}/manifest.json",
        "GET /v1/models/{model}/versions/{version}/{shard}",
        "POST /v1/models/{model}/masks",
        "GET /v1/models/{model}/masks/{file}",
        "GET /v1/models/{model}/latent",
        ...["generate", "resample", "interpolate"].flatMap((k) => [`GET /v1/models/{model}/${k}`, `POST /v1/models/{model}/${k}`]),
      ].sort(),
    );
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

  it("has an interactive reference page", async () => {
    const res = await createApp().request("http://api.test/docs");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("/v1/openapi.json");
  });
});
