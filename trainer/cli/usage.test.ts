/**
 * Usage errors as a user meets them: the real commands, spawned as `npm run …` runs them, refusing
 * bad flags before any work, with exit status 2 and a message saying what to give instead.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
async function refused(script: string, ...args: string[]): Promise<string> {
  const r = await run("node", ["--import", "tsx", script, ...args], { timeout: 120_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  expect((r as { code?: number }).code, `${script} ${args.join(" ")}: ${r.stdout}`).toBe(2);
  return r.stderr;
}

describe("the CLIs' usage errors", () => {
  it("bare npm run train names the missing flags, what they are, the usage and an example", async () => {
    expect(await refused("trainer/cli/train.ts")).toBe(
      [
        "train: missing --config and --run",
        "  --config FILE: training config (JSON, see trainer/configs/)",
        "  --run DIR: run folder (created, or resumed if it has checkpoints)",
        "Usage: npm run train -- --config FILE --run DIR [options]",
        "Example: npm run train -- --config trainer/configs/faces64-pretrain.json --run runs/faces64-pretrain",
        "(npm run train -- --help lists every flag)",
        "",
      ].join("\n"),
    );
  });

  it("numbers that Number() would take (abc, 1e3) and out-of-range ones (0, -1) get the range to use", async () => {
    const [bench, metrics, agent] = await Promise.all([
      refused("scripts/bench/generate.ts", "--runs", "abc"),
      refused("trainer/cli/metrics.ts", "weights/faces64", "--samples", "0", "--swd-images", "1e3"),
      refused("trainer/cli/agent.ts", "--api", "localhost", "--wait", "-1"),
    ]);
    expect(bench).toBe('bench: --runs: must be an integer from 1 to 1000, got "abc"\n(npm run bench -- --help lists every flag)\n');
    expect(metrics).toMatch(/^metrics: --samples: must be an integer from 1 to 1000000, got "0"; --swd-images: must be an integer from 0 to 1000000, got "1e3"\n/);
    expect(agent).toMatch(/^agent: --api: must be a URL such as http:\/\/localhost:8787, got "localhost"; --wait: must be a number above 0 and at most 86400 \(decimal digits, e.g. 0.7\), got "-1"\n/);
  });
});
