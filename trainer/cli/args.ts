/** Shared CLI plumbing: string flags validated by zod, errors as one line naming the flag. */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { z } from "zod";
import { describeZodError } from "../../shared/validation.ts";

export function fail(cmd: string, message: string): never {
  console.error(`${cmd}: ${message}`);
  process.exit(2);
}

/** Parse `--flag value` options; with `positional`, a bare first argument fills that flag. */
export function parseFlags<S extends z.ZodType>(cmd: string, schema: S, flags: string[], help: string, positional?: string, booleans: string[] = []): z.output<S> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(help);
    process.exit(0);
  }
  let values: Record<string, unknown>;
  try {
    const parsed = parseArgs({
      options: Object.fromEntries(flags.map((f) => [f, { type: booleans.includes(f) ? ("boolean" as const) : ("string" as const) }])),
      allowPositionals: positional !== undefined,
    });
    values = parsed.values;
    if (positional && parsed.positionals.length > 1) throw new Error(`unexpected arguments: ${parsed.positionals.slice(1).join(" ")}`);
    if (positional && parsed.positionals[0] !== undefined) values[positional] ??= parsed.positionals[0];
  } catch (e) {
    fail(cmd, `${(e as Error).message}\n${help}`);
  }
  const r = schema.safeParse(values);
  if (!r.success) fail(cmd, describeZodError(r.error).replace(/(^|; )([a-z-]+):/g, "$1--$2:"));
  return r.data;
}

/** Read and validate a JSON file; errors name the file and the field. */
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
