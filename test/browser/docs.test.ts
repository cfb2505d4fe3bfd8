/**
 * The interactive API reference at /docs in chromium against `wrangler dev`: Swagger UI comes from
 * the worker's own assets (no other origin is reachable under the page's policy, and none is
 * asked for), renders every operation of /v1/openapi.json, retraining routes included, with their
 * security schemes, and the browser blocks nothing and reports no error.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchOnce } from "../../scripts/lib/wrangler-dev.ts";
import { type Harness, cspViolations, recordCspViolations, startHarness } from "./harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 240_000);

afterAll(async () => {
  await h?.stop();
});


describe("/docs", () => {
  let page: Page;
  const requests: string[] = [];
  const failures: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    page = await (await h.browser.newContext()).newPage();
    await recordCspViolations(page);
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    const res = await page.goto(`${h.url}/docs`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()["content-security-policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; object-src 'none'",
    );
    await page.locator(".opblock").first().waitFor({ timeout: 60_000 });
  }, 120_000);

  it("renders every operation of the document, the retraining routes among them", async () => {
    const doc = (await (await fetchOnce(`${h.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const shown = await page.$$eval(".opblock", (els) =>
      els.map((el) => `${el.querySelector(".opblock-summary-method")?.textContent?.trim()} ${el.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`),
    );
    expect(shown.sort()).toEqual(expected.sort());
    expect(shown).toEqual(expect.arrayContaining(["POST /hooks/retrain", "POST /agent/claim", "GET /admin/jobs", "GET /v1/models/{model}/generate"]));
    // The lock icons of the signature and bearer schemes, and the Authorize dialog that sets them.
    expect(await page.locator(".opblock .authorization__btn").count()).toBeGreaterThan(0);
    await page.locator(".auth-wrapper .authorize").click();
    const schemes = await page.locator(".auth-container h4").allTextContents();
    expect(schemes.join(" ")).toMatch(/webhookSignature.*agentToken.*adminToken/s);
  });

  it("loads everything from the worker's origin, and nothing is blocked or fails", async () => {
    expect(requests.filter((u) => new URL(u).origin !== h.url && !u.startsWith("data:"))).toEqual([]);
    expect(requests.some((u) => u.endsWith("/docs-assets/swagger-ui-bundle.js"))).toBe(true);
    expect(await cspViolations(page)).toEqual([]);
    expect(failures).toEqual([]);
    expect(errors).toEqual([]);
  });
});
