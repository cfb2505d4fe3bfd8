/**
 * npm run pictures (trainer/pictures.ts through its CLI) on the tiny fixture: both PNGs come out with the layout the card describes, the
 * 16 seeds are 16 different images, and the composited edits' heat maps show less change than the
 * raw ones (compositing keeps the base outside the region).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DecodedImage, decodePng } from "../shared/png/decode.ts";

const MODEL = "test/fixtures/tiny-model";
const TILE = 16 * 2;
const GAP = 4;
const STEP = TILE + GAP;
let dir: string;
let stdout: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pictures-cli-"));
  ({ stdout } = await promisify(execFile)("node", ["--import", "tsx", "trainer/cli/pictures.ts", "--model", MODEL, "--out", dir, "--backend", "cpu"], { timeout: 120_000 }));
}, 150_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const read = async (name: string) => decodePng(new Uint8Array(await readFile(join(dir, name))));
/** The tile at (col, row) of a grid whose first row starts at `top`, as RGBA rows. */
function tile(img: DecodedImage, col: number, top: number): number[] {
  const px: number[] = [];
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) px.push(...img.rgba.subarray(((top + y) * img.width + col * STEP + x) * 4, ((top + y) * img.width + col * STEP + x) * 4 + 3));
  return px;
}
const changed = (heat: number[]) => heat.filter((v, i) => i % 3 === 2 && v < 250).length;

describe("npm run pictures", () => {
  it("writes 16 different seeds in two rows of eight", async () => {
    expect(stdout).toContain(`${join(dir, "seeds.png")}, ${join(dir, "edits.png")}`);
    const seeds = await read("seeds.png");
    expect([seeds.width, seeds.height]).toEqual([8 * STEP - GAP, 2 * STEP - GAP]);
    const tiles = Array.from({ length: 16 }, (_, i) => tile(seeds, i % 8, Math.floor(i / 8) * STEP).join());
    expect(new Set(tiles).size).toBe(16);
  });

  it("shows each region resampled raw and composited for 4 seeds, with heat maps under them", async () => {
    const edits = await read("edits.png");
    const regions = 3;
    expect([edits.width, edits.height]).toEqual([(1 + 2 * regions) * STEP - GAP, 40 + 4 * 2 * STEP - GAP]);
    for (let row = 0; row < 4; row++) {
      const heatTop = 40 + row * 2 * STEP + STEP;
      for (let k = 0; k < regions; k++) {
        const raw = changed(tile(edits, 1 + k, heatTop));
        const composited = changed(tile(edits, 1 + regions + k, heatTop));
        expect(raw).toBeGreaterThan(0);
        expect(composited).toBeLessThan(raw);
      }
    }
  });
});
