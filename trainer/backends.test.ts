/**
 * Every backend the trainer can run on computes the same training step: from the same weights and the
 * same random inputs (host-side Float32Arrays), the gradients of Gmain (with LinkGAN's regularizer),
 * Dmain and Dreg (R1, a double backward) on each available backend match the cpu backend's.
 * Backends that are not installed are reported, never skipped silently: a backend whose package (or,
 * for webgpu, whose Debian libraries) is installed must load and be compared.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { GeneratorConfig, convLayers } from "../shared/generator/config.ts";
import { synthesis } from "../shared/generator/network.ts";
import { type ParamSpec, generatorParamSpecs, initParams } from "../shared/generator/params.ts";
import { Prng } from "../shared/random/prng.ts";
import { LinkGanConfig } from "./loss/linkgan.ts";
import { LossConfig, type Nets, type StepRandom, dMainLoss, dRegLoss, gMainLoss, mixedWs } from "./loss/stylegan2.ts";
import { DiscriminatorConfig, discriminatorParamSpecs } from "./networks/discriminator.ts";
import { tf } from "./tf-node.ts";
import { missingFor, setupDawn, takeDawnErrors } from "./webgpu.ts";

const MICRO = GeneratorConfig.parse({ resolution: 8, zDim: 8, wDim: 16, mappingLayers: 1, channelBase: 32, channelMax: 4 });
const D_CFG = DiscriminatorConfig.parse({ resolution: 8, channelBase: 32, channelMax: 4, mbstdGroup: 2 });
const N = 4;
const TOLERANCE = 1e-3;

type Phase = "Gmain+link" | "Dmain" | "Dreg (R1)";
/** Gradients of one phase, by parameter name, read back to the host. */
type Grads = Map<string, Float32Array>;

// ---- availability: decided before the tests are named ----

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

/** Backends to compare with cpu, and why the others are not. */
async function otherBackends(): Promise<{ compared: string[]; expected: string[]; notAvailable: string[] }> {
  const compared: string[] = [];
  const expected: string[] = [];
  const notAvailable: string[] = [];
  if (installed("@tensorflow/tfjs-node")) {
    expected.push("tensorflow");
    try {
      await import("@tensorflow/tfjs-node" as string);
      if (tf.findBackend("tensorflow") || (await tf.setBackend("tensorflow"))) compared.push("tensorflow");
      else notAvailable.push("tensorflow: tfjs-node loaded, but its backend did not initialise");
    } catch (e) {
      notAvailable.push(`tensorflow: @tensorflow/tfjs-node is installed but does not load (${(e as Error).message.split("\n")[0]})`);
    }
  } else notAvailable.push("tensorflow: @tensorflow/tfjs-node is not installed");
  if (missingFor("llvmpipe").length === 0 || missingFor("swiftshader").length === 0) expected.push("webgpu");
  try {
    const { adapter } = await setupDawn();
    await import("@tensorflow/tfjs-backend-webgpu");
    if (await tf.setBackend("webgpu")) compared.push(`webgpu (${adapter})`);
    else notAvailable.push(`webgpu: tfjs-backend-webgpu did not initialise on ${adapter}`);
  } catch (e) {
    notAvailable.push(`webgpu: ${(e as Error).message}`);
  }
  await tf.setBackend("cpu");
  return { compared, expected, notAvailable };
}

const others = await otherBackends();
const backendOf = (label: string) => label.split(" ")[0]!;

// ---- one training step's gradients, from host-side values ----

