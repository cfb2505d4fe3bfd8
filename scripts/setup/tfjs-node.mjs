#!/usr/bin/env node
/**
 * Makes @tensorflow/tfjs-node work offline (root `postinstall`; safe and fast to run again).
 *
 * tfjs-node's own install script downloads libtensorflow from storage.googleapis.com, which these
 * machines cannot reach, so package.json denies that script (`"allowScripts": {"@tensorflow/tfjs-node":
 * false}`; npm 11 skips a denied dependency's install scripts) and this script builds the native
 * binding against the TensorFlow C library inside the tensorflow-cpu wheel that pip serves:
 * libtensorflow_cc.so.2 and libtensorflow_framework.so.2 export every TF_/TFE_ symbol the binding
 * needs.
 *
 *   1. `pip download --no-deps tensorflow-cpu==2.21.0` into .cache/tensorflow-wheel/ (git-ignored,
 *      outside node_modules, so reinstalling node_modules does not download it again)
 *   2. extract only tensorflow/libtensorflow*.so.2 and tensorflow/include/ (cached next to the wheel)
 *   3. node_modules/@tensorflow/tfjs-node/deps/{include,lib}: the two libraries are hard-linked
 *      (copied across file systems) into deps/lib, so the binding keeps working if .cache is
 *      deleted; libtensorflow.so and libtensorflow_framework.so are relative links beside them
 *   4. npm's bundled node-gyp builds the binding; binding.gyp links it with
 *      RUNPATH $ORIGIN/../../deps/lib, so no LD_LIBRARY_PATH is needed (checked below)
 *   5. build/Release/tfjs_binding.node is copied to lib/napi-v8/, where tfjs-node loads it from, and
 *      into the cache, so the next clean install reuses it instead of building (if it loads)
 *
 * A failure never fails `npm install` (the worker and the browser do not need tfjs-node; the
 * trainer falls back to the pure-JS cpu backend); it is reported loudly, with the fix.
 *
 *   node scripts/setup/tfjs-node.mjs           set up if needed, print the status
 *   node scripts/setup/tfjs-node.mjs --force   rebuild the binding even if it (or the cached one) loads
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseFlags } from "./flags.mjs";

const TF_VERSION = "2.21.0";
const WHEEL_PREFIX = `tensorflow_cpu-${TF_VERSION}-`;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = join(root, "node_modules/@tensorflow/tfjs-node");
const binding = join(pkg, "lib/napi-v8/tfjs_binding.node");
const cache = join(root, ".cache/tensorflow-wheel");
const extracted = join(cache, `extracted-${TF_VERSION}`);
const { force } = parseFlags({
  name: "tfjs-node",
  run: "node scripts/setup/tfjs-node.mjs",
  summary: `Builds @tensorflow/tfjs-node's native binding offline from the tensorflow-cpu ${TF_VERSION} wheel (pip), if it does not load yet, and prints the trainer's backend (npm ci's postinstall runs it).`,
  flags: { force: "rebuild the binding even if it (or the cached one) loads" },
});
const READY_BUILT = `backend for the trainer: tensorflow (CPU): built tfjs-node binding against tensorflow-cpu ${TF_VERSION} wheel`;
const READY = `backend for the trainer: tensorflow (CPU): tfjs-node binding already built against tensorflow-cpu ${TF_VERSION} wheel`;

const t0 = Date.now();
const secs = (t) => ((Date.now() - t) / 1000).toFixed(1);
const say = (msg) => console.error(`[tfjs-node ${secs(t0).padStart(5)} s] ${msg}`);

/** Run one step: a line when it starts and one with its duration when it ends. */
function step(label, fn) {
  const t = Date.now();
  say(`${label} …`);
  const result = fn();
  say(`${label}: done in ${secs(t)} s`);
  return result;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().slice(-3000);
    const shown = args.map((a) => (a.includes("\n") || a.length > 120 ? "…" : a)).join(" ");
    throw new Error(`\`${cmd} ${shown}\` failed (${why})${out ? `:\n${out}` : ""}`);
  }
  return r.stdout;
}

/**
 * Whether tfjs-node loads and its tensorflow backend initialises, in a fresh process without
 * LD_LIBRARY_PATH (so the binding's RUNPATH is what finds libtensorflow). Returns null or the error.
 */
