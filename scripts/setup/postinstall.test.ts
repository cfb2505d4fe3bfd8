/**
 * npm ci's postinstall as package.json runs it: with LINKGAN_SKIP_SYSTEM_PACKAGES=1 it installs
 * nothing (no apt-get as root, no pip) and says so in one line; without it, the two set-up steps run
 * (here they find everything in place, and tfjs-node's step reports its binding).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const postinstall = (env: Record<string, string>) => run("npm", ["run", "--silent", "postinstall"], { env: { ...process.env, ...env }, timeout: 300_000 });

describe("postinstall", () => {
  it("LINKGAN_SKIP_SYSTEM_PACKAGES=1 skips both steps quietly and succeeds", async () => {
    const { stdout, stderr } = await postinstall({ LINKGAN_SKIP_SYSTEM_PACKAGES: "1" });
    expect(stderr).toBe("");
    expect(stdout).toBe("[setup] LINKGAN_SKIP_SYSTEM_PACKAGES=1: skipped the Debian packages (apt-get, as root) and tfjs-node's binding (pip); the worker needs neither\n");
  });

  it("without it, the steps run and report", async () => {
    const { stdout, stderr } = await postinstall({ LINKGAN_SKIP_SYSTEM_PACKAGES: "" });
    expect(`${stdout}${stderr}`).toMatch(/\[tfjs-node .*\] backend for the trainer: /);
    expect(stdout).not.toContain("skipped");
  });
});
