/**
 * What a user sees of <linkgan-editor> on the demo page, in chromium against `wrangler dev`
 * (harness.ts): the focus ring's pixels, the status line after a painted edit, the PNG download at
 * a scale, two editors side by side, the page around the widget, and editing your own picture
 * (inverted by the API's encoder; the semantic fixture has one). Remote mode, so that no model
 * is downloaded and each image is one API render.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchOnce } from "../../scripts/lib/wrangler-dev.ts";
import { decodePng, encodePng } from "../../shared/png/png.ts";
import { DEFAULT_INVERT_STEPS } from "../../shared/inversion/endpoint.ts";
import { type Harness, canvasPixels, events, recordEvents, startHarness, waitForEvents } from "./harness.ts";

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  const ctx = await h.browser.newContext({ deviceScaleFactor: 1, acceptDownloads: true });
  page = await ctx.newPage();
  await recordEvents(page);
  await page.goto(`${h.url}/?mode=remote`);
  await waitForEvents(page, "render", 1);
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

/** The demo page's accent (its `--linkgan-accent`), which the focus ring is drawn in. */
const ACCENT = [0x35, 0x54, 0xd1];
const status = () => page.locator("linkgan-editor .status").textContent();

/** RGB of the page's pixels 3.5 px outside the middle of each side of the image canvas (in the 3 px ring, offset 2 px). */
async function ringPixels(): Promise<number[][]> {
  const box = (await page.locator("linkgan-editor canvas.image").boundingBox())!;
  const pad = 8;
  const clip = { x: Math.floor(box.x - pad), y: Math.floor(box.y - pad), width: Math.ceil(box.width + 2 * pad), height: Math.ceil(box.height + 2 * pad) };
  const png = decodePng(new Uint8Array(await page.screenshot({ clip })));
  const at = (x: number, y: number) => {
    const i = (Math.floor(y - clip.y) * png.width + Math.floor(x - clip.x)) * 4;
    return [png.rgba[i]!, png.rgba[i + 1]!, png.rgba[i + 2]!];
  };
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return [at(cx, box.y - 3.5), at(cx, box.y + box.height + 3.5), at(box.x - 3.5, cy), at(box.x + box.width + 3.5, cy)];
}

const isAccent = (rgb: number[]) => rgb.every((v, i) => Math.abs(v - ACCENT[i]!) <= 8);

describe("<linkgan-editor> as a user sees it", () => {
  it("draws the image's focus ring on all four sides, outside the canvas, unclipped", async () => {
    await page.keyboard.press("Tab"); // the image is the page's first stop
    expect(await page.evaluate(() => document.querySelector("linkgan-editor")!.shadowRoot!.activeElement?.className)).toBe("image");
    const ring = await ringPixels();
    expect(ring.map(isAccent), JSON.stringify(ring)).toEqual([true, true, true, true]);
    // The check can fail: clipping the stage, as the widget once did, hides the ring.
    await page.evaluate(() => ((document.querySelector("linkgan-editor")!.shadowRoot!.querySelector(".stage") as HTMLElement).style.overflow = "hidden"));
    expect((await ringPixels()).some(isAccent)).toBe(false);
    await page.evaluate(() => ((document.querySelector("linkgan-editor")!.shadowRoot!.querySelector(".stage") as HTMLElement).style.overflow = ""));
  });

  it("says what is shown after Resample painted, where the status line used to go blank", async () => {
    const before = (await waitForEvents(page, "render", 1)).length;
    await page.locator('linkgan-editor [data-action="brush"]').click();
    const box = (await page.locator("linkgan-editor canvas.image").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.6, { steps: 8 });
    await page.mouse.up();
    await page.locator('linkgan-editor [data-action="apply"]').click();
    const renders = await waitForEvents(page, "render", before + 1);
    expect(renders.at(-1)!.edits).toHaveLength(1);
    await expect(status()).resolves.toMatch(/^Generated image from seed 7, edited: .+\. Rendered by the API/);
    // Leaving the brush without painting says it again too.
    await page.locator('linkgan-editor [data-action="brush"]').click();
    await page.keyboard.press("Escape");
    await expect(status()).resolves.toMatch(/^Generated image from seed 7, edited: /);
  });

  it("downloads the PNG at the scale chosen beside the button, each pixel repeated", async () => {
    const res = h.model.resolution;
    await page.locator("linkgan-editor select.scale").selectOption("4");
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator('linkgan-editor [data-action="download"]').click()]);
    expect(download.suggestedFilename()).toBe(`linkgan-${h.model.name}-seed7-${res * 4}px.png`);
    const png = decodePng(new Uint8Array(await readFile((await download.path())!)));
    expect([png.width, png.height]).toEqual([res * 4, res * 4]);
    const shown = await canvasPixels(page);
    let differ = 0;
    for (let y = 0; y < res * 4; y++) {
      for (let x = 0; x < res * 4; x++) {
        const s = (Math.floor(y / 4) * res + Math.floor(x / 4)) * 4;
        const d = (y * res * 4 + x) * 4;
        for (let c = 0; c < 4; c++) if (png.rgba[d + c] !== shown[s + c]) differ++;
      }
    }
    expect(differ).toBe(0);
  });

  it("sets two editors side by side top-aligned, also when they differ in size and status", async () => {
    const tops = (align: string) =>
      page.evaluate((verticalAlign) => {
        const row = document.createElement("div");
        row.style.width = "1200px"; // room for both on one line
        const pair = [0, 1].map(() => Object.assign(document.createElement("linkgan-editor"), { mode: "remote" }));
        for (const el of pair) {
          if (verticalAlign) el.style.verticalAlign = verticalAlign;
          row.append(el);
        }
        pair[0]!.style.setProperty("--linkgan-size", "256px");
        document.body.append(row);
        // Measured at once, before either editor's load (a microtask later) rewrites its status.
        pair[0]!.shadowRoot!.querySelector(".status")!.textContent = "A long status line that wraps over several lines at this width.";
        pair[1]!.shadowRoot!.querySelector(".status")!.textContent = "Short.";
        const t = pair.map((el) => el.getBoundingClientRect().top);
        row.remove();
        return t;
      }, align);
    const [a, b] = await tops("");
    expect(a).toBe(b);
    // The check can fail: on the text baseline (an inline-block's default), they sit staggered.
    const [c, d] = await tops("baseline");
    expect(Math.abs(c! - d!)).toBeGreaterThan(10);
  });

  it("offers \"Your picture…\" only for a model version with an encoder", async () => {
    await expect(page.locator('linkgan-editor [data-action="upload"]').isVisible()).resolves.toBe(!!h.model.encoder);
  });

  it("the demo page shows no raw event JSON and lists the random-weight fixtures apart from the models", async () => {
    const text = await page.locator("body").textContent();
    expect(text).not.toMatch(/\{"|render \{/);
    const other = await page.locator("p", { hasText: "Other models:" }).textContent();
    const fixtures = await page.locator("p.fixtures").textContent();
    expect(fixtures).toMatch(/^Test fixtures \(random weights: they render noise, for the tests\): .*tiny-semantic/);
    expect(other).not.toMatch(/tiny/);
    for (const m of h.models.filter((x) => x.name !== h.model.name)) expect(`${other} ${fixtures}`).toContain(m.name);
  });
});

