import { z } from "zod";

const unit = z.number().min(0).max(1);

/** A half-open range [start, end) of W axes. */
export const AxisRange = z
  .object({ start: z.number().int().min(0), end: z.number().int().min(1) })
  .strict()
  .refine((r) => r.end > r.start, { message: "end must be greater than start", path: ["end"] });
export type AxisRange = z.infer<typeof AxisRange>;

/** A rectangle in image fractions: (x, y) is the top-left corner. */
export const BoxMask = z
  .object({ kind: z.literal("box"), x: unit, y: unit, width: unit.positive(), height: unit.positive() })
  .strict()
  .refine((b) => b.x + b.width <= 1 + 1e-9, { message: "x + width must be ≤ 1", path: ["width"] })
  .refine((b) => b.y + b.height <= 1 + 1e-9, { message: "y + height must be ≤ 1", path: ["height"] });

/** An axis-aligned ellipse in image fractions. */
export const EllipseMask = z
  .object({ kind: z.literal("ellipse"), cx: unit, cy: unit, rx: unit.positive(), ry: unit.positive() })
  .strict();

/** A mask drawn as a PNG (base64): any size; resized (nearest) to the model's resolution; non-black = inside. */
export const ImageMask = z
  .object({ kind: z.literal("image"), png: z.base64().min(8) })
  .strict();

/** A semantic category: the mask of each image comes from a segmenter (#7). */
export const SemanticMask = z
  .object({ kind: z.literal("semantic"), class: z.string().min(1).max(64) })
  .strict();

export const RegionMask = z.discriminatedUnion("kind", [BoxMask, EllipseMask, ImageMask, SemanticMask]);
export type RegionMask = z.infer<typeof RegionMask>;
export type FixedMask = Exclude<RegionMask, { kind: "semantic" }>;

/** A region's identifier, as URLs and CLI flags name it. */
export const RegionName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "must be 1–32 chars of a-z, 0-9, _ or -, starting with a letter");

export const Region = z
  .object({
    /** Identifier used in URLs and CLI flags. */
    name: RegionName,
    /** Human-readable label, e.g. "Left eye". */
    label: z.string().min(1).max(64).optional(),
    axes: AxisRange,
    mask: RegionMask,
  })
  .strict();
export type Region = z.infer<typeof Region>;

/**
 * The linked regions of a model with W of `wDim` axes: names unique, axis ranges inside W and
 * pairwise disjoint. Errors name the offending field, e.g. `[2].axes: overlaps regions[0] ("left-eye")`.
 *
 * @example
 * regionsSchema(256).parse([{ name: "mouth", axes: { start: 0, end: 64 },
 *   mask: { kind: "box", x: 0.3, y: 0.65, width: 0.4, height: 0.2 } }]);
 */
export function regionsSchema(wDim: number) {
  return z.array(Region).superRefine((regions, ctx) => {
    regions.forEach((r, i) => {
      if (r.axes.end > wDim) {
        ctx.addIssue({ code: "custom", path: [i, "axes", "end"], message: `must be ≤ wDim (${wDim}), got ${r.axes.end}` });
      }
      for (let j = 0; j < i; j++) {
        const o = regions[j]!;
        if (o.name === r.name) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate region name "${r.name}"` });
        if (r.axes.start < o.axes.end && o.axes.start < r.axes.end) {
          ctx.addIssue({
            code: "custom",
            path: [i, "axes"],
            message: `[${r.axes.start}, ${r.axes.end}) overlaps regions[${j}] ("${o.name}") at [${o.axes.start}, ${o.axes.end})`,
          });
        }
      }
    });
  });
}
