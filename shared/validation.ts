import type { z } from "zod";

/** Dotted path of a zod issue, e.g. `regions[1].axes.end`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "");
}

/** One line per problem, each naming the field: `regions[1].axes.end: must be ≤ 256`. */
export function describeZodError(err: z.ZodError, root = ""): string {
  return err.issues
    .map((i) => {
      const p = issuePath(i.path);
      const at = root && p ? `${root}.${p}` : root || p || "(root)";
      return `${at}: ${i.message}`;
    })
    .join("; ");
}

/** Parse or throw an Error whose message names every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(`${what}: ${describeZodError(r.error)}`, r.error);
  return r.data;
}

export class ValidationError extends Error {
  constructor(
    message: string,
    readonly zodError: z.ZodError,
  ) {
    super(message);
    this.name = "ValidationError";
  }
}
