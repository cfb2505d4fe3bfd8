import type { Generator } from "../generator/generator.ts";
import { latentFromSeed } from "../random/prng.ts";
import type { Region } from "../regions/schema.ts";
import { resamplePerturb, resampleReplace } from "./edit.ts";

export interface ResampleOptions {
  /** Seed of the new code (replace) or of the direction p (perturb). */
  seed: number;
  /** "replace": take the regions' axes from mapping(z(seed)); "perturb": add α·p, p ~ N(0, I) from seed. */
  mode: "replace" | "perturb";
  /** Strength α for "perturb". */
  alpha?: number;
  /** Truncation ψ for the new code in "replace" mode (use the base image's ψ). */
  truncation?: number;
}

/**
 * LinkGAN's edit: w with the axes of `regions` resampled. The caller renders the result with the
 * base image's noise seed, so only the linked regions change.
 *
 * @example
 * const [w] = await g.mapSeeds([7], 0.7);
 * const edited = await resampleRegions(g, w, [eyes], { seed: 3, mode: "replace", truncation: 0.7 });
 * const [img] = await g.render([edited], [7]);
 */
export async function resampleRegions(g: Generator, w: Float32Array, regions: readonly Region[], opts: ResampleOptions): Promise<Float32Array> {
  const ranges = regions.map((r) => r.axes);
  if (opts.mode === "replace") {
    const [wNew] = await g.mapSeeds([opts.seed], opts.truncation ?? 1);
    return resampleReplace(w, wNew!, ranges);
  }
  return resamplePerturb(w, latentFromSeed(opts.seed, w.length), opts.alpha ?? 1, ranges);
}
