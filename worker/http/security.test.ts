import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testEnv } from "../testing.ts";
import { securityHeaderLines } from "./security.ts";

describe("static assets", () => {
  it("get the worker's security headers (dist/client/_headers, derived from the middleware)", async () => {
    const expected = Object.fromEntries((await securityHeaderLines()).map((l) => l.trim().split(": ") as [string, string]));
    expect(expected["x-content-type-options"]).toBe("nosniff");
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    const api = await SELF.fetch("http://api.test/healthz");
    await api.arrayBuffer();
    // SELF does not route to assets in the test pool; the ASSETS binding serves them with _headers
    // applied. The attack run (scripts/attack/) checks the same headers on wrangler dev's asset path.
    const asset = await testEnv.ASSETS.fetch("http://api.test/linkgan-client.js");
    expect(asset.status, "dist/client is empty: run npm run build:client (npm test does)").toBe(200);
    expect(asset.headers.get("Content-Type")).toMatch(/javascript/);
    await asset.arrayBuffer();
    for (const [name, value] of Object.entries(expected)) {
      expect(api.headers.get(name), name).toBe(value);
      expect(asset.headers.get(name), name).toBe(value);
    }
    expect(asset.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("the client's files are also at a versioned URL that caches immutably; the unversioned names revalidate", async () => {
    const { version } = await import("../../package.json");
    for (const f of ["linkgan-client.js", "linkgan-editor.js", "tfjs-backend-wasm-simd.wasm"]) {
      const pinned = await testEnv.ASSETS.fetch(`http://api.test/v${version}/${f}`);
      expect(pinned.status, f).toBe(200);
      // One Cache-Control each: two matching _headers rules would join their values.
      expect(pinned.headers.get("Cache-Control"), f).toBe("public, max-age=31536000, immutable");
      expect(pinned.headers.get("Access-Control-Allow-Origin")).toBe("*");
      const latest = await testEnv.ASSETS.fetch(`http://api.test/${f}`);
      expect(latest.headers.get("Cache-Control"), f).toBe("public, max-age=300, must-revalidate");
      expect(await sha256(pinned), f).toBe(await sha256(latest));
    }
  });
});

async function sha256(res: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", await res.arrayBuffer())), (b) => b.toString(16).padStart(2, "0")).join("");
}
