/**
 * Every command in package.json's `scripts`, and the set-up scripts postinstall runs, as a user
 * meets them: `--help` prints the usage and exits 0, and an unknown flag is refused by name with
 * exit status 2, before any work. Each entry point is spawned as its npm script runs it (node, with
 * tsx for TypeScript), with the flag appended as `npm run x -- --flag` would. A script added to
 * package.json is checked without editing this file, or must be named below as not a CLI.
 *
 * Time: each spawn loads the command's imports before its flags are parsed (static imports come
 * first in an ES module; TensorFlow.js among them for the trainer's commands), about 0.5–2.5 s
 * each here, so they run a few at a time.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;

/** Scripts whose arguments go to another tool, so there is no flag of this project's to check. */
const NOT_CLIS: Record<string, string> = {
  test: "npm run check, build:client, then vitest: its arguments go to vitest",
  check: "tsc and biome lint, which take their own flags",
  dev: "build:client, dev:seed, then wrangler dev: its arguments go to wrangler dev",
};

/** The program that receives `npm run <name> -- …`'s arguments: the last `node [--import tsx] FILE` of the script. */
function entry(command: string): string[] | undefined {
  const last = [...command.matchAll(/\bnode((?: --import tsx)?) (\S+)/g)].at(-1);
  return last && [...(last[1] ? ["--import", "tsx"] : []), last[2]!];
}

const entries = Object.entries(scripts)
  .filter(([name]) => !(name in NOT_CLIS))
  .map(([name, command]) => ({ name: `npm run ${name}`, argv: entry(command), command }));
// Run by postinstall and documented to be run by hand (`--force`); plain node, as there.
entries.push(...["tfjs-node", "tfjs-node-check"].map((f) => ({ name: `node scripts/setup/${f}.mjs`, argv: [`scripts/setup/${f}.mjs`], command: "" })));

async function spawn(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, argv, { timeout: 30_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code?: number; killed?: boolean; stdout: string; stderr: string };
    if (err.killed || typeof err.code !== "number") throw e;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("every npm run command", () => {
  it("is a node entry point, or named here as not a CLI", () => {
    expect(entries.filter((e) => !e.argv).map((e) => `${e.name}: ${e.command}`)).toEqual([]);
    for (const name of Object.keys(NOT_CLIS)) expect(scripts, name).toHaveProperty(name);
  });

  describe.concurrent.each(entries.filter((e) => e.argv))("$name", ({ argv }) => {
    it("answers --help with its usage and exit 0", async () => {
      const r = await spawn([...argv!, "--help"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Usage:/);
    });

    it("refuses an unknown flag by name with exit 2", async () => {
      const r = await spawn([...argv!, "--no-such-flag"]);
      expect(r.code, r.stdout).toBe(2);
      expect(r.stderr).toContain("--no-such-flag");
    });
  });
});