describe("<linkgan-editor>: your own picture", () => {
  let p: Page;
  const editor = (sel: string) => p.locator(`linkgan-editor ${sel}`);
  /** A 60×40 picture: a red left strip, a green square in the middle, a blue right strip. */
  const picture = (() => {
    const rgba = new Uint8Array(60 * 40 * 4);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 60; x++) rgba.set(x < 10 ? [220, 30, 30, 255] : x >= 50 ? [30, 30, 220, 255] : [40, 180, 60, 255], (y * 60 + x) * 4);
    return Buffer.from(encodePng(rgba, 60, 40));
  })();

  beforeAll(async () => {
    const ctx = await h.browser.newContext({ deviceScaleFactor: 1 });
    p = await ctx.newPage();
    await recordEvents(p);
    await p.goto(`${h.url}/?model=${h.semanticModel.name}&mode=remote&seed=7`);
    await waitForEvents(p, "render", 1);
  }, 240_000);

  it("inverts a chosen picture, shows it beside its reconstruction, edits it, and undoes back to the seed", async () => {
    await expect(editor('[data-action="upload"]').isVisible()).resolves.toBe(true);
    await editor('input[type="file"]').setInputFiles({ name: "me.png", mimeType: "image/png", buffer: picture });
    const renders = await waitForEvents(p, "render", 2);
    expect(renders.at(-1)).toMatchObject({ picture: "me.png", edits: [] });
    expect(renders.at(-1)!.psnr).toEqual(expect.any(Number));
    await expect(editor(".status").textContent()).resolves.toMatch(new RegExp(`^Your picture me\\.png, reconstructed by the API \\(encoder \\+ ${DEFAULT_INVERT_STEPS} steps, PSNR \\d+\\.\\d dB\\)\\. Rendered by the API`));
    await expect(editor("figure.original").isVisible()).resolves.toBe(true);
    // Beside it, the centre square that was sent: green only, the red and blue strips cropped away.
    const original = await p.evaluate(() => {
      const c = document.querySelector("linkgan-editor")!.shadowRoot!.querySelector("canvas.original-image") as HTMLCanvasElement;
      return { size: c.width, data: Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data) };
    });
    expect(original.size).toBe(h.semanticModel.resolution);
    for (let i = 0; i < original.data.length; i += 4) expect(original.data.slice(i, i + 3)).toEqual([40, 180, 60]);
    // The image shown is the API's render of the code it answered.
    const code = await p.evaluate(() => Array.from(document.querySelector("linkgan-editor")!.imageCode!.w));
    const shown = await canvasPixels(p);
    const w = Buffer.from(new Float32Array(code).buffer).toString("base64url");
    const api = decodePng(new Uint8Array(await (await fetchOnce(`${h.url}/v1/models/${h.semanticModel.name}/generate?version=${h.semanticModel.version}&w=${w}&noise=zeros`)).arrayBuffer()));
    expect(Array.from(shown)).toEqual(Array.from(api.rgba));
    // Edited like any image: a region resampled, then undone to the reconstruction, then to the seed's image.
    await editor(".regions button").first().click();
    const edited = await waitForEvents(p, "render", 3);
    expect(edited.at(-1)).toMatchObject({ picture: "me.png" });
    expect(edited.at(-1)!.edits).toHaveLength(1);
    await editor('[data-action="undo"]').click();
    await editor('[data-action="undo"]').click();
    await p.waitForFunction(() => !document.querySelector("linkgan-editor")!.canUndo);
    await expect(editor("figure.original").isVisible()).resolves.toBe(false);
    await expect(editor(".status").textContent()).resolves.toMatch(/^Generated image from seed 7\./);
  });

  it("says what is wrong with a file that is no picture, and keeps the image shown", async () => {
    const before = (await events(p, "render")).length;
    await editor('input[type="file"]').setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a picture") });
    await p.waitForFunction(() => window.__linkgan.some((e) => e.type === "error"));
    const [err] = await events(p, "error");
    expect(err).toMatchObject({ code: "not_an_image" });
    await expect(editor(".status").textContent()).resolves.toMatch(/notes\.txt: not a picture this browser can read/);
    expect((await events(p, "render")).length).toBe(before);
  });
});

