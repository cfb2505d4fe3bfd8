/**
 * npm run metrics -- weights/faces64 [--samples 1000] [--swd-images 1024] [--out metrics.json]
 *
 * Locality per linked region (masked MSE, both of the paper's definitions; images in [−1, 1]; a
 * semantic region's inside and outside come from the segmenter's mask of each base image)
 * and, against the model's training dataset (from its provenance, or --dataset CONFIG.json), SWD
 * and diversity: the generated/real ratios of per-pixel std and of mean pairwise distance, and
 * precision/recall in the part segmenter's embedding (the model's bundled one, or --segmenter).
 */
import { writeFile } from "node:fs/promises";
import cliProgress from "cli-progress";
import { formatTime } from "./format-time.ts";
import { Generator } from "../../shared/generator/generator.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { openDataset } from "../data/open.ts";
import { DatasetSpec } from "../../shared/dataset/spec.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { type RegionLocality, measureLocality } from "../metrics/masked-mse.ts";
import { features, frechetDistance, loadFeatureNet } from "../metrics/fid.ts";
import { generatedImages, realImages } from "../metrics/image-sets.ts";
import { slicedWasserstein } from "../metrics/swd.ts";
import { type DiversityReport, measureDiversity } from "../metrics/diversity.ts";
import { loadSegmenter } from "../../shared/weights/loader.ts";
import { command, fail, int, oneOf, readJson, str } from "./args.ts";

const cli = command({
  run: "npm run metrics --",
  name: "metrics",
  summary: "Locality per linked region (masked MSE), and against the training dataset SWD, diversity, precision/recall and (with --inception) FID.",
  flags: {
    model: { value: "DIR", help: "model folder (manifest.json + shards)", type: str(), required: true },
    samples: { value: "N", help: "images for the masked-MSE locality metrics", type: int(1, 1_000_000), default: 1000 },
    "swd-images": { value: "N", help: "generated and real images for SWD and diversity (0 skips both)", type: int(0, 1_000_000), default: 1024 },
    segmenter: { value: "DIR", help: "part segmenter whose embedding precision/recall use (without one they are skipped), e.g. weights/faces64-parts", type: str(), defaultText: "the model's bundled one" },
    inception: { value: "DIR", help: "a TF.js Inception (graph or layers model.json) for FID; none is downloaded", type: str() },
    "inception-range": { value: "R", help: "input range the network expects: -1-1 (TF-Hub Inception v3), 0-1, 0-255", type: oneOf(["-1-1", "0-1", "0-255"]), default: "-1-1" },
    "fid-images": { value: "N", help: "generated and real images for FID", type: int(2, 1_000_000), default: 1000 },
    dataset: { value: "FILE", help: "JSON dataset spec to compare against", type: str(), defaultText: "the one the model was trained on" },
    backend: backendFlag,
    "regions-from": { value: "DIR", help: "measure the regions (and semantic masks, with its segmenter) of another model, e.g. a baseline trained without links on the linked model's regions", type: str() },
    out: { value: "FILE", help: "also write the results as JSON", type: str() },
  },
  positional: "model",
  examples: ["npm run metrics -- weights/faces64 --samples 200 --out metrics.json"],
});

const f = cli.parseOrExit();
const backend = await selectBackend(f.backend).catch((e: Error) => fail("metrics", e.message));
console.error(`backend: ${backend.name}`);
const model = await loadModel(fileSource(f.model)).catch((e: Error) => fail("metrics", e.message));
const { manifest } = model;
const g = Generator.fromValues(manifest.generator, model.values);
const regionSource = f["regions-from"] ? await loadModel(fileSource(f["regions-from"])).catch((e: Error) => fail("metrics", `--regions-from: ${e.message}`)) : model;
if (regionSource.manifest.generator.wDim !== manifest.generator.wDim || regionSource.manifest.generator.resolution !== manifest.generator.resolution) {
  fail("metrics", `--regions-from ${f["regions-from"]}: its W size or resolution differs from ${f.model}'s`);
}
const regions = regionSource.manifest.regions;
const segmenter = regionSource.manifest.segmenter ? Segmenter.fromValues(regionSource.manifest.segmenter, regionSource.values) : undefined;

const bar = new cliProgress.SingleBar({ format: "{task} |{bar}| {value}/{total} | ETA {eta_formatted}", noTTYOutput: true, notTTYSchedule: 30_000, formatTime }, cliProgress.Presets.shades_classic);
bar.start(f.samples, 0, { task: "locality" });
const locality = await measureLocality(g, regions, { samples: f.samples, segmenter, onProgress: (d) => bar.update(d) });
bar.stop();