function loadError() {
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" };
  delete env.LD_LIBRARY_PATH;
  const code =
    "const tf = require('@tensorflow/tfjs-node');" +
    "if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());" +
    "tf.tidy(() => tf.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 2, 2]), 1, 'same').dataSync());";
  const r = spawnSync(process.execPath, ["-e", code], { cwd: root, env, encoding: "utf8" });
  if (r.status === 0) return null;
  const lines = `${r.stderr}`.split("\n").filter((l) => /Error|error:|cannot open/.test(l));
  return lines.slice(0, 3).join(" | ") || `exit ${r.status ?? r.signal}`;
}

/** A line about the GPU, if there is one: tfjs-node-gpu cannot be set up here. */
function gpuNote() {
  const smi = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8" });
  const gpu = smi.status === 0 ? smi.stdout.split("\n")[0].trim() : "";
  const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8" });
  const libcuda =
    (ldconfig.status === 0 && /\blibcuda\.so\.1\b/.test(ldconfig.stdout)) ||
    ["/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib64/libcuda.so.1", "/usr/local/nvidia/lib64/libcuda.so.1"].some(existsSync);
  if (!gpu && !libcuda) return null;
  return (
    `CUDA is present (${gpu || "libcuda.so.1"}), but @tensorflow/tfjs-node-gpu needs a GPU build of libtensorflow, ` +
    "which cannot be downloaded here (pip serves only the tensorflow-cpu wheel's library), so the CPU build is used"
  );
}

/** A Python that has pip: [command, ...args before "-m pip"]. */
function findPython() {
  for (const py of ["python3", "python"]) {
    if (spawnSync(py, ["-m", "pip", "--version"], { encoding: "utf8" }).status === 0) return py;
  }
  throw new Error("no `python3 -m pip` (nor `python -m pip`) found on PATH; pip is needed to fetch the tensorflow-cpu wheel");
}

function cachedWheel() {
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache).find((f) => f.startsWith(WHEEL_PREFIX) && f.endsWith(".whl"));
}

function downloadWheel(python) {
  mkdirSync(cache, { recursive: true });
  const dl = (extra) =>
    run(python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--progress-bar", "off", "-d", cache, ...extra, `tensorflow-cpu==${TF_VERSION}`]);
  try {
    dl([]);
  } catch (e) {
    // The C library inside is the same for every CPython tag: if there is no wheel for this
    // interpreter (the index here has only cp311), ask for the cp311 one explicitly.
    say(`pip found no tensorflow-cpu ${TF_VERSION} wheel for this Python; asking for the cp311 manylinux one`);
    try {
      dl(["--python-version", "3.11", "--platform", "manylinux_2_27_x86_64", "--platform", "manylinux2014_x86_64"]);
    } catch {
      throw e;
    }
  }
  const wheel = cachedWheel();
  if (!wheel) throw new Error(`pip reported success but no ${WHEEL_PREFIX}*.whl is in ${cache}`);
  return wheel;
}

function extract(python, wheel) {
  const tmp = `${extracted}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  rmSync(extracted, { recursive: true, force: true });
  const script = [
    "import sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "names = [n for n in z.namelist() if n.startswith('tensorflow/include/') or (n.startswith('tensorflow/libtensorflow') and n.endswith('.so.2'))]",
    "missing = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'} - set(names)",
    "if missing: sys.exit('not in the wheel: ' + ', '.join(sorted(missing)))",
    "for n in names: z.extract(n, sys.argv[2])",
  ].join("\n");
  try {
    run(python, ["-c", script, join(cache, wheel), tmp]);
  } catch (e) {
    // A truncated or corrupt wheel: drop it so that the next run downloads it again.
    rmSync(join(cache, wheel), { force: true });
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not extract ${wheel} (removed it; the next install downloads it again): ${e.message}`);
  }
  writeFileSync(join(tmp, "COMPLETE"), `${wheel}\n`);
  renameSync(tmp, extracted);
}

function layOutDeps() {
  const deps = join(pkg, "deps");
  const lib = join(deps, "lib");
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  // Headers are needed only to build: link to the cache.
  symlinkSync(join(extracted, "tensorflow/include"), join(deps, "include"));
  // Libraries are needed at run time: hard links (no copy, no dependence on .cache existing).
  for (const name of ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]) {
    const from = join(extracted, "tensorflow", name);
    try {
      linkSync(from, join(lib, name));
    } catch {
      copyFileSync(from, join(lib, name));
    }
  }
  symlinkSync("libtensorflow_cc.so.2", join(lib, "libtensorflow.so"));
  symlinkSync("libtensorflow_cc.so.2", join(lib, "libtensorflow.so.2"));
  symlinkSync("libtensorflow_framework.so.2", join(lib, "libtensorflow_framework.so"));
}

