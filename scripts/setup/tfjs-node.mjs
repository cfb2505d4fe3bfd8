#!/usr/bin/env node
/**
 * Makes @tensorflow/tfjs-node work offline (postinstall; safe to run again).
 *
 * tfjs-node's own install script downloads libtensorflow from storage.googleapis.com, which these
 * machines cannot reach, so package.json denies that script (allowScripts) and this one builds the
 * native binding against the TensorFlow C library shipped inside the tensorflow-cpu wheel that pip
 * serves: libtensorflow_cc.so.2 and libtensorflow_framework.so.2 export every TF_/TFE_ symbol the
 * binding needs. The wheel is cached in .cache/tensorflow-wheel/ (not in node_modules), so a fresh
 * `npm ci` does not download it again.
 *
 * A failure never fails `npm install`: the worker and the browser do not need tfjs-node, and the
 * trainer falls back to the pure-JS cpu backend. It is reported loudly, with the fix.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TF_VERSION = "2.21.0";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = join(root, "node_modules/@tensorflow/tfjs-node");
const cache = join(root, ".cache/tensorflow-wheel");
const t0 = Date.now();
const say = (msg) => console.error(`[tfjs-node] ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.error?.message}):\n${(r.stderr || r.stdout || "").slice(-2000)}`);
  return r.stdout;
}

function bindingLoads() {
  return spawnSync(process.execPath, ["-e", "require('@tensorflow/tfjs-node')"], { cwd: root, encoding: "utf8" }).status === 0;
}

function cudaNote() {
  const hasGpu = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8" }).status === 0;
  return hasGpu
    ? " A GPU is present, but tfjs-node-gpu needs a CUDA build of libtensorflow, which cannot be downloaded here; the CPU build is used."
    : "";
}

function main() {
  if (!existsSync(pkg)) return say("@tensorflow/tfjs-node is not installed; nothing to do");
  const binding = join(pkg, "lib/napi-v8/tfjs_binding.node");
  if (existsSync(binding) && bindingLoads()) {
    return say(`ready: the trainer uses the tensorflow backend (tfjs-node on libtensorflow ${TF_VERSION} from the tensorflow-cpu wheel).${cudaNote()}`);
  }

  // 1. The wheel (cached outside node_modules).
  mkdirSync(cache, { recursive: true });
  let wheel = readdirSync(cache).find((f) => f.startsWith(`tensorflow_cpu-${TF_VERSION}-`) && f.endsWith(".whl"));
  if (!wheel) {
    say(`downloading tensorflow-cpu==${TF_VERSION} with pip (about 270 MB) …`);
    run("python3", ["-m", "pip", "download", "--no-deps", "--quiet", `tensorflow-cpu==${TF_VERSION}`, "-d", cache]);
    wheel = readdirSync(cache).find((f) => f.startsWith(`tensorflow_cpu-${TF_VERSION}-`) && f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip reported success but no tensorflow_cpu-${TF_VERSION} wheel is in ${cache}`);
  }
  say(`wheel: ${wheel}`);

  // 2. Extract the C library and headers.
  const extracted = join(cache, `extracted-${TF_VERSION}`);
  if (!existsSync(join(extracted, "tensorflow/libtensorflow_cc.so.2"))) {
    say("extracting libtensorflow and headers …");
    run("python3", [
      "-c",
      "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist():\n    if n.startswith('tensorflow/libtensorflow') or n.startswith('tensorflow/include/'):\n        z.extract(n, sys.argv[2])",
      join(cache, wheel),
      extracted,
    ]);
  }

  // 3. Lay out deps/ as tfjs-node's binding.gyp expects.
  const deps = join(pkg, "deps");
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, "lib"), { recursive: true });
  symlinkSync(join(extracted, "tensorflow/include"), join(deps, "include"));
  for (const [name, target] of [
    ["libtensorflow.so", "libtensorflow_cc.so.2"],
    ["libtensorflow.so.2", "libtensorflow_cc.so.2"],
    ["libtensorflow_cc.so.2", "libtensorflow_cc.so.2"],
    ["libtensorflow_framework.so", "libtensorflow_framework.so.2"],
    ["libtensorflow_framework.so.2", "libtensorflow_framework.so.2"],
  ]) {
    symlinkSync(join(extracted, "tensorflow", target), join(deps, "lib", name));
  }

  // 4. Build the binding with npm's own node-gyp against this Node's headers.
  const npmCli = process.env.npm_execpath ?? join(run("npm", ["prefix", "-g"]).trim(), "lib/node_modules/npm/bin/npm-cli.js");
  const nodeGyp = join(dirname(npmCli), "../node_modules/node-gyp/bin/node-gyp.js");
  if (!existsSync(nodeGyp)) throw new Error(`npm's node-gyp not found at ${nodeGyp}`);
  const nodedir = process.env.npm_config_nodedir || (existsSync("/usr/include/node/node.h") ? "/usr" : "");
  say("building the native binding with node-gyp (about 10 s) …");
  // module_name/module_path/napi_build_version are what node-pre-gyp would pass to binding.gyp.
  const gypVars = ["--module_name=tfjs_binding", `--module_path=${dirname(binding)}`, "--napi_build_version=8"];
  run(process.execPath, [nodeGyp, "rebuild", ...gypVars, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: pkg });
  mkdirSync(dirname(binding), { recursive: true });
  copyFileSync(join(pkg, "build/Release/tfjs_binding.node"), binding);

  if (!bindingLoads()) throw new Error("the binding was built but require('@tensorflow/tfjs-node') still fails");
  say(`ready: the trainer uses the tensorflow backend (tfjs-node on libtensorflow ${TF_VERSION} from the tensorflow-cpu wheel).${cudaNote()}`);
}

try {
  main();
} catch (e) {
  console.error(`\n[tfjs-node] NOT AVAILABLE: ${e.message}`);
  console.error("[tfjs-node] The trainer will fall back to the pure-JS cpu backend (fine for tests, far too slow to train a model).");
  console.error("[tfjs-node] Fix: make `python3 -m pip download tensorflow-cpu==2.21.0` work (pip and its index), then run `node scripts/setup/tfjs-node.mjs`.\n");
}
