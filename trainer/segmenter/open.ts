import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadSegmenter } from "../../shared/weights/loader.ts";
import type { ParamValues } from "../../shared/generator/params.ts";

/**
 * Load an exported segmenter that a training config pins, checking it is the pinned version (a
 * re-exported segmenter would silently change every semantic mask of a resumed run).
 */
export async function openPinnedSegmenter(ref: { path: string; version: string }): Promise<{ segmenter: Segmenter; values: ParamValues }> {
  const { manifest, values } = await loadSegmenter(fileSource(ref.path));
  if (manifest.version !== ref.version) throw new Error(`segmenter ${ref.path} is version ${manifest.version}, the config pins ${ref.version}`);
  return { segmenter: Segmenter.fromValues(manifest.segmenter, values), values };
}
