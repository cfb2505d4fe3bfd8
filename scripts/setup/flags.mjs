/**
 * The flag check of the plain-JavaScript set-up scripts (postinstall.mjs, tfjs-node.mjs,
 * tfjs-node-check.mjs). Every other command declares its flags with trainer/cli/args.ts, which is
 * TypeScript (run through tsx) and uses zod; these run under node alone at `npm ci`'s postinstall,
 * which must work without dev dependencies, so they use node:util's parseArgs (strict) and keep
 * args.ts's behaviour: `--help` prints the usage and exits 0; an unknown flag or a stray argument is
 * named on stderr, prefixed with the command's name, and exits 2 before any work. They take
 * switches only.
 */
import { parseArgs } from "node:util";

/**
 * Parse `argv` against a few switches, or print help / a usage error and exit.
 *
 * @param {{ name: string, run: string, summary: string, flags?: Record<string, string>, footer?: string }} spec
 *   name: the prefix of error messages; run: how it is run; flags: each switch's name and help.
 * @param {string[]} [argv] the arguments (default: the process's)
 * @returns {Record<string, boolean>} each declared switch, on or off
 *
 * @example
 * const { force } = parseFlags({ name: "tfjs-node", run: "node scripts/setup/tfjs-node.mjs", summary: "…", flags: { force: "rebuild" } });
 */
export function parseFlags(spec, argv = process.argv.slice(2)) {
  const flags = spec.flags ?? {};
  const rows = [...Object.entries(flags).map(([n, help]) => [`--${n}`, help]), ["-h, --help", "print this help"]];
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const help = [`Usage: ${Object.keys(flags).length ? `${spec.run} [options]` : spec.run.replace(/ --$/, "")}`, spec.summary, "", "Options:", ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`), ...(spec.footer ? ["", spec.footer] : [])].join("\n");
  const options = Object.fromEntries([...Object.keys(flags).map((n) => [n, { type: "boolean" }]), ["help", { type: "boolean", short: "h" }]]);
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    // parseArgs' own messages explain `--` at length; say what args.ts says instead.
    const given = /'([^']+)'/.exec(e.message)?.[1] ?? "";
    const message =
      e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
        ? `unknown flag ${given.startsWith("-") ? given : `--${given}`}; the flags are ${rows.map(([l]) => l.split(", ").at(-1)).join(", ")}`
        : e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL"
          ? `unexpected argument ${JSON.stringify(given)}: this command takes flags only`
          : e.message;
    console.error(`${spec.name}: ${message}\n(${spec.run} --help lists every flag)`);
    process.exit(2);
  }
  if (values.help) {
    console.log(help);
    process.exit(0);
  }
  return Object.fromEntries(Object.keys(flags).map((n) => [n, values[n] === true]));
}
