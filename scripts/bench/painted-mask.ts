/**
 * The painted mask the benchmarks edit with (#13's "painted 10% mask"): a blob of 10% of the
 * image's area over the lower face, where the widget's brush would paint one, covering the mouth
 * region of the faces64 models. `npm run bench:api` uploads it to the API; `npm run bench:browser`
 * hands it to the client in the page.
 *
 * @example
 * const mask = paintedMask(64); // { size: 64, data: Uint8Array(4096) }, 410 pixels inside
 */
import { type BinaryMask, rasterizeMask } from "../../shared/regions/mask.ts";

/** An ellipse of area π·rx·ry = 0.1 of the image, centred below the middle. */
export const PAINTED_MASK = { kind: "ellipse", cx: 0.42, cy: 0.7, rx: 0.2, ry: 0.1 / (Math.PI * 0.2) } as const;

export const paintedMask = (resolution: number): BinaryMask => rasterizeMask(PAINTED_MASK, resolution);
