/**
 * The one flag parser of every CLI and script (npm run generate, train, metrics, bench, …). A
 * command declares each flag once: its value's name in the help (`N`, `FILE`), a sentence, a zod
 * schema that parses the string given on the command line, and its default. The parser, the usage
 * line, the `--help` text and the error messages all come from that declaration, so they cannot
 * disagree. Numbers are decimal only, spelled as the API's queries spell them
 * (`shared/validation.ts`), so `--runs abc`, `--runs 0x10` and `--runs ""` are refused with the range to use instead
 * of becoming NaN or a surprise.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { QUERY_DECIMAL, QUERY_INTEGER, describeZodError } from "../../shared/validation.ts";

/** A flag that takes a value: `--seed 7`, `--seed=7`. */
export interface ValueFlag<S extends z.ZodType = z.ZodType> {
  /** The value's name in `--help` and the usage line, e.g. `N`, `FILE`, `DIR`. */
  value: string;
  help: string;
  /** Parses the string from the command line (its input is always a string). */
  type: S;
  /** Used when the flag is absent, and shown in `--help`. */
  default?: z.output<S>;
  /** Shown as the default in `--help` in place of `default` (e.g. `seed-<N>.png`). */
  defaultText?: string;
  /** The command cannot run without it: listed in the usage line and named when missing. */
  required?: true;
}

/** An on/off flag: `--once`; with `default: true`, `--no-composite` turns it off. */
export interface SwitchFlag {
  switch: true;
  help: string;
  default?: boolean;
}

export type Flag = ValueFlag | SwitchFlag;

/** The parsed flags of a command: required and defaulted flags are always present. */
export type Parsed<F extends Record<string, Flag>> = {
  [K in keyof F]: F[K] extends SwitchFlag ? boolean : F[K] extends ValueFlag<infer S> ? (F[K] extends { default: unknown } | { required: true } ? z.output<S> : z.output<S> | undefined) : never;
};

export interface CommandSpec<F extends Record<string, Flag>> {
  /** How the command is run, e.g. `npm run generate --` or `npm run encoder -- train`. */
  run: string;
  /** Its name in error messages, e.g. `generate`, `encoder train`. */
  name: string;
  /** One or more lines printed under the usage line. */
  summary?: string;
  flags: F;
  /** A flag that may also be given as the first bare argument (`npm run metrics -- weights/faces64`). */
  positional?: keyof F & string;
  /** Full command lines printed under the flags and with a missing-flag error. */
  examples?: string[];
  /** Printed last in `--help` (exit statuses, notes). */
  footer?: string;
  /** Checks across flags: a message (naming the flags) when the combination is invalid. */
  check?: (flags: Parsed<F>) => string | undefined;
}

/** A usage error: the message names the flag and what to give instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface Command<F extends Record<string, Flag>> {
  readonly spec: CommandSpec<F>;
  /** The `--help` text. */
  help(): string;
  /** The usage line, e.g. `npm run train -- --config FILE --run DIR [options]`. */
  usage(): string;
  /** Parse `argv` (without node and the script); throws UsageError. `--help` is not handled here. */
  parse(argv: readonly string[]): Parsed<F>;
  /** Parse `process.argv`: print `--help` and exit 0, or print a usage error and exit 2. */
  parseOrExit(argv?: readonly string[]): Parsed<F>;
}

/**
 * Declare a command's flags once; parse, usage, `--help` and errors derive from it.
 *
 * @example
 * const cli = command({
 *   run: "npm run bench --",
 *   name: "bench",
 *   flags: { runs: { value: "N", help: "timed runs per row", type: int(1, 1000), default: 7 } },
 * });
 * const { runs } = cli.parseOrExit(); // `--runs abc`: "bench: --runs: must be an integer from 1 to 1000, got "abc""
 */
