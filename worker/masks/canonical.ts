import { z } from "@hono/zod-openapi";
import { IMAGE_LIMITS, ImageTooLargeError, decodePngGray, encodePng } from "../../shared/png/png.ts";
import { imageSizeProblem } from "../../shared/png/limits.ts";
import type { BinaryMask } from "../../shared/regions/mask.ts";
import { sha256Hex } from "../../shared/weights/content-id.ts";
import { ApiError } from "../http/errors.ts";

/**
 * The compact form of a mask: COCO-style uncompressed run-length encoding, row-major, runs
 * alternating outside/inside and starting with outside (a leading 0 when the first pixel is inside).
 */
export const RleMask = z
  .object({
    width: z.number().int().min(1).max(IMAGE_LIMITS.maxSide),
    height: z.number().int().min(1).max(IMAGE_LIMITS.maxSide),
    counts: z.array(z.number().int().min(0)).min(1).max(IMAGE_LIMITS.maxPixels),
  })
  .strict()
  // The same size rule as every other image (shared/png/limits.ts).
  .superRefine((m, ctx) => {
    const problem = imageSizeProblem(m);
    if (problem) ctx.addIssue({ code: "custom", path: ["width"], message: problem });
  })
  .refine((m) => m.counts.reduce((a, b) => a + b, 0) === m.width * m.height, {
    message: "the runs must add up to width × height",
    path: ["counts"],
  })
  .openapi("RleMask", { example: { width: 4, height: 2, counts: [1, 2, 3, 2] } });
export type RleMask = z.infer<typeof RleMask>;

/** A mask at any size: 1 inside. */
interface Raster {
  width: number;
  height: number;
  data: Uint8Array;
}

export function rasterFromRle(m: RleMask): Raster {
  const data = new Uint8Array(m.width * m.height);
  let at = 0;
  m.counts.forEach((run, i) => {
    if (i % 2 === 1) data.fill(1, at, at + run);
    at += run;
  });
  return { width: m.width, height: m.height, data };
}

/**
 * Non-black (luma ≥ 128, alpha-premultiplied) is inside, as for region masks of kind "image". The
 * decoder checks the size from the PNG header before decoding (shared/png/limits.ts), and refuses
 * corrupt files (bad CRC, cut off, bytes after IEND).
 */
export function rasterFromPng(bytes: Uint8Array): Raster {
  let img: ReturnType<typeof decodePngGray>;
  try {
    img = decodePngGray(bytes);
  } catch (e) {
    if (e instanceof ImageTooLargeError) throw new ApiError(400, "image_too_large", `mask: ${e.message}`, "body");
    throw new ApiError(400, "invalid_mask", `mask: ${(e as Error).message}`, "body");
  }
  const data = img.gray;
  for (let i = 0; i < data.length; i++) data[i] = data[i]! >= 128 ? 1 : 0;
  return { width: img.width, height: img.height, data };
}

/** Nearest-neighbour resize to the model's resolution, sampling pixel centres (like rasterizeMask). */
export function canonicalize(r: Raster, size: number): BinaryMask {
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(r.height - 1, Math.floor(((y + 0.5) * r.height) / size));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(r.width - 1, Math.floor(((x + 0.5) * r.width) / size));
      data[y * size + x] = r.data[sy * r.width + sx]!;
    }
  }
  return { size, data };
}

/** Content id of a canonical mask: equal masks (whatever their upload form) get equal ids. */
export async function maskId(m: BinaryMask): Promise<string> {
  const bytes = new Uint8Array(4 + m.data.length);
  new DataView(bytes.buffer).setUint32(0, m.size);
  bytes.set(m.data, 4);
  return `m${(await sha256Hex(bytes)).slice(0, 24)}`;
}

/** A mask's content id (what `maskId` returns), as render parameters and the mask URL name it. */
export const MaskId = z.string().regex(/^m[0-9a-f]{24}$/, "must be a mask id from POST /v1/models/{model}/masks");

/** White inside, black outside, one gray channel: the stored and served form. */
export function maskToPng(m: BinaryMask): Uint8Array {
  return encodePng(m.data.map((v) => v * 255), m.size, m.size, 1);
}

export function maskFromPng(bytes: Uint8Array, size: number): BinaryMask {
  return canonicalize(rasterFromPng(bytes), size);
}