/** npm's own node-gyp (npm's folder: from npm_execpath when npm runs us, else `npm prefix -g`). */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), ".."));
  try {
    const prefix = run("npm", ["prefix", "-g"]).trim();
    candidates.push(join(prefix, "lib/node_modules/npm"), join(prefix, "node_modules/npm"));
  } catch {
    /* no npm on PATH */
  }
  candidates.push(join(dirname(process.execPath), "../lib/node_modules/npm"));
  for (const npmDir of candidates) {
    const gyp = join(npmDir, "node_modules/node-gyp/bin/node-gyp.js");
    if (existsSync(gyp)) return gyp;
  }
  throw new Error(`npm's bundled node-gyp not found (looked in ${candidates.join(", ")})`);
}

/** Headers of the running Node (offline: node-gyp must not try to download them). */
function nodeDir() {
  const fromConfig = process.env.npm_config_nodedir;
  if (fromConfig && existsSync(join(fromConfig, "include/node/node.h"))) return fromConfig;
  const beside = resolve(dirname(process.execPath), "..");
  if (existsSync(join(beside, "include/node/node.h"))) return beside;
  return undefined; // node-gyp uses its header cache (~/.cache/node-gyp), or downloads them
}

function build() {
  const nodeGyp = findNodeGyp();
  const nodedir = nodeDir();
  // module_name/module_path/napi_build_version are what node-pre-gyp would pass to binding.gyp.
  const args = [nodeGyp, "rebuild", "--module_name=tfjs_binding", `--module_path=${dirname(binding)}`, "--napi_build_version=8"];
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  run(process.execPath, args, { cwd: pkg });
  mkdirSync(dirname(binding), { recursive: true });
  copyFileSync(join(pkg, "build/Release/tfjs_binding.node"), binding);
}

function main() {
  if (!existsSync(pkg)) {
    say("@tensorflow/tfjs-node is not installed; nothing to do (the trainer will use the pure-JS cpu backend)");
    return;
  }
  const gpu = gpuNote();
  if (!force && existsSync(binding) && loadError() === null) {
    say(READY);
    if (gpu) say(gpu);
    return;
  }

  const python = findPython();
  let wheel = cachedWheel();
  if (wheel) say(`using cached wheel .cache/tensorflow-wheel/${wheel}`);
  else wheel = step(`downloading tensorflow-cpu==${TF_VERSION} with pip (about 270 MB)`, () => downloadWheel(python));

  if (!existsSync(join(extracted, "COMPLETE"))) {
    step(`extracting libtensorflow*.so.2 and include/ from ${wheel}`, () => extract(python, wheel));
  } else say(`using cached extraction .cache/tensorflow-wheel/extracted-${TF_VERSION}`);

  layOutDeps();

  // The binding is N-API, so it depends only on tfjs-node's version, libtensorflow and the platform
  // (the Node ABI is in the name too, to be safe).
  const version = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).version;
  const built = join(cache, `tfjs_binding-${version}-tf${TF_VERSION}-node${process.versions.modules}-${process.platform}-${process.arch}.node`);
  if (!force && existsSync(built)) {
    mkdirSync(dirname(binding), { recursive: true });
    copyFileSync(built, binding);
    if (loadError() === null) {
      say(`${READY_BUILT} (reused the binding cached in .cache/tensorflow-wheel/)`);
      if (gpu) say(gpu);
      return;
    }
    say("the cached binding does not load; building it again");
    rmSync(built, { force: true });
  }

  step("building the binding with npm's node-gyp (about 10 s)", build);
  const err = loadError();
  if (err) throw new Error(`the binding was built but does not load without LD_LIBRARY_PATH: ${err}`);
  copyFileSync(binding, built);
  say(READY_BUILT);
  if (gpu) say(gpu);
}

try {
  main();
} catch (e) {
  const bar = "!".repeat(100);
  console.error(`\n${bar}`);
  console.error(`[tfjs-node] NOT AVAILABLE: ${e.message}`);
  console.error("[tfjs-node] backend for the trainer: cpu (pure JS): it works, but is far too slow to train a model (about 5,000x slower than tensorflow for a conv backward pass).");
  console.error(`[tfjs-node] Fix: make \`python3 -m pip download --no-deps tensorflow-cpu==${TF_VERSION}\` work (pip and its configured index),`);
  console.error("[tfjs-node]      or put the wheel in .cache/tensorflow-wheel/ yourself, then run `node scripts/setup/tfjs-node.mjs`.");
  console.error("[tfjs-node] npm install itself succeeded: the worker and the browser do not use tfjs-node.");
  console.error(`${bar}\n`);
}