export function command<const F extends Record<string, Flag>>(spec: CommandSpec<F>): Command<F> {
  const names = Object.keys(spec.flags);
  const isSwitch = (f: Flag): f is SwitchFlag => "switch" in f;
  const left = (name: string, f: Flag) => (isSwitch(f) ? (f.default ? `--[no-]${name}` : `--${name}`) : `--${name} ${f.value}`);
  const required = names.filter((n) => !isSwitch(spec.flags[n]!) && (spec.flags[n] as ValueFlag).required);
  const usage = () =>
    [
      // `npm run x --` passes what follows to the script; with no flags there is nothing to pass.
      names.length ? spec.run : spec.run.replace(/ --$/, ""),
      spec.positional ? (spec.flags[spec.positional] as ValueFlag).value : undefined,
      ...required.filter((n) => n !== spec.positional).map((n) => left(n, spec.flags[n]!)),
      names.length > required.length ? "[options]" : undefined,
    ]
      .filter(Boolean)
      .join(" ");
  const defaultOf = (f: Flag): string | undefined => {
    if (isSwitch(f)) return f.default ? "on" : undefined;
    if (f.defaultText !== undefined) return f.defaultText;
    if (f.default === undefined) return undefined;
    return Array.isArray(f.default) ? f.default.join(",") : String(f.default);
  };
  const help = () => {
    const rows = names.map((n) => {
      const f = spec.flags[n]!;
      const d = defaultOf(f);
      // A number's range comes from its type (`int`, `num`), so the help cannot state another.
      const range = isSwitch(f) ? undefined : f.type.description;
      const notes = [range ? `${f.help}, ${range}` : f.help, d !== undefined ? `(default ${d})` : undefined, !isSwitch(f) && f.required ? "(required)" : undefined];
      return [n === spec.positional ? `${(f as ValueFlag).value}, ${left(n, f)}` : left(n, f), notes.filter(Boolean).join(" ")] as const;
    });
    rows.push(["-h, --help", "print this help"]);
    const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)) + 2);
    const lines = [`Usage: ${usage()}`, ...(spec.summary ? [spec.summary] : []), "", "Options:"];
    for (const [l, r] of rows) lines.push(...wrap(r, 100 - 2 - width).map((text, i) => `  ${(i === 0 ? l : "").padEnd(l.length > width - 2 && i === 0 ? l.length + 2 : width)}${text}`));
    if (spec.examples?.length) lines.push("", "Examples:", ...spec.examples.map((e) => `  ${e}`));
    if (spec.footer) lines.push("", spec.footer);
    return lines.join("\n");
  };

  const parse = (argv: readonly string[]): Parsed<F> => {
    const raw = new Map<string, string | boolean>();
    const bare: string[] = [];
    const set = (name: string, v: string | boolean) => {
      if (raw.has(name)) throw new UsageError(`--${name}: given twice`);
      raw.set(name, v);
    };
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === "--") {
        bare.push(...argv.slice(i + 1));
        break;
      }
      if (!arg.startsWith("--")) {
        bare.push(arg);
        continue;
      }
      const eq = arg.indexOf("=");
      const given = arg.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      const negated = given.startsWith("no-") && !(given in spec.flags) ? given.slice(3) : undefined;
      const name = negated ?? given;
      const f = spec.flags[name];
      if (!f || (negated !== undefined && !isSwitch(f))) throw new UsageError(`unknown flag --${given}${suggest(given, names)}`);
      if (isSwitch(f)) {
        if (inline !== undefined && !/^(true|false)$/.test(inline)) throw new UsageError(`--${name}: takes no value, or =true / =false; got "${inline}"`);
        set(name, negated === undefined && inline !== "false");
        continue;
      }
      if (inline !== undefined) {
        set(name, inline);
        continue;
      }
      // The next argument is the value even when it starts with "-" (`--seed -3`), unless it is a
      // flag itself: then the value was forgotten.
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name}: needs a value (${f.value}): ${f.help}`);
      set(name, next);
      i++;
    }
    if (bare.length) {
      if (!spec.positional) throw new UsageError(`unexpected argument ${JSON.stringify(bare[0])}: every value follows its flag (--name VALUE)`);
      if (bare.length > 1) throw new UsageError(`unexpected arguments after ${(spec.flags[spec.positional] as ValueFlag).value}: ${bare.slice(1).join(" ")}`);
      set(spec.positional, bare[0]!);
    }

    const missing = required.filter((n) => !raw.has(n));
    if (missing.length) {
      const what = missing.map((n) => `${n === spec.positional ? `${(spec.flags[n] as ValueFlag).value} (or ${left(n, spec.flags[n]!)})` : left(n, spec.flags[n]!)}: ${spec.flags[n]!.help}`);
      throw new UsageError([`missing ${missing.map((n) => `--${n}`).join(" and ")}`, ...what.map((w) => `  ${w}`), `Usage: ${usage()}`, ...(spec.examples?.length ? [`Example: ${spec.examples[0]}`] : [])].join("\n"));
    }
    const out: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const n of names) {
      const f = spec.flags[n]!;
      const v = raw.get(n);
      if (isSwitch(f)) {
        out[n] = v ?? f.default ?? false;
        continue;
      }
      if (v === undefined) {
        out[n] = f.default;
        continue;
      }
      const r = f.type.safeParse(v);
      if (r.success) out[n] = r.data;
      else problems.push(describeZodError(r.error, `--${n}`));
    }
    if (problems.length) throw new UsageError(problems.join("; "));
    const parsed = out as Parsed<F>;
    const bad = spec.check?.(parsed);
    if (bad) throw new UsageError(bad);
    return parsed;
  };

  return {
    spec,
    help,
    usage,
    parse,
    parseOrExit(argv = process.argv.slice(2)) {
      const end = argv.indexOf("--");
      if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
        console.log(help());
        process.exit(0);
      }
      try {
        return parse(argv);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        fail(spec.name, `${e.message}\n(${spec.run} --help lists every flag)`);
      }
    },
  };
}

/**
 * The subcommand a CLI with several (`npm run encoder -- train|export|evaluate`) was asked for,
 * from the first argument: `--help` (or nothing valid) prints each one's usage and summary. Parse
 * its flags with `commands[name].parseOrExit(argv.slice(1))`.
 *
 * @example
 * const which = subcommand("segmenter", { train: trainCli, export: exportCli }); // "train" | "export"
 * if (which === "train") { const f = trainCli.parseOrExit(process.argv.slice(3)); … }
 */
// biome-ignore lint/suspicious/noExplicitAny: commands of any flags
export function subcommand<const C extends Record<string, Command<any>>>(name: string, commands: C, argv: readonly string[] = process.argv.slice(2)): keyof C & string {
  const names = Object.keys(commands);
  const overview = ["Usage:", ...Object.values(commands).flatMap((c) => [`  ${c.usage()}`, ...(c.spec.summary ? wrap(c.spec.summary, 90).map((l) => `      ${l}`) : [])]), `Each command's --help lists its flags (e.g. ${Object.values(commands)[0]!.spec.run} --help).`].join("\n");
  const first = argv[0];
  if (first !== undefined && names.includes(first)) return first;
  if (first === "--help" || first === "-h") {
    console.log(overview);
    process.exit(0);
  }
  const choices = names.map((n) => JSON.stringify(n));
  fail(name, `first argument must be ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}, got ${first === undefined ? "nothing" : JSON.stringify(first)}\n${overview}`);
}