/** n real images (spread over the dataset) and n generated ones (fixed seeds; see image-sets.ts). */
async function imageSets(n: number, task: string): Promise<{ real: Float32Array[]; fake: Float32Array[] }> {
  const spec = f.dataset ? await readJson("metrics", f.dataset, DatasetSpec) : DatasetSpec.safeParse(manifest.provenance.config?.dataset).data;
  if (!spec) fail("metrics", `${f.model}: the manifest records no dataset; pass --dataset`);
  const real = await realImages(await openDataset(spec, manifest.generator.resolution), n);
  bar.start(real.length, 0, { task });
  const fake = await generatedImages(g, real.length, (d) => bar.update(d));
  bar.stop();
  return { real, fake };
}

const embedder = f.segmenter
  ? await loadSegmenter(fileSource(f.segmenter))
      .then((s) => Segmenter.fromValues(s.manifest.segmenter, s.values))
      .catch((e: Error) => fail("metrics", `--segmenter ${f.segmenter}: ${e.message}`))
  : segmenter;
if (embedder && embedder.config.resolution !== manifest.generator.resolution) fail("metrics", `the segmenter takes ${embedder.config.resolution} px images; the model renders ${manifest.generator.resolution} px`);
let swd: ReturnType<typeof slicedWasserstein> | null = null;
let diversity: DiversityReport | null = null;
if (f["swd-images"] > 0) {
  const { real, fake } = await imageSets(f["swd-images"], "swd fakes");
  swd = slicedWasserstein(real, fake, manifest.generator.resolution);
  diversity = await measureDiversity(real, fake, manifest.generator.resolution, embedder);
}
let fid: number | null = null;
if (f.inception) {
  const net = await loadFeatureNet(f.inception, f["inception-range"]).catch((e: Error) => fail("metrics", `--inception ${f.inception}: ${e.message}`));
  const { real, fake } = await imageSets(f["fid-images"], "fid fakes");
  const res = manifest.generator.resolution;
  fid = frechetDistance(await features(net, real, res), await features(net, fake, res));
}
g.dispose();

console.log(`\n${manifest.name} ${manifest.version}: locality over ${f.samples} samples (images in [−1, 1]; MSE ×10⁻³)\n`);
console.log("| region | MSE_i (edit, inside) | MSE_o (edit, outside) | MSE_o / MSE_i | MSE_i (other axes, inside) |");
console.log("|---|---|---|---|---|");
const localityRow = (name: string, r: Omit<RegionLocality, "region">) => `| ${name} | ${(r.mseIn * 1e3).toFixed(2)} | ${(r.mseOut * 1e3).toFixed(2)} | ${r.ratio.toFixed(3)} | ${(r.mseInUnlinked * 1e3).toFixed(2)} |`;
for (const r of locality) {
  console.log(localityRow(r.region, r));
  // A semantic region's mask moves with the image: also measured on the union of both images' masks.
  if (r.union) console.log(localityRow(`${r.region} (union of masks)`, r.union));
}
if (swd) {
  console.log(`\nSWD ×10³ vs the dataset (${f["swd-images"]} images each): ${swd.levels.map((l) => `${l.size} px ${l.swd.toFixed(2)}`).join(", ")}; mean ${swd.mean.toFixed(2)}`);
}
if (diversity) {
  const pr = diversity.precisionRecall;
  console.log(`\nDiversity (${diversity.images} images each; generated / real): per-pixel std ${diversity.fake.std.toFixed(3)} / ${diversity.real.std.toFixed(3)} = ${diversity.stdRatio.toFixed(3)}, mean pairwise MSE ${diversity.fake.pairwiseMse.toFixed(3)} / ${diversity.real.pairwiseMse.toFixed(3)} = ${diversity.pairwiseRatio.toFixed(3)}`);
  const lpr = diversity.layoutPrecisionRecall;
  if (pr && lpr) {
    console.log(`Part layout (the targets' feature space): precision ${lpr.precision.toFixed(3)}, recall ${lpr.recall.toFixed(3)} (k = ${lpr.k})`);
    console.log(`Segmenter bottleneck (also sensitive to blur): precision ${pr.precision.toFixed(3)}, recall ${pr.recall.toFixed(3)} (k = ${pr.k})`);
  } else {
    console.log("Precision/recall skipped: no segmenter (pass --segmenter weights/faces64-parts)");
  }
}
if (fid !== null) console.log(`\nFID vs the dataset (${f["fid-images"]} images each, network ${f.inception}): ${fid.toFixed(2)}`);
const result = { model: manifest.name, version: manifest.version, samples: f.samples, pixelRange: "[-1, 1]", locality, swd, diversity, fid, command: `npm run metrics -- --model ${f.model} --samples ${f.samples} --swd-images ${f["swd-images"]}${f["regions-from"] ? ` --regions-from ${f["regions-from"]}` : ""}${f.segmenter ? ` --segmenter ${f.segmenter}` : ""}` };
if (f.out) await writeFile(f.out, `${JSON.stringify(result, null, 2)}\n`);
