import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLIENT_FILES, CLIENT_INDEX, type ClientIndex, pinnedFolder } from "./client-files.ts";
import { testEnv } from "../testing.ts";
import { securityHeaderLines } from "./security.ts";

const REVALIDATE = "public, max-age=300, must-revalidate";

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

  it("the client's files are also in a folder named by their bytes, the only one cached immutably; the other names revalidate", async () => {
    const { version } = await import("../../package.json");
    const index = await testEnv.ASSETS.fetch(`http://api.test/${CLIENT_INDEX}`);
    expect(index.status, "dist/client is not built: run npm run build:client (npm test does)").toBe(200);
    expect(index.headers.get("Cache-Control")).toBe(REVALIDATE);
    const { path, version: indexed } = (await index.json()) as ClientIndex;
    expect(indexed).toBe(version);
    const served: { name: string; bytes: Uint8Array }[] = [];
    for (const f of CLIENT_FILES) {
      const pinned = await testEnv.ASSETS.fetch(`http://api.test${path}${f}`);
      expect(pinned.status, f).toBe(200);
      // One Cache-Control each: two matching _headers rules would join their values.
      expect(pinned.headers.get("Cache-Control"), f).toBe("public, max-age=31536000, immutable");
      expect(pinned.headers.get("Access-Control-Allow-Origin")).toBe("*");
      const bytes = new Uint8Array(await pinned.arrayBuffer());
      served.push({ name: f, bytes });
      // The stable aliases: the latest deploy, and the newest build of this version.
      for (const alias of [`/${f}`, `/v${version}/${f}`]) {
        const res = await testEnv.ASSETS.fetch(`http://api.test${alias}`);
        expect(res.status, alias).toBe(200);
        expect(res.headers.get("Cache-Control"), alias).toBe(REVALIDATE);
        expect(await sha256(res), alias).toBe(await sha256(new Response(bytes)));
      }
    }
    // The folder's name is the one derived from the bytes it serves, so it can never serve others.
    expect(path).toBe(`/${await pinnedFolder(version, served)}/`);
  });
});

async function sha256(res: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", await res.arrayBuffer())), (b) => b.toString(16).padStart(2, "0")).join("");
}
