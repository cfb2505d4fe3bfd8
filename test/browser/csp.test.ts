/**
 * The demo page under its Content-Security-Policy (worker/http/security.ts) in chromium against
 * `wrangler dev`: the editor loads its bundle, weights (relative URLs from /v1/models, resolved
 * against the API's origin) and styles, renders locally and remotely, and the browser reports no
 * violation of the policy. Uses the tiny fixture (16 px), so each image takes a moment.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, cspViolations, firstFixedRegion, pagePoint, recordCspViolations, recordEvents, regionGeometry, startHarness, waitForEvents } from "./harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 240_000);

afterAll(async () => {
  await h?.stop();
});


/**
 * Violations, except one the policy means to cause: long.js (inside TensorFlow.js) probes for
 * WebAssembly by compiling a 40-byte module in a try/catch and falls back to plain JS when that is
 * refused. The policy does not grant 'wasm-unsafe-eval' for it; the probe's report is expected.
 */
const violations = async (page: Page) => (await cspViolations(page)).filter((v) => !/^script-src blocked wasm-eval /.test(v));

async function openDemo(query: string): Promise<Page> {
  const page = await (await h.browser.newContext()).newPage();
  await recordCspViolations(page);
  await recordEvents(page);
  const res = await page.goto(`${h.url}/?model=tiny-fixture&${query}`);
  expect(res!.headers()["content-security-policy"]).toMatch(/default-src 'none'/);
  await waitForEvents(page, "ready", 1);
  await waitForEvents(page, "render", 1);
  return page;
}

describe("the demo page under its Content-Security-Policy", () => {
  it("local mode: the bundle, the weights and the widget's styles load, and nothing is blocked", async () => {
    const page = await openDemo("mode=local");
    const ready = (await page.evaluate(() => (window as unknown as { __linkgan: { type: string; detail: { mode: string; weights: { shardsFetched: number } } }[] }).__linkgan.find((e) => e.type === "ready")!.detail));
    expect(ready.mode).toBe("local");
    expect(ready.weights.shardsFetched).toBeGreaterThan(0);
    // The widget's shadow-DOM <style> applied (its hash is in style-src): the root lays out as a grid.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector("linkgan-editor")!.shadowRoot!.querySelector(".root")!).display)).toBe("grid");
    // The page's nonce'd script ran: the embed snippet names this origin (from location, not from the Host header).
    expect(await page.locator(".origin").first().textContent()).toBe(h.url);
    expect(await violations(page)).toEqual([]);
    await page.context().close();
  });

  it("remote mode renders with the API, uploads a painted mask and resamples it, and nothing is blocked", async () => {
    const page = await openDemo("mode=remote");
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const model = h.models.find((m) => m.name === "tiny-fixture")!;
    const geo = await regionGeometry(h.url, model, firstFixedRegion(model));
    await page.locator("linkgan-editor button[data-action=brush]").click();
    const at = await pagePoint(page, model.resolution, geo.centre);
    await page.mouse.move(at.x, at.y);
    await page.mouse.down();
    await page.mouse.move(at.x + 4, at.y + 2);
    await page.mouse.up();
    await page.locator("linkgan-editor button[data-action=apply]").click();
    await waitForEvents(page, "render", 2);
    expect(errors).toEqual([]);
    expect(await violations(page)).toEqual([]);
    await page.context().close();
  });
});
