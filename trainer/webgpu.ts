/**
 * WebGPU in Node for tfjs-backend-webgpu, through Dawn (the `webgpu` npm package). On machines
 * without a GPU two software adapters work (measured on Debian 12 with Node 20):
 *   llvmpipe     Mesa's llvmpipe through Dawn's OpenGL ES backend, EGL_PLATFORM=surfaceless and a
 *                *compatibility* feature-level adapter (Dawn offers no core adapter on GLES). Fastest.
 *                Debian: libegl-dev (Dawn dlopens the unversioned libEGL.so), libegl-mesa0, libgl1-mesa-dri.
 *   swiftshader  SwiftShader through Dawn's Vulkan backend, with VK_ICD_FILENAMES pointing at the ICD
 *                that Debian's chromium ships. 7–14× slower. Debian: libvulkan1, chromium.
 * `sh scripts/setup/debian-packages.sh [--with-swiftshader]` installs them.
 *
 * Dawn reads EGL_PLATFORM and VK_ICD_FILENAMES when an instance is created, so setting process.env
 * before `create()` is enough (checked: also after the package is imported). Call `setupDawn()` before
 * importing @tensorflow/tfjs-backend-webgpu: the backend registers itself at import only when
 * `navigator.gpu` exists, and it asks `navigator.gpu.requestAdapter` for its own adapter (with only a
 * powerPreference), so the feature level this adapter needs is injected there.
 *
 * @example
 * const { adapter } = await setupDawn();
 * await import("@tensorflow/tfjs-backend-webgpu");
 * await tf.setBackend("webgpu");
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export type DawnPath = "llvmpipe" | "swiftshader";

export interface DawnSetup {
  /** The adapter in words, e.g. "llvmpipe-llvm-15-0-6-256-bits (OpenGL ES 3.2 Mesa 22.3.6)". */
  adapter: string;
  path: DawnPath;
}

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
const MULTIARCH = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
const LIB_DIRS = [`/usr/lib/${MULTIARCH}`, `/lib/${MULTIARCH}`, "/usr/lib64", "/usr/lib"];

/** Shared libraries (and the Debian packages that hold them) each path loads at run time. */
const NEEDS: Record<DawnPath, { file: string; pkg: string }[]> = {
  llvmpipe: [
    { file: "libEGL.so", pkg: "libegl-dev" },
    { file: "libEGL_mesa.so.0", pkg: "libegl-mesa0" },
    { file: "dri/swrast_dri.so", pkg: "libgl1-mesa-dri" },
  ],
  swiftshader: [
    { file: "libvulkan.so.1", pkg: "libvulkan1" },
    { file: SWIFTSHADER_ICD, pkg: "chromium" },
  ],
};

const present = (file: string) => (file.startsWith("/") ? existsSync(file) : LIB_DIRS.some((d) => existsSync(join(d, file))));

/** What a path lacks, as "file (Debian package)", for the error message. */
export function missingFor(path: DawnPath): string[] {
  return NEEDS[path].filter((n) => !present(n.file)).map((n) => `${n.file} (Debian package ${n.pkg})`);
}

// Minimal local types: the global WebGPU typings in node_modules are an older @webgpu/types (via
// tfjs-core) that lacks featureLevel and GPUAdapter.info.
interface AdapterOptions {
  powerPreference?: string;
  featureLevel?: "core" | "compatibility";
}
interface DawnGpu {
  requestAdapter(options?: AdapterOptions): Promise<{ info: { device: string; description: string } } | null>;
  getPreferredCanvasFormat(): string;
  readonly wgslLanguageFeatures: unknown;
}
interface DawnModule {
  create: (options: string[]) => DawnGpu;
  globals: Record<string, unknown>;
}

let setup: Promise<DawnSetup> | null = null;

/**
 * Make WebGPU available as `navigator.gpu` (plus the GPU* globals) through Dawn. Tries llvmpipe, then
 * SwiftShader (or only `only`, or only $LINKGAN_DAWN); throws, naming what is missing, when neither
 * gives an adapter.
 * Idempotent: later calls return the first call's result (a process has one `navigator.gpu`).
 */
export function setupDawn(options: { only?: DawnPath } = {}): Promise<DawnSetup> {
  const only = options.only ?? fromEnv();
  setup ??= doSetup(only).catch((e: unknown) => {
    setup = null;
    throw e;
  });
  return setup;
}

/** LINKGAN_DAWN=llvmpipe|swiftshader picks one path (e.g. for `train --backend webgpu`). */
function fromEnv(): DawnPath | undefined {
  const v = process.env.LINKGAN_DAWN;
  if (v === undefined || v === "") return undefined;
  if (v === "llvmpipe" || v === "swiftshader") return v;
  throw new Error(`LINKGAN_DAWN must be llvmpipe or swiftshader, not ${JSON.stringify(v)}`);
}