/** ` (did you mean --seed?)` for a misspelt flag: the closest names within two edits (or those it starts), else the list. */
function suggest(given: string, names: string[]): string {
  if (names.length === 0) return "; this command takes no flags";
  const d = new Map(names.map((n) => [n, n.startsWith(given) ? 0 : editDistance(n, given)]));
  const best = Math.min(...d.values());
  const close = best <= 2 ? names.filter((n) => d.get(n) === best) : [];
  return close.length ? ` (did you mean ${close.map((n) => `--${n}`).join(" or ")}?)` : `; the flags are ${names.map((n) => `--${n}`).join(", ")}`;
}

/** Edits between two names, a swap of neighbours counting as one (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

// ---- value types: each parses the command line's string and says what to give when it fails ----

const range = (min: number, max: number) => (max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`);

/** A decimal number as the API's queries write it (no `0x10`, `1e3`, `Infinity`, `""`), checked by `ok`. */
const decimal = (pattern: RegExp, says: string, ok: (n: number) => boolean) =>
  z.string().transform((s, ctx) => {
    const n = pattern.test(s) ? Number(s) : Number.NaN;
    if (ok(n)) return n;
    ctx.addIssue({ code: "custom", message: `${says}, got ${JSON.stringify(s)}`, input: s });
    return z.NEVER;
  });

