#!/usr/bin/env node
/**
 * npm ci's `postinstall`: the two set-up steps outside node_modules' own packages.
 *
 *   1. scripts/setup/debian-packages.sh --with-chromium: Mesa's EGL packages (the trainer's webgpu
 *      backend) and chromium (the browser tests), installed with apt-get when missing. This needs
 *      root; as another user it prints the `sudo apt-get install …` line to run instead.
 *   2. scripts/setup/tfjs-node.mjs: tfjs-node's native binding, built offline from the
 *      tensorflow-cpu wheel that pip serves (the trainer's fast backend; cached in .cache/).
 *
 * Neither can fail the install: each says what is missing and how to fix it. With
 * LINKGAN_SKIP_SYSTEM_PACKAGES=1 both are skipped with one line, for a user who wants only the
 * worker and the client (`npm run dev`, `wrangler deploy`): nothing is installed as root and pip is
 * not called. The trainer then runs on the pure-JS cpu backend, and the browser tests need chromium
 * from elsewhere (CHROMIUM_PATH).
 *
 * @example
 * // LINKGAN_SKIP_SYSTEM_PACKAGES=1 npm ci
 * // [setup] LINKGAN_SKIP_SYSTEM_PACKAGES=1: skipped the Debian packages (apt-get, as root) and tfjs-node's binding (pip); the worker needs neither
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFlags } from "./flags.mjs";

// npm runs it with no arguments; `npm run postinstall -- --help` says what it would do, and a
// mistyped flag is refused instead of ignored, before anything is installed.
parseFlags({
  name: "postinstall",
  run: "npm run postinstall --",
  summary:
    "npm ci's set-up outside node_modules: Debian packages with apt-get, as root (scripts/setup/debian-packages.sh --with-chromium), and tfjs-node's binding (scripts/setup/tfjs-node.mjs). Neither can fail the install.",
  footer: "Environment: LINKGAN_SKIP_SYSTEM_PACKAGES=1 skips both, for a user who wants only the worker and the client.",
});

const here = dirname(fileURLToPath(import.meta.url));

if (process.env.LINKGAN_SKIP_SYSTEM_PACKAGES === "1") {
  console.log("[setup] LINKGAN_SKIP_SYSTEM_PACKAGES=1: skipped the Debian packages (apt-get, as root) and tfjs-node's binding (pip); the worker needs neither");
  process.exit(0);
}

const debian = spawnSync("sh", [join(here, "debian-packages.sh"), "--with-chromium"], { stdio: "inherit" });
if (debian.status !== 0) {
  console.log(
    "[setup] Debian packages missing (see above): WebGPU in Node and/or the browser tests (chromium) will be unavailable; everything else works. " +
      "LINKGAN_SKIP_SYSTEM_PACKAGES=1 npm ci skips this step (and tfjs-node's binding) quietly.",
  );
}
// The binding's own script reports its outcome and never fails the install.
spawnSync(process.execPath, [join(here, "tfjs-node.mjs")], { stdio: "inherit" });