const values = (specs: ParamSpec[], seed: number) => initParams(specs, seed);
const G_SPECS = generatorParamSpecs(MICRO);
const D_SPECS = discriminatorParamSpecs(D_CFG);
const G_VALUES = values(G_SPECS, 1);
const D_VALUES = values(D_SPECS, 2);
// Non-zero biases and noise strengths, so their gradients are exercised like the weights'.
const biasRng = new Prng(7);
for (const s of [...G_SPECS, ...D_SPECS]) {
  const v = G_VALUES.get(s.name) ?? D_VALUES.get(s.name)!;
  if (s.init === "zeros" && s.trainable) v.set(biasRng.normals(v.length).map((x) => 0.1 * x));
}
const rng = new Prng(3);
const K = 2; // linked regions
const RANDOM = {
  z: rng.normals(N * MICRO.zDim),
  zMix: rng.normals(N * MICRO.zDim),
  noise: convLayers(MICRO).map((l) => rng.normals(N * l.res * l.res)),
  pIn: rng.normals(K * N * MICRO.wDim),
  pOut: rng.normals(K * N * MICRO.wDim),
  reals: rng.normals(N * 8 * 8 * 3).map((v) => Math.tanh(v)),
};
const MASKS = [
  Float32Array.from({ length: 64 }, (_, i) => (i < 32 ? 1 : 0)), // top half
  Float32Array.from({ length: 64 }, (_, i) => (i % 8 >= 4 && i >= 32 ? 1 : 0)), // bottom-right quarter
];
const LINK = LinkGanConfig.parse({ interval: 2 });
const LOSS = LossConfig.parse({ r1Gamma: 1, r1Interval: 4 });

async function stepGrads(backend: string): Promise<Record<Phase, Grads>> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  const vars = (specs: ParamSpec[], v: Map<string, Float32Array>) =>
    Object.fromEntries(specs.map((s) => [s.name, tf.variable(tf.tensor(v.get(s.name)!, s.shape), s.trainable)]));
  const nets: Nets = { gCfg: MICRO, dCfg: D_CFG, G: vars(G_SPECS, G_VALUES), D: vars(D_SPECS, D_VALUES) };
  const r: StepRandom = {
    z: tf.tensor2d(RANDOM.z, [N, MICRO.zDim]),
    zMix: tf.tensor2d(RANDOM.zMix, [N, MICRO.zDim]),
    mixCutoff: 2,
    noise: convLayers(MICRO).map((l, i) => tf.tensor4d(RANDOM.noise[i]!, [N, l.res, l.res, 1])),
    pIn: tf.tensor3d(RANDOM.pIn, [K, N, MICRO.wDim]),
    pOut: tf.tensor3d(RANDOM.pOut, [K, N, MICRO.wDim]),
  };
  const regions = MASKS.map((m, i) => ({ name: `r${i}`, axes: i === 0 ? { start: 0, end: 8 } : { start: 8, end: 16 }, mask: tf.tensor4d(m, [1, 8, 8, 1]) }));
  const reals = tf.tensor4d(RANDOM.reals, [N, 8, 8, 3]);
  const gVars = G_SPECS.filter((s) => s.trainable).map((s) => nets.G[s.name]!);
  const dVars = Object.values(nets.D);
  let perturbed: tf.Tensor4D | undefined;
  const grads = tf.tidy(() => {
    const g = tf.variableGrads(() => {
      const res = gMainLoss(nets, r, { cfg: LINK, regions });
      perturbed = tf.keep(res.perturbed!);
      return res.loss;
    }, gVars);
    const fakes = tf.concat([synthesis(nets.G, MICRO, mixedWs(nets, r), r.noise), perturbed!], 0) as tf.Tensor4D;
    const d = tf.variableGrads(() => dMainLoss(nets, reals, fakes).loss, dVars);
    const r1 = tf.variableGrads(() => dRegLoss(nets, reals, LOSS).loss, dVars.filter((v) => !v.name.endsWith("out.bias")));
    return { "Gmain+link": g.grads, Dmain: d.grads, "Dreg (R1)": r1.grads };
  });
  // Read back asynchronously: tfjs-backend-webgpu's dataSync() needs OffscreenCanvas, which Node lacks.
  const read = async (specs: ParamSpec[], vs: Record<string, tf.Variable>, named: tf.NamedTensorMap): Promise<Grads> => {
    const out: Grads = new Map();
    for (const s of specs) {
      const t = named[vs[s.name]!.name];
      if (t) out.set(s.name, (await t.data()) as Float32Array);
    }
    return out;
  };
  const out: Record<Phase, Grads> = {
    "Gmain+link": await read(G_SPECS, nets.G, grads["Gmain+link"]),
    Dmain: await read(D_SPECS, nets.D, grads.Dmain),
    "Dreg (R1)": await read(D_SPECS, nets.D, grads["Dreg (R1)"]),
  };
  tf.dispose([...Object.values(grads).flatMap((m) => Object.values(m)), ...Object.values(nets.G), ...Object.values(nets.D)]);
  tf.dispose([...Object.values(r).filter((t) => t instanceof tf.Tensor), ...r.noise, reals, ...regions.map((g) => g.mask), ...(perturbed ? [perturbed] : [])]);
  return out;
}

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

