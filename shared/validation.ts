import { z } from "zod";

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

/** A decimal integer as a URL query writes it: digits, optionally signed with "-". */
export const QUERY_INTEGER = /^-?[0-9]{1,16}$/;
/** A decimal number as a URL query writes it: an integer, optionally with a fraction (`0.7`). */
export const QUERY_DECIMAL = /^-?[0-9]{1,16}(\.[0-9]{1,16})?$/;

/**
 * The one parser of numbers in URL queries: `schema` (bounds, integrality) applied to a decimal
 * integer, or with `kind: "decimal"` a decimal number. `Number()` alone also takes `0x10`, `1e1`,
 * `0b101`, `+7`, `" 7"` and `Infinity`, which would make several spellings of one request (and
 * of one cache key) and hide typos. An absent or empty value is `undefined`, for `schema` to judge.
 *
 * @example
 * const Query = z.object({ seed: queryNumber(z.number().int().min(0), "integer").optional() });
 * Query.parse({ seed: "7" }); // { seed: 7 };  { seed: "0x7" } fails: must be a decimal integer
 */
export function queryNumber<T extends z.ZodType>(schema: T, kind: "integer" | "decimal") {
  const pattern = kind === "integer" ? QUERY_INTEGER : QUERY_DECIMAL;
  const spelled = kind === "integer" ? "a decimal integer (digits, e.g. 7)" : "a decimal number (digits with an optional fraction, e.g. 0.7)";
  return z.preprocess((v, ctx) => {
    if (v === undefined || v === "") return undefined;
    if (typeof v === "string" && pattern.test(v)) return Number(v);
    ctx.addIssue({ code: "custom", message: `must be ${spelled}, got ${JSON.stringify(String(v).slice(0, 40))}` });
    return z.NEVER;
  }, schema);
}
