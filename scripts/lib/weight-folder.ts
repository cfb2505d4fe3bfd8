import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EncoderManifest, SegmenterManifest } from "../../shared/weights/manifest.ts";

/**
 * What a weights folder holds when it is a network exported on its own, with no generator: a
 * segmenter (`SegmenterManifest`; the trainer reads it, the API does not serve it) or a
 * GAN-inversion encoder (`EncoderManifest`, #14; stored beside the model version it inverts, for
 * POST …/invert). `null` for anything else, a model or not: the shared loader then says what is
 * wrong with it, so this never reports an error of its own. `npm run dev:seed` and
 * `npm run publish:model` both sort folders with it, so they cannot disagree on what a folder is.
 *
 * @example
 * if ((await standaloneNetwork("weights/faces64-encoder")) === "encoder") await loadEncoder(fileSource(dir));
 */
export async function standaloneNetwork(dir: string): Promise<"segmenter" | "encoder" | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
  } catch {
    return null; // the loader reports it
  }
  if (SegmenterManifest.safeParse(raw).success) return "segmenter";
  if (EncoderManifest.safeParse(raw).success) return "encoder";
  return null;
}