/**
 * ‖a − b‖ / max(‖a‖, ‖b‖, tiny), with tiny = 1e-5 · ‖the phase's whole gradient‖. The floor matters
 * for R1's gradients w.r.t. D's biases: they reach R1 only through the minibatch-stddev's second
 * derivative and are ~1e-7 of the weights' (measured: ‖∂R1/∂d.b8.conv1.bias‖ 7e-8 against ‖∂R1/∂W‖
 * ~0.1–1), so float32 rounding alone moves them by ~1e-3 relative (cpu against cpu with the weights
 * scaled by 1 + 1e-6 differs as much as webgpu against cpu).
 */
function relError(a: Float32Array, b: Float32Array, tiny: number): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(d) / Math.max(norm(a), norm(b), tiny);
}
const FLOOR = 1e-5;

const label = ["cpu", ...others.compared].join(", ");

describe("backends", () => {
  it(`one training step from the same weights and batch gives the same gradients (rel. error ≤ ${TOLERANCE}) on: ${label}`, async () => {
    console.info(`backends compared: ${label}${others.notAvailable.length ? `; not available: ${others.notAvailable.join("; ")}` : ""}`);
    for (const b of others.expected) expect(others.compared.map(backendOf), `${b} is installed, so it must be compared`).toContain(b);
    const reference = await stepGrads("cpu");
    for (const phase of Object.keys(reference) as Phase[]) expect(reference[phase].size, phase).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const other of others.compared) {
      const got = await stepGrads(backendOf(other));
      // A WebGPU validation error leaves kernel outputs unwritten without any exception: fail on one.
      if (backendOf(other) === "webgpu") expect(takeDawnErrors(), "Dawn errors during the webgpu step").toEqual([]);
      for (const [phase, ref] of Object.entries(reference) as [Phase, Grads][]) {
        const tiny = FLOOR * Math.sqrt([...ref.values()].reduce((sum, a) => sum + norm(a) ** 2, 0));
        let worst = { name: "", err: 0 };
        expect([...got[phase].keys()], `${other} ${phase}: gradients of the same parameters`).toEqual([...ref.keys()]);
        for (const [name, a] of ref) {
          const err = relError(a, got[phase].get(name)!, tiny);
          if (!(err <= worst.err)) worst = { name, err };
          if (!(err <= TOLERANCE)) failures.push(`${backendOf(other)} ${phase} ${name}: rel. error ${err.toExponential(2)} (‖cpu‖ ${norm(a).toExponential(3)}, ‖${backendOf(other)}‖ ${norm(got[phase].get(name)!).toExponential(3)})`);
        }
        console.info(`${backendOf(other)} vs cpu, ${phase}: max rel. error ${worst.err.toExponential(2)} (${worst.name}) over ${ref.size} tensors`);
      }
    }
    await tf.setBackend("cpu");
    expect(failures).toEqual([]);
  });
});
