/**
 * Test helpers for the worker, run inside workerd: the real local R2 and KV bindings, seeded with
 * the tiny fixture models packed by the same code the trainer's export uses.
 */
import { env } from "cloudflare:test";
import { GeneratorConfig } from "../shared/generator/config.ts";
import { generatorParamSpecs, initParams } from "../shared/generator/params.ts";
import { packEncoder, packModel } from "../shared/weights/pack.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyEncoderPackInput, tinySemanticPackInput, tinyValues } from "../test/fixtures/tiny.ts";
import { putEncoder } from "./inversion/store.ts";
import type { Env } from "./env.ts";
import { putModel, setActiveVersion } from "./models/store.ts";

export const testEnv = env as unknown as Env;
export const MODEL = "tiny";

/** Pack and store the tiny fixture with weights from `paramSeed`; returns its version. */
export async function seedTinyModel(paramSeed = 1, activate = true): Promise<string> {
  const packed = await packModel({
    name: MODEL,
    generator: TINY,
    regions: TINY_REGIONS,
    card: TINY_CARD,
    provenance: { trainer: "worker/testing.ts (fixture)" },
    values: tinyValues(paramSeed),
    dtype: "int8",
  });
  await putModel(testEnv, packed, { activate });
  return packed.manifest.version;
}

export const activate = (version: string) => setActiveVersion(testEnv, MODEL, version);

/** The semantic fixture's model name (TINY plus a segmenter and the semantic region "blob"). */
export const SEMANTIC_MODEL = "tiny-semantic";

/**
 * Pack and store the semantic fixture (the same bytes as test/fixtures/tiny-semantic-model) and make
 * it active; returns its version.
 */
export async function seedTinySemanticModel(): Promise<string> {
  const packed = await packModel({ name: SEMANTIC_MODEL, provenance: { trainer: "scripts/make-fixtures.ts (random init, not trained)" }, ...tinySemanticPackInput(1) });
  await putModel(testEnv, packed, { activate: true });
  return packed.manifest.version;
}

/** A 128 px model with 4 channels (random weights, cheap to render): for the per-request work bound. */
export const MODEL_128 = "tiny-128";

/** Pack and store MODEL_128 and make it active; returns its version. */
export async function seedModel128(): Promise<string> {
  const generator = GeneratorConfig.parse({ resolution: 128, zDim: 32, wDim: 32, mappingLayers: 2, channelBase: 64, channelMax: 4 });
  const packed = await packModel({
    name: MODEL_128,
    generator,
    regions: TINY_REGIONS,
    card: TINY_CARD,
    provenance: { trainer: "worker/testing.ts (fixture)" },
    values: initParams(generatorParamSpecs(generator), 1),
    dtype: "int8",
  });
  await putModel(testEnv, packed, { activate: true });
  return packed.manifest.version;
}

/** Pack and store the random encoder fixture beside `name` `version` (which must be stored); returns the encoder's version. */
export async function seedTinyEncoder(name: string, version: string): Promise<string> {
  const packed = await packEncoder({ ...tinyEncoderPackInput({ name, version }), provenance: { trainer: "worker/testing.ts (fixture)" } });
  await putEncoder(testEnv, packed);
  return packed.manifest.version;
}
