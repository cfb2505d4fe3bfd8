/**
 * Regenerates the committed test fixtures (run after an intentional change to the generator or
 * the PRNG, then review the diff):
 * - test/fixtures/tiny-golden.json: the tiny fixture's image for seed 7, rendered on the cpu backend
 *   in Node. Tests in Node and in workerd compare against it, so both runtimes agree to 1e-4.
 * - test/fixtures/tiny-model/: the fixture packed as int8, for the CLI and loader tests.
 *
 * Usage: npm run fixtures
 */
import { mkdir, writeFile } from "node:fs/promises";
import { setupNodeCpu } from "./lib/node-tf.ts";
import { Generator } from "../shared/generator/generator.ts";
import { packModel } from "../shared/weights/pack.ts";
import { writeModelDir } from "../shared/weights/file-source.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyValues } from "../test/fixtures/tiny.ts";

await setupNodeCpu();
const g = Generator.fromValues(TINY, tinyValues(1));
const [w] = await g.mapSeeds([7], 1);
const [img] = await g.render([w!], [7]);
const golden = { config: "tiny", paramSeed: 1, seed: 7, truncation: 1, noise: "seed", image: Array.from(img!.data) };
await writeFile("test/fixtures/tiny-golden.json", `${JSON.stringify(golden)}\n`);

const packed = await packModel({
  name: "tiny-fixture",
  generator: TINY,
  regions: TINY_REGIONS,
  card: TINY_CARD,
  provenance: { trainer: "scripts/make-fixtures.ts (random init, not trained)" },
  values: tinyValues(1),
  dtype: "int8",
});
await mkdir("test/fixtures/tiny-model", { recursive: true });
await writeModelDir("test/fixtures/tiny-model", packed);
console.log(`wrote test/fixtures/tiny-golden.json and test/fixtures/tiny-model (${packed.manifest.version})`);
