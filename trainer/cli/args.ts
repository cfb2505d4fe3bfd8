/** Shared CLI plumbing: string flags validated by zod, errors as one line naming the flag. */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { z } from "zod";
import { describeZodError } from "../../shared/validation.ts";

export function fail(cmd: string, message: string): never {
  console.error(`${cmd}: ${message}`);
  process.exit(2);
}

export function parseFlags<S extends z.ZodType>(cmd: string, schema: S, flags: string[], help: string): z.output<S> {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(help);
    process.exit(0);
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: Object.fromEntries(flags.map((f) => [f, { type: "string" as const }])), allowPositionals: false }).values;
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