async function doSetup(only?: DawnPath): Promise<DawnSetup> {
  let dawn: DawnModule;
  try {
    dawn = (await import("webgpu" as string)) as DawnModule;
  } catch (e) {
    throw new Error(`the webgpu npm package (Dawn) does not load: ${(e as Error).message.split("\n")[0]}; run npm install`);
  }
  const failures: string[] = [];
  for (const path of only ? [only] : (["llvmpipe", "swiftshader"] as const)) {
    const missing = missingFor(path);
    if (missing.length > 0) {
      failures.push(`${path}: missing ${missing.join(", ")}`);
      continue;
    }
    let gpu: DawnGpu;
    let adapterOptions: AdapterOptions;
    if (path === "llvmpipe") {
      process.env.EGL_PLATFORM ??= "surfaceless";
      gpu = dawn.create(["backend=opengles"]);
      adapterOptions = { featureLevel: "compatibility" };
    } else {
      process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
      gpu = dawn.create(["backend=vulkan"]);
      adapterOptions = {};
    }
    const adapter = await gpu.requestAdapter(adapterOptions);
    if (!adapter) {
      failures.push(`${path}: Dawn found no adapter (${path === "llvmpipe" ? `EGL_PLATFORM=${process.env.EGL_PLATFORM}` : `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`})`);
      continue;
    }
    install(gpu, adapterOptions, dawn.globals);
    const { device, description } = adapter.info;
    return { adapter: `${device.replace(/-+$/, "")} (${description})`, path };
  }
  const hint = failures.some((f) => f.includes("missing"))
    ? ". Install the Debian packages with `sh scripts/setup/debian-packages.sh` (add --with-swiftshader for the Vulkan fallback)"
    : " although the libraries it needs are installed (see Dawn's warnings above)";
  throw new Error(`no WebGPU adapter through Dawn: ${failures.join("; ")}${hint}`);
}

const errors: string[] = [];

/**
 * WebGPU validation and out-of-memory errors on devices created through `navigator.gpu` since the last
 * call (then cleared). Dawn reports them asynchronously and tfjs never asks: the failing kernel's
 * output is silently left unwritten (e.g. tf.addN with more inputs than the device's storage-buffer
 * limit), so callers that must not train on garbage check this after a step.
 */
export function takeDawnErrors(): string[] {
  return errors.splice(0);
}

interface DawnAdapter {
  limits: Record<string, number>;
  requestDevice(descriptor?: { requiredLimits?: Record<string, number> }): Promise<{ addEventListener(type: string, f: (ev: { error: { message: string } }) => void): void }>;
}

/**
 * `navigator.gpu` whose requestAdapter always adds the options this adapter needs, and whose devices
 * record their uncaptured errors (takeDawnErrors) and get the adapter's storage-buffer limit (tfjs
 * asks for a few limits but not this one, so kernels with many inputs would get WebGPU's default 8).
 */
function install(gpu: DawnGpu, adapterOptions: AdapterOptions, globals: Record<string, unknown>): void {
  const wrapped = {
    requestAdapter: async (o?: AdapterOptions) => {
      const adapter = (await gpu.requestAdapter({ ...o, ...adapterOptions })) as unknown as DawnAdapter | null;
      if (!adapter) return adapter;
      const requestDevice = adapter.requestDevice.bind(adapter);
      adapter.requestDevice = async (descriptor = {}) => {
        const requiredLimits = { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage!, ...descriptor.requiredLimits };
        const device = await requestDevice({ ...descriptor, requiredLimits });
        device.addEventListener("uncapturederror", (ev) => errors.push(ev.error.message.split("\n")[0]!));
        return device;
      };
      return adapter;
    },
    getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat(),
    get wgslLanguageFeatures() {
      return gpu.wgslLanguageFeatures;
    },
  };
  Object.assign(globalThis, globals);
  // tfjs-backend-webgpu's dataSync()/arraySync() read through OffscreenCanvas (a browser-only trick):
  // in Node say so, instead of "OffscreenCanvas is not defined". Reading with await data() works.
  if (!("OffscreenCanvas" in globalThis)) {
    Object.defineProperty(globalThis, "OffscreenCanvas", {
      configurable: true,
      writable: true,
      value: class OffscreenCanvas {
        constructor() {
          throw new Error("tfjs-backend-webgpu cannot read tensors synchronously in Node (dataSync/arraySync need OffscreenCanvas): use await tensor.data() or tensor.array()");
        }
      },
    });
  }
  const g = globalThis as { navigator?: object };
  // Node ≥ 21 has a navigator of its own (a getter on globalThis): add gpu to it instead.
  if (g.navigator) Object.defineProperty(g.navigator, "gpu", { value: wrapped, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu: wrapped }, configurable: true, writable: true });
}
