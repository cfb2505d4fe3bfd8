/**
 * Makes docs/raw-vs-composited.png, the README's first picture: one edit of the shipped faces64
 * (seed 7, ψ 0.7, the mouth resampled with seed 3, 4×) rendered by npm run generate as the base
 * image, the raw edit (--no-composite) and the composited edit (the default), and under each edit
 * its difference from the base, ×4 (white: unchanged).
 *
 *   node --import tsx scripts/readme-picture.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { command } from "../trainer/cli/args.ts";

const OUT = "docs/raw-vs-composited.png";
command({ run: "node --import tsx scripts/readme-picture.ts", name: "readme-picture", summary: `Writes ${OUT} with npm run generate.`, flags: {} }).parseOrExit();

const dir = mkdtempSync(join(tmpdir(), "readme-picture-"));
const common = ["--seed", "7", "--truncation", "0.7", "--scale", "4"];
const edit = [...common, "--region", "mouth", "--resample-seed", "3"];
const runs = { base: common, raw: [...edit, "--no-composite"], composited: edit };
for (const [name, args] of Object.entries(runs)) execFileSync("node", ["--import", "tsx", "scripts/generate.ts", ...args, "--out", join(dir, `${name}.png`)], { stdio: "inherit" });

const rgba = async (name: string) => (await sharp(join(dir, `${name}.png`)).ensureAlpha().raw().toBuffer({ resolveWithObject: true })).data;
const [base, raw, composited] = await Promise.all(["base", "raw", "composited"].map(rgba));
const size = Math.sqrt(base!.length / 4);
const png = (data: Buffer) => sharp(data, { raw: { width: size, height: size, channels: 4 } }).png().toBuffer();
const diff = (a: Buffer) => {
  const out = Buffer.alloc(a.length, 255);
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) out[i + c] = 255 - Math.min(255, 4 * Math.abs(a[i + c]! - base![i + c]!));
  return png(out);
};
const gap = 8;
const at = (col: number, row: number) => ({ left: col * (size + gap), top: row * (size + gap) });
await sharp({ create: { width: 3 * size + 2 * gap, height: 2 * size + gap, channels: 4, background: "#ffffff" } })
  .composite([
    { input: await png(base!), ...at(0, 0) },
    { input: await png(raw!), ...at(1, 0) },
    { input: await png(composited!), ...at(2, 0) },
    { input: await diff(raw!), ...at(1, 1) },
    { input: await diff(composited!), ...at(2, 1) },
  ])
  .png({ palette: true, quality: 95, compressionLevel: 9 })
  .toFile(OUT);
rmSync(dir, { recursive: true, force: true });
console.log(OUT);