/**
 * A decimal integer in [min, max].
 *
 * @example
 * int(0, MAX_SEED).parse("7"); // 7;  "-3", "7.5", "0x7", "abc": must be an integer from 0 to 4294967295
 */
export function int(min: number, max = Number.POSITIVE_INFINITY) {
  return decimal(QUERY_INTEGER, `must be an integer ${range(min, max)}`, (n) => Number.isSafeInteger(n) && n >= min && n <= max).describe(`an integer ${range(min, max)}`);
}

/**
 * A decimal number (digits with an optional fraction) in [min, max], or above `min` with `{ above: true }`.
 *
 * @example
 * num(0, 2).parse("0.7"); // 0.7
 * num(0, 60, { above: true }).parse("0"); // fails: must be a number above 0 and at most 60, got "0"
 */
export function num(min: number, max = Number.POSITIVE_INFINITY, opts: { above?: boolean } = {}) {
  const says = opts.above ? `must be a number above ${min}${max === Number.POSITIVE_INFINITY ? "" : ` and at most ${max}`}` : `must be a number ${range(min, max)}`;
  return decimal(QUERY_DECIMAL, `${says} (decimal digits, e.g. 0.7)`, (n) => (opts.above ? n > min : n >= min) && n <= max).describe(says.replace(/^must be /, ""));
}

/**
 * A number flag with the bounds of a zod number schema that something else also uses (the API's
 * own field schemas, shared/render/request.ts), so the CLI and the API cannot disagree: integer or
 * decimal, inclusive or exclusive, as that schema says (read through its JSON Schema).
 *
 * @example
 * sameAs(Scale).parse("9"); // fails: must be an integer from 1 to 8, got "9" (the API's `scale` bound)
 */
export function sameAs(schema: z.ZodNumber) {
  const j = z.toJSONSchema(schema) as { type: string; minimum?: number; maximum?: number; exclusiveMinimum?: number };
  const max = j.maximum ?? Number.POSITIVE_INFINITY;
  if (j.type === "integer") return int(j.minimum ?? Number.MIN_SAFE_INTEGER, max);
  if (j.exclusiveMinimum !== undefined) return num(j.exclusiveMinimum, max, { above: true });
  return num(j.minimum ?? Number.NEGATIVE_INFINITY, max);
}

/**
 * A non-empty string (a path, a name).
 *
 * @example
 * const flags = { run: { value: "DIR", help: "run folder", type: str(), required: true } } as const;
 */
export const str = () => z.string().min(1, "must not be empty");

/**
 * A comma-separated list of non-empty names.
 *
 * @example
 * list().parse("left-eye, mouth"); // ["left-eye", "mouth"];  "," fails: must name at least one
 */
export const list = () =>
  z
    .string()
    .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
    .refine((a) => a.length > 0, "must name at least one (comma-separated)");

/**
 * One of a few words.
 *
 * @example
 * oneOf(["int8", "float16", "float32"]).parse("int4"); // fails: must be one of int8, float16, float32, got "int4"
 */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: (i) => `must be one of ${values.join(", ")}, got "${i.input}"` });

// ---- other CLI plumbing ----

/**
 * Print `cmd: message` on stderr and exit 2 (a usage or input error, before any work).
 *
 * @example
 * if (!config.dataset) fail("train", `${file}: dataset: required to train`);
 */
export function fail(cmd: string, message: string): never {
  console.error(`${cmd}: ${message}`);
  process.exit(2);
}

/**
 * Read and validate a JSON file; errors name the file and the field, and exit 2.
 *
 * @example
 * const config = await readJson("train", flags.config, TrainConfig); // "train: c.json: batch: Too small: …"
 */
export async function readJson<S extends z.ZodType>(cmd: string, file: string, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    fail(cmd, `${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) fail(cmd, describeZodError(r.error, file));
  return r.data;
}
