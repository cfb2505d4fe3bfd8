import { describe, expect, it } from "vitest";
import { z } from "zod";
import { UsageError, command, int, list, num, oneOf, sameAs, str } from "./args.ts";

const cli = command({
  run: "npm run demo --",
  name: "demo",
  summary: "A command for the parser's tests.",
  flags: {
    model: { value: "DIR", help: "model folder", type: str(), required: true },
    seed: { value: "N", help: "latent seed", type: int(0, 4294967295), default: 0 },
    truncation: { value: "PSI", help: "truncation ψ", type: num(0, 2), default: 1 },
    wait: { value: "S", help: "seconds to wait", type: num(0, 60, { above: true }) },
    region: { value: "NAMES", help: "comma-separated region names", type: list() },
    mode: { value: "M", help: "replace or perturb", type: oneOf(["replace", "perturb"]), default: "replace" },
    once: { switch: true, help: "run once" },
    composite: { switch: true, help: "composite over the base", default: true },
  },
  positional: "model",
  examples: ["npm run demo -- weights/faces64 --seed 7"],
  check: (f) => (f.region && f.mode === "perturb" ? "--region with --mode perturb: not in this demo" : undefined),
});

const error = (argv: string[]): string => {
  try {
    cli.parse(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parsed: ${argv.join(" ")}`);
};

describe("command(): one declaration per flag", () => {
  it("parses values, defaults, switches, the positional and --flag=value", () => {
    expect(cli.parse(["--model", "m"])).toEqual({ model: "m", seed: 0, truncation: 1, wait: undefined, region: undefined, mode: "replace", once: false, composite: true });
    const f = cli.parse(["m", "--seed=7", "--truncation", "0.7", "--wait", "0.5", "--region", "left-eye, mouth", "--once", "--no-composite"]);
    expect(f).toMatchObject({ model: "m", seed: 7, truncation: 0.7, wait: 0.5, region: ["left-eye", "mouth"], once: true, composite: false });
    expect(cli.parse(["m", "--composite=false"]).composite).toBe(false);
  });

  it("takes a value starting with '-' as the value, so a negative number gets the range, not a parser riddle", () => {
    expect(error(["m", "--seed", "-3"])).toBe('--seed: must be an integer from 0 to 4294967295, got "-3"');
    expect(error(["m", "--truncation", "-0.5"])).toBe('--truncation: must be a number from 0 to 2 (decimal digits, e.g. 0.7), got "-0.5"');
  });

  it("refuses what Number() would accept or turn into NaN", () => {
    for (const v of ["abc", "", "0x10", "1e3", "7.5", " 7", "Infinity"]) expect(error(["m", "--seed", v])).toBe(`--seed: must be an integer from 0 to 4294967295, got ${JSON.stringify(v)}`);
    expect(error(["m", "--wait", "0"])).toBe('--wait: must be a number above 0 and at most 60 (decimal digits, e.g. 0.7), got "0"');
    expect(error(["m", "--mode", "swap"])).toBe('--mode: must be one of replace, perturb, got "swap"');
    expect(error(["m", "--region", ","])).toBe("--region: must name at least one (comma-separated)");
    expect(error(["--model", ""])).toBe("--model: must not be empty");
  });

  it("names every bad flag at once", () => {
    expect(error(["m", "--seed", "x", "--truncation", "3"])).toBe('--seed: must be an integer from 0 to 4294967295, got "x"; --truncation: must be a number from 0 to 2 (decimal digits, e.g. 0.7), got "3"');
  });

  it("says what to do when a required flag is missing: the flag, its meaning, the usage and an example", () => {
    expect(error([])).toBe(
      ["missing --model", "  DIR (or --model DIR): model folder", "Usage: npm run demo -- DIR [options]", "Example: npm run demo -- weights/faces64 --seed 7"].join("\n"),
    );
  });

  it("refuses unknown, repeated and value-less flags, and stray arguments", () => {
    expect(error(["m", "--sede", "3"])).toBe("unknown flag --sede (did you mean --seed?)");
    expect(error(["m", "--zzz"])).toMatch(/^unknown flag --zzz; the flags are --model, --seed, /);
    expect(error(["m", "--no-seed"])).toMatch(/^unknown flag --no-seed/);
    expect(error(["m", "--seed", "1", "--seed", "2"])).toBe("--seed: given twice");
    expect(error(["m", "--seed"])).toBe("--seed: needs a value (N): latent seed");
    expect(error(["m", "--seed", "--once"])).toBe("--seed: needs a value (N): latent seed");
    expect(error(["m", "--once=yes"])).toBe('--once: takes no value, or =true / =false; got "yes"');
    expect(error(["m", "n"])).toBe("unexpected arguments after DIR: n");
  });

  it("a command without flags refuses any, and its usage has no dangling --", () => {
    const none = command({ run: "npm run fixtures --", name: "fixtures", flags: {} });
    expect(() => none.parse(["--force"])).toThrow("unknown flag --force; this command takes no flags");
    expect(none.usage()).toBe("npm run fixtures");
  });

  it("runs the cross-flag check on parsed values", () => {
    expect(error(["m", "--region", "mouth", "--mode", "perturb"])).toBe("--region with --mode perturb: not in this demo");
  });

  it("generates --help from the same declaration: every flag once, with its default", () => {
    const help = cli.help();
    const options = help.slice(help.indexOf("Options:"), help.indexOf("Examples:"));
    expect(help.split("\n").slice(0, 2)).toEqual(["Usage: npm run demo -- DIR [options]", "A command for the parser's tests."]);
    for (const name of Object.keys(cli.spec.flags)) expect(options.match(new RegExp(`--(\\[no-\\])?${name}\\b`, "g")), name).toHaveLength(1);
    expect(help).toMatch(/ {2}--seed N +latent seed, an integer from 0 to 4294967295 \(default 0\)\n/);
    expect(help).toMatch(/ {2}--wait S +seconds to wait, a number above 0 and at most 60\n/);
    expect(help).toMatch(/ {2}--\[no-\]composite +composite over the base \(default on\)\n/);
    expect(help).toMatch(/ {2}DIR, --model DIR +model folder \(required\)\n/);
    expect(help).toContain("Examples:\n  npm run demo -- weights/faces64 --seed 7");
  });

  it("sameAs() takes another schema's bounds: integer or decimal, inclusive or exclusive", () => {
    const scale = sameAs(z.number().int().min(1).max(8));
    expect(scale.parse("8")).toBe(8);
    expect(scale.safeParse("9").error?.issues[0]?.message).toBe('must be an integer from 1 to 8, got "9"');
    expect(scale.safeParse("1.5").success).toBe(false);
    const alpha = sameAs(z.number().gt(0).max(10));
    expect(alpha.parse("0.5")).toBe(0.5);
    expect(alpha.safeParse("0").error?.issues[0]?.message).toBe('must be a number above 0 and at most 10 (decimal digits, e.g. 0.7), got "0"');
  });
});