describe("inversion in the page (local mode): the worker's pipeline on the page's backend", () => {
  let p: Page;
  /** A 40×40 PNG: a diagonal gradient. */
  const png = (() => {
    const rgba = new Uint8Array(40 * 40 * 4);
    for (let i = 0; i < 40 * 40; i++) rgba.set([(i % 40) * 6, Math.floor(i / 40) * 6, 120, 255], i * 4);
    return encodePng(rgba, 40, 40);
  })();
  const invertHere = (bytes: Uint8Array, steps: number) =>
    p.evaluate(
      async ([b, s]) => {
        try {
          const r = await document.querySelector("linkgan-editor")!.client!.invert(new Uint8Array(b as number[]), { steps: s as number });
          return { where: r.where, w: Array.from(r.image.w), psnr: r.inversion.psnr, encoderOnly: r.inversion.encoderOnly.psnr };
        } catch (e) {
          return { error: (e as { code: string }).code, message: (e as Error).message };
        }
      },
      [Array.from(bytes), steps] as const,
    );
  const invertByApi = async (bytes: Uint8Array, steps: number) => {
    const res = await fetchOnce(`${h.url}/v1/models/${h.semanticModel.name}/invert?steps=${steps}&version=${h.semanticModel.version}`, { method: "POST", headers: { "Content-Type": "image/png" }, body: bytes as Uint8Array<ArrayBuffer> });
    const body = (await res.json()) as { w: string; psnr: number };
    return { w: Array.from(new Float32Array(new Uint8Array(Buffer.from(body.w, "base64url")).buffer)), psnr: body.psnr };
  };

  beforeAll(async () => {
    const ctx = await h.browser.newContext({ deviceScaleFactor: 1 });
    p = await ctx.newPage();
    await recordEvents(p);
    await p.goto(`${h.url}/?model=${h.semanticModel.name}&mode=local&seed=7`);
    await waitForEvents(p, "ready", 1);
    await waitForEvents(p, "render", 1);
  }, 240_000);

  it("the encoder runs here and gives the API's code for the same bytes", async () => {
    const here = await invertHere(png, 0);
    if ("error" in here) expect.fail(`${here.error}: ${here.message}`);
    expect(here.where).toBe("local");
    const api = await invertByApi(png, 0);
    expect(here.w).toHaveLength(api.w.length);
    expect(Math.max(...here.w.map((v, i) => Math.abs(v - api.w[i]!)))).toBeLessThan(1e-3);
    expect(Math.abs(here.psnr - api.psnr)).toBeLessThan(0.05);
  });

  it("the projector runs here too: steps raise the PSNR, as the API's do", async () => {
    const zero = await invertHere(png, 0);
    const three = await invertHere(png, 3);
    if ("error" in zero || "error" in three) expect.fail(JSON.stringify([zero, three]));
    expect(three.encoderOnly).toBeCloseTo(zero.psnr, 2);
    expect(three.psnr).toBeGreaterThan(zero.psnr + 0.3);
    expect(Math.abs(three.psnr - (await invertByApi(png, 3)).psnr)).toBeLessThan(0.3);
  });

  it("refuses what the API refuses, with the API's code", async () => {
    const r = await invertHere(encodePng(Uint8Array.of(9, 9, 9, 255), 1, 1), 0);
    expect(r).toMatchObject({ error: "image_too_small" });
  });
});
