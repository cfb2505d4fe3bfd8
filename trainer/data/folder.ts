/**
 * A dataset from a folder of the user's images (PNG/JPEG/WebP), centre-cropped to a square and
 * resized with sharp, with optional part masks in `masks/<part>/<image name>.png` (same size as
 * their image; non-black = inside). Everything is decoded and checked when the dataset opens, so a
 * bad file fails the run before training starts, with every problem listed by file name. Every
 * image and mask is held to the project's one size rule (shared/png/limits.ts) from its header,
 * before sharp decodes it; sharp's own `limitInputPixels` enforces the same pixel bound.
 */
import { readdir } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import sharp from "sharp";
import { IMAGE_LIMITS, imageSizeProblem } from "../../shared/png/limits.ts";
import { isInside } from "../../shared/regions/mask.ts";
import type { TrainingData } from "../training/trainer.ts";

/** sharp refuses to decode anything over the project's pixel limit. */
const SHARP_OPTIONS: sharp.SharpOptions = { limitInputPixels: IMAGE_LIMITS.maxPixels };

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg", ".webp"]);

export interface FolderDataset extends TrainingData {
  readonly files: string[];
  readonly parts: string[];
  /** Binary masks of `part` for `indices`, [N, H, W] bytes. */
  masks(part: string, indices: number[]): Uint8Array;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}

async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new DatasetError(`${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return names.filter((n) => IMAGE_EXT.has(extname(n).toLowerCase())).sort();
}

/** Square centre crop then resize: the region of the source that becomes the training image. */
function cropOf(w: number, h: number) {
  const side = Math.min(w, h);
  return { left: Math.floor((w - side) / 2), top: Math.floor((h - side) / 2), width: side, height: side };
}

export async function openFolderDataset(opts: { images: string; masks?: string; resolution: number }): Promise<FolderDataset> {
  const { resolution: res } = opts;
  const files = await listImages(opts.images);
  const ignored = (await readdir(opts.images).catch(() => [] as string[])).filter((n) => !IMAGE_EXT.has(extname(n).toLowerCase()));
  if (files.length === 0) throw new DatasetError(`${opts.images}: no images (.png, .jpg, .jpeg, .webp)${ignored.length ? `; found only ${ignored.length} other file(s), e.g. ${ignored[0]}` : ""}`);
  const parts = opts.masks ? (await readdir(opts.masks, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
  if (opts.masks && parts.length === 0) throw new DatasetError(`${opts.masks}: expected one sub-folder per part (e.g. ${opts.masks}/hair/), found none`);

  const pixels = new Uint8Array(files.length * res * res * 3);
  const maskData = new Map(parts.map((p) => [p, new Uint8Array(files.length * res * res)]));
  const problems: string[] = [];
  for (const [i, name] of files.entries()) {
    const file = join(opts.images, name);
    try {
      const meta = await sharp(file, SHARP_OPTIONS).metadata();
      if (!meta.width || !meta.height) throw new Error("no dimensions");
      const tooLarge = imageSizeProblem({ width: meta.width, height: meta.height });
      if (tooLarge) {
        problems.push(`${file}: too large: ${tooLarge}`);
        continue;
      }
      const crop = cropOf(meta.width, meta.height);
      const rgb = await sharp(file, SHARP_OPTIONS).rotate().extract(crop).resize(res, res, { kernel: "lanczos3" }).removeAlpha().toColourspace("srgb").raw().toBuffer();
      if (rgb.length !== res * res * 3) throw new Error(`decoded to ${rgb.length} bytes, expected ${res * res * 3}`);
      pixels.set(rgb, i * res * res * 3);
      for (const part of parts) {
        const stem = basename(name, extname(name));
        const mfile = join(opts.masks!, part, `${stem}.png`);
        let mmeta: sharp.Metadata;
        try {
          mmeta = await sharp(mfile, SHARP_OPTIONS).metadata();
        } catch {
          problems.push(`${mfile}: missing or unreadable mask for ${file}`);
          continue;
        }
        if (mmeta.width !== meta.width || mmeta.height !== meta.height) {
          problems.push(`${mfile}: mask is ${mmeta.width}×${mmeta.height}, its image ${file} is ${meta.width}×${meta.height}`);
          continue;
        }
        const m = await sharp(mfile, SHARP_OPTIONS).extract(crop).resize(res, res, { kernel: "nearest" }).greyscale().raw().toBuffer();
        const dst = maskData.get(part)!;
        for (let k = 0; k < res * res; k++) dst[i * res * res + k] = isInside(m[k]!) ? 1 : 0;
      }
    } catch (e) {
      problems.push(`${file}: cannot decode (${(e as Error).message})`);
    }
  }
  if (problems.length) {
    const shown = problems.slice(0, 20).join("\n  ");
    throw new DatasetError(`${problems.length} problem(s) in the dataset:\n  ${shown}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ""}`);
  }
  return {
    size: files.length,
    resolution: res,
    files,
    parts,
    async batch(indices) {
      const out = new Float32Array(indices.length * res * res * 3);
      for (const [j, idx] of indices.entries()) {
        const off = idx * res * res * 3;
        for (let k = 0; k < res * res * 3; k++) out[j * res * res * 3 + k] = pixels[off + k]! / 127.5 - 1;
      }
      return out;
    },
    masks(part, indices) {
      const src = maskData.get(part);
      if (!src) throw new DatasetError(`no masks for part "${part}" (parts: ${parts.join(", ") || "none"})`);
      const out = new Uint8Array(indices.length * res * res);
      for (const [j, idx] of indices.entries()) out.set(src.subarray(idx * res * res, (idx + 1) * res * res), j * res * res);
      return out;
    },
  };
}
