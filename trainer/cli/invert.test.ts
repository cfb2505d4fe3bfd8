import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EncoderConfig } from "../../shared/encoder/config.ts";
import { encoderParamSpecs } from "../../shared/encoder/params.ts";
import { initParams } from "../../shared/generator/params.ts";
import { latentFromParam } from "../../shared/latent-param.ts";
import { lyingHeaderPng } from "../../shared/png/craft.ts";
import { decodePng } from "../../shared/png/png.ts";
import { writeModelDir } from "../../shared/weights/file-source.ts";
import { packEncoder } from "../../shared/weights/pack.ts";
import { BACKGROUND } from "../data/dicebear.ts";

const run = promisify(execFile);
const MODEL = "test/fixtures/tiny-model"; // tiny-fixture vbc84f4f48ad736cb, 16 px, W 32
const invert = (...args: string[]) => run("node", ["--import", "tsx", "trainer/cli/invert.ts", ...args], { timeout: 120_000 });
const failure = (p: Promise<unknown>) => p.then(() => ({ code: 0, stderr: "" })).catch((e: { code: number; stderr: string }) => e);
let dir: string;
let encoder: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "invert-cli-"));
  // A random encoder pinned to the fixture model: the command's plumbing, not a trained inversion.
  const cfg = EncoderConfig.parse({ resolution: 16, wDim: 32, channels: [4, 8, 8] });
  const packed = await packEncoder({
    name: "tiny-encoder",
    encoder: cfg,
    inverts: { name: "tiny-fixture", version: "vbc84f4f48ad736cb" },
    card: { title: "random", description: "", datasets: [], metrics: {} },
    provenance: { trainer: "test" },
    values: initParams(encoderParamSpecs(cfg), 1),
    dtype: "int8",
  });
  encoder = join(dir, "enc");
  await writeModelDir(encoder, packed);
  // 40×30 with a transparent left half: cropped to the middle 30×30, resized to 16×16, composited on the background.
  const rgba = Buffer.alloc(40 * 30 * 4);
  for (let p = 0; p < 40 * 30; p++) rgba.set((p % 40) < 20 ? [0, 0, 0, 0] : [200, 40, 40, 255], p * 4);
  await sharp(rgba, { raw: { width: 40, height: 30, channels: 4 } }).png().toFile(join(dir, "photo.png"));
  await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(join(dir, "one.png"));
  await writeFile(join(dir, "notes.png"), "not an image at all");
  // Over the size rule (shared/png/limits.ts): a real 4100×20 PNG, and 67 bytes whose header claims 100000×100000.
  await sharp({ create: { width: 4100, height: 20, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toFile(join(dir, "wide.png"));
  await writeFile(join(dir, "bomb.png"), lyingHeaderPng(100000, 100000));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run invert", () => {
  it("writes the code (w as the API's w=, noise, PSNR, SSIM) and its reconstruction PNG beside it", async () => {
    const out = join(dir, "code.json");
    const { stdout, stderr } = await invert(join(dir, "photo.png"), "--model", MODEL, "--encoder", encoder, "--steps", "2", "--out", out);
    expect(stderr).toMatch(/no segmenter for the perceptual term \(pass --segmenter\): pixel loss only/);
    expect(stdout).toMatch(/code\.json: tiny-fixture vbc84f4f48ad736cb code; PSNR -?\d+\.\d\d dB/);
    const code = JSON.parse(await readFile(out, "utf8"));
    expect(code).toMatchObject({ model: "tiny-fixture", version: "vbc84f4f48ad736cb", space: "w", noise: "zeros", steps: 2, prior: 0.01, reconstruction: "code.png" });
    expect(code.source).toMatchObject({ format: "png", width: 40, height: 30 });
    expect(Array.from(latentFromParam(code.w))).toEqual(code.wValues);
    expect(code.wValues).toHaveLength(32);
    expect(Number.isFinite(code.psnr) && Number.isFinite(code.ssim) && Number.isFinite(code.encoderOnly.psnr)).toBe(true);
    const png = decodePng(new Uint8Array(await readFile(join(dir, "code.png"))));
    expect([png.width, png.height]).toEqual([16, 16]);
  });

  it("with --space w+ writes the code as wPlus ([numWs][wDim]) with space and a note, and no w (w= takes W codes only)", async () => {
    const out = join(dir, "plus.json");
    const { stdout } = await invert(join(dir, "photo.png"), "--model", MODEL, "--encoder", encoder, "--steps", "3", "--space", "w+", "--out", out);
    expect(stdout).toMatch(/plus\.json: tiny-fixture vbc84f4f48ad736cb W\+ code; PSNR -?\d+\.\d\d dB/);
    expect(stdout).toMatch(/the API's w= takes W codes only/);
    const code = JSON.parse(await readFile(out, "utf8"));
    expect(code).toMatchObject({ space: "w+", steps: 3, prior: 0.003, reconstruction: "plus.png" });
    expect(code.note).toMatch(/the API's w= and the client take W codes only/);
    expect(code).not.toHaveProperty("w");
    expect(code).not.toHaveProperty("wValues");
    expect(code.wPlus).toHaveLength(6); // numWs of the 16 px fixture
    for (const layer of code.wPlus) expect(layer).toHaveLength(32);
    expect(code.wPlus[0]).not.toEqual(code.wPlus[5]); // the projector moved each layer's w
    expect(Number.isFinite(code.psnr)).toBe(true);
  });

  it("composites transparency onto the dataset's background", async () => {
    // A fully transparent image becomes the background colour everywhere: it gets exactly the code of a flat background image.
    const clear = Buffer.alloc(20 * 20 * 4);
    await sharp(clear, { raw: { width: 20, height: 20, channels: 4 } }).png().toFile(join(dir, "clear.png"));
    const flat = Buffer.alloc(20 * 20 * 3);
    for (let p = 0; p < 400; p++) flat.set(BACKGROUND, p * 3);
    await sharp(flat, { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(join(dir, "flat.png"));
    await invert(join(dir, "clear.png"), "--model", MODEL, "--encoder", encoder, "--steps", "0", "--out", join(dir, "a.json"));
    await invert(join(dir, "flat.png"), "--model", MODEL, "--encoder", encoder, "--steps", "0", "--out", join(dir, "b.json"));
    const [a, b] = [JSON.parse(await readFile(join(dir, "a.json"), "utf8")), JSON.parse(await readFile(join(dir, "b.json"), "utf8"))];
    expect(a.w).toBe(b.w);
    expect(a.psnr).toBe(b.psnr);
  });

  it("refuses a file that is not an image, a 1×1 image, a missing file and a bad --out, naming the file or flag and the problem", async () => {
    const notImage = await failure(invert(join(dir, "notes.png"), "--model", MODEL, "--encoder", encoder));
    expect(notImage.code).toBe(2);
    expect(notImage.stderr).toMatch(/notes\.png: not an image this command reads \(PNG, JPEG or WebP\)/);
    const tiny = await failure(invert(join(dir, "one.png"), "--model", MODEL, "--encoder", encoder));
    expect(tiny.stderr).toMatch(/one\.png: is 1×1; the smallest accepted image is 16×16/);
    const missing = await failure(invert(join(dir, "nope.png"), "--model", MODEL, "--encoder", encoder));
    expect(missing.stderr).toMatch(/nope\.png: no such file/);
    const badOut = await failure(invert(join(dir, "photo.png"), "--model", MODEL, "--encoder", encoder, "--out", "x.txt"));
    expect(badOut.stderr).toMatch(/--out: must end in \.json/);
  });

  it("refuses a picture over the size rule from its header, naming the file, its size and the limit, and writes nothing", async () => {
    for (const [file, size] of [["wide.png", "4100×20"], ["bomb.png", "100000×100000"]] as const) {
      const out = join(dir, `${file}.json`);
      const refused = await failure(invert(join(dir, file), "--model", MODEL, "--encoder", encoder, "--out", out));
      expect(refused.code, file).toBe(2);
      expect(refused.stderr).toContain(`${file}: too large: ${size} is larger than the limit of 4096×4096`);
      await expect(readFile(out), file).rejects.toThrow(/ENOENT/);
      await expect(readFile(out.replace(/\.json$/, ".png")), file).rejects.toThrow(/ENOENT/);
    }
  });
});
