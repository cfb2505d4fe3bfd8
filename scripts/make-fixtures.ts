/**
 * Regenerates the committed test fixtures (run after an intentional change to the generator or
 * the PRNG, then review the diff):
 * - test/fixtures/tiny-golden.json: the tiny fixture's image for seed 7, rendered on the cpu backend
 *   in Node. Tests in Node and in workerd compare against it, so both runtimes agree to 1e-4.
 * - test/fixtures/tiny-model/: the fixture packed as int8, for the CLI and loader tests.
 * - test/fixtures/tiny-semantic-model/: the semantic fixture (TINY plus a random segmenter and a
 *   semantic region, #7) packed as int8, for `npm run dev:seed -- --with-fixture` and the browser tests.
 * - test/fixtures/tiny-semantic-golden.json: the semantic fixture's segmenter labels of seeds 7 and 8
 *   (from the int8 weights, as loaded), computed in Node; workerd and the API must give the same.
 * - test/fixtures/tiny-semantic-encoder/: a random encoder pinned to the semantic fixture's version
 *   (#14), which `npm run dev:seed` stores beside it, for the invert endpoint and the widget's upload.
 *
 * Usage: npm run fixtures
 */
import { mkdir, writeFile } from "node:fs/promises";
import { setupNodeCpu } from "./lib/node-tf.ts";
import { Generator } from "../shared/generator/generator.ts";
import { Segmenter } from "../shared/segmenter/segmenter.ts";
import { loadModel, memorySource } from "../shared/weights/loader.ts";
import { packEncoder, packModel } from "../shared/weights/pack.ts";
import { writeModelDir } from "../shared/weights/file-source.ts";
import { TINY, TINY_CARD, TINY_REGIONS, tinyEncoderPackInput, tinySemanticPackInput, tinyValues } from "../test/fixtures/tiny.ts";
import { command } from "../trainer/cli/args.ts";

// No flags: a stray one is refused rather than ignored, and --help says what this writes.
command({ run: "npm run fixtures --", name: "fixtures", summary: "Regenerates the committed test fixtures in test/fixtures/ (review the diff).", flags: {} }).parseOrExit();
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

const semantic = await packModel({ name: "tiny-semantic", provenance: { trainer: "scripts/make-fixtures.ts (random init, not trained)" }, ...tinySemanticPackInput(1) });
await writeModelDir("test/fixtures/tiny-semantic-model", semantic);
const loaded = await loadModel(memorySource(semantic.manifest, Object.fromEntries(semantic.shards.map((s) => [s.path, s.bytes]))));
const sg = Generator.fromValues(loaded.manifest.generator, loaded.values);
const seg = Segmenter.fromValues(loaded.manifest.segmenter!, loaded.values);
const seeds = [7, 8];
const labels = await seg.labels(await sg.render(await sg.mapSeeds(seeds, 1), seeds));
const semanticGolden = { model: "tiny-semantic", paramSeed: 1, dtype: "int8", truncation: 1, noise: "seed", classes: loaded.manifest.segmenter!.classes, seeds, labels: labels.map((l) => Array.from(l)) };
await writeFile("test/fixtures/tiny-semantic-golden.json", `${JSON.stringify(semanticGolden)}\n`);
const encoder = await packEncoder({ ...tinyEncoderPackInput({ name: semantic.manifest.name, version: semantic.manifest.version }), provenance: { trainer: "scripts/make-fixtures.ts (random init, not trained)" } });
await writeModelDir("test/fixtures/tiny-semantic-encoder", encoder);
console.log(`wrote test/fixtures/tiny-golden.json, test/fixtures/tiny-model (${packed.manifest.version}), tiny-semantic-model (${semantic.manifest.version}), tiny-semantic-golden.json and tiny-semantic-encoder (${encoder.manifest.version})`);
