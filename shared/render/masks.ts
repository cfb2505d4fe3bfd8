/**
 * Masks as they cross a boundary: uploaded (PNG at any size, or run-length JSON), stored and served
 * (a gray PNG), and named (a content id). Every form is canonicalized to a binary mask at the
 * model's resolution first, so equal masks get one id whatever form they came in. The worker
 * stores and serves them; the browser client uploads, fetches and reads them with the same code.
 */
import { z } from "zod";
import { IMAGE_LIMITS, ImageTooLargeError, decodePngGray, encodePng } from "../png/png.ts";
import { imageSizeProblem } from "../png/limits.ts";
import { type BinaryMask, isInside } from "../regions/mask.ts";
import { sha256Hex } from "../weights/content-id.ts";
import { RenderError } from "./error.ts";

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
  });
export type RleMask = z.infer<typeof RleMask>;

/** A mask at any size: 1 inside. */
export interface Raster {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * The pixels of a run-length mask (the inverse of `maskToRle`).
 *
 * @example
 * rasterFromRle({ width: 2, height: 2, counts: [0, 2, 2] }).data; // Uint8Array [1, 1, 0, 0]
 */
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
 * COCO-style uncompressed run-length of a binary mask (the API's JSON mask upload).
 *
 * @example
 * maskToRle({ size: 2, data: Uint8Array.of(1, 1, 0, 0) }); // { width: 2, height: 2, counts: [0, 2, 2] }
 */
export function maskToRle(m: BinaryMask): RleMask {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (const v of m.data) {
    const bit = v ? 1 : 0;
    if (bit === current) run++;
    else {
      counts.push(run);
      current = bit;
      run = 1;
    }
  }
  counts.push(run);
  return { width: m.size, height: m.size, counts };
}

/**
 * Non-black (luma ≥ 128, alpha-premultiplied: `isInside`) is inside, as for region masks of kind
 * "image"; so a mask PNG the API serves (white inside, transparent or black outside) reads back
 * as itself. The decoder checks the size from the PNG header before decoding
 * (shared/png/limits.ts), and refuses corrupt files (bad CRC, cut off, bytes after IEND), each a
 * RenderError naming `field`.
 *
 * @example
 * rasterFromPng(await (await fetch(maskUrl)).bytes()); // { width: 64, height: 64, data }
 */
export function rasterFromPng(bytes: Uint8Array, field = "body"): Raster {
  let img: ReturnType<typeof decodePngGray>;
  try {
    img = decodePngGray(bytes);
  } catch (e) {
    if (e instanceof ImageTooLargeError) throw new RenderError("image_too_large", `mask: ${e.message}`, field);
    throw new RenderError("invalid_mask", `mask: ${(e as Error).message}`, field);
  }
  const data = img.gray;
  for (let i = 0; i < data.length; i++) data[i] = isInside(data[i]!) ? 1 : 0;
  return { width: img.width, height: img.height, data };
}

/**
 * Nearest-neighbour resize to the model's resolution, sampling pixel centres (like rasterizeMask). */
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

/**
 * Content id of a canonical mask: equal masks (whatever their upload form) get equal ids.
 *
 * @example
 * await maskId(canonicalize(rasterFromPng(png), 64)); // "m0123456789abcdef01234567"
 */
export async function maskId(m: BinaryMask): Promise<string> {
  const bytes = new Uint8Array(4 + m.data.length);
  new DataView(bytes.buffer).setUint32(0, m.size);
  bytes.set(m.data, 4);
  return `m${(await sha256Hex(bytes)).slice(0, 24)}`;
}

/** A mask's content id (what `maskId` returns), as render parameters and the mask URL name it. */
export const MaskId = z.string().regex(/^m[0-9a-f]{24}$/, "must be a mask id from POST /v1/models/{model}/masks");

/** A binary mask given as values (e.g. painted with the widget's brush): `size`×`size` bytes, 1 inside. */
export const MaskInput = z
  .object({ size: z.number().int().min(1).max(IMAGE_LIMITS.maxSide), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, "must be a Uint8Array") })
  .refine((m) => m.data.length === m.size * m.size, { message: "data must hold size × size bytes", path: ["data"] });

/** White inside, black outside, one gray channel: the stored and served form. */
export function maskToPng(m: BinaryMask): Uint8Array {
  return encodePng(m.data.map((v) => v * 255), m.size, m.size, 1);
}

/**
 * A mask PNG at any size → the canonical mask at `size`.
 *
 * @example
 * maskFromPng(maskToPng(m), m.size); // equal to m
 */
export function maskFromPng(bytes: Uint8Array, size: number): BinaryMask {
  return canonicalize(rasterFromPng(bytes), size);
}
