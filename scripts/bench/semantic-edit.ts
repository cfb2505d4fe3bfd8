/**
 * How local a served resample of a semantic region is before compositing: for seeds 0..n−1 (ψ as
 * given), the image's mask is the segmenter's (as the API computes it), the region's axes are
 * replaced with those of seed + 10⁶ (ψ 1, as the widget's edits), and the raw edit (the API's
 * `composite=false`) is compared with the base image in RGBA8. It prints, over all seeds, the share
 * of changed pixels that lie inside the mask, the share of the squared change inside it, and
 * MSE_o / MSE_i (mean squared change per pixel outside / inside). With compositing (the default),
 * nothing outside the feathered mask changes at all; this measures what the model itself does.
 *
 * node --import tsx scripts/bench/semantic-edit.ts --help lists the flags.
 */
import { resampleReplace } from "../../shared/editing/edit.ts";
import { Generator, toRgba8 } from "../../shared/generator/generator.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import { command, int, num, str } from "../../trainer/cli/args.ts";
import { setupNodeCpu } from "../lib/node-tf.ts";

const args = command({
  run: "node --import tsx scripts/bench/semantic-edit.ts",
  name: "semantic-edit",
  summary: "How local a raw (uncomposited) resample of a semantic region is, over n seeds.",
  flags: {
    model: { value: "DIR", help: "a model with a semantic region and its segmenter", type: str(), default: "weights/faces64" },
    seeds: { value: "N", help: "seeds 0..N−1", type: int(1, 10_000), default: 16 },
    truncation: { value: "PSI", help: "truncation ψ of the base images", type: num(0, 2), default: 0.7 },
  },
}).parseOrExit();
await setupNodeCpu();
const { manifest, values } = await loadModel(fileSource(args.model));
if (!manifest.segmenter) throw new Error(`${args.model} bundles no segmenter`);
const g = Generator.fromValues(manifest.generator, values);
const s = Segmenter.fromValues(manifest.segmenter, values);
const { seeds: n, truncation: psi } = args;
const seeds = Array.from({ length: n }, (_, i) => i);
const ws = await g.mapSeeds(seeds, psi);
const wNew = await g.mapSeeds(seeds.map((x) => x + 1_000_000), 1);
const bases = await g.render(ws, seeds);
const res = manifest.generator.resolution;
for (const region of manifest.regions) {
  if (region.mask.kind !== "semantic") continue;
  const masks = await s.masks(bases, region.mask.class);
  const edits = await g.render(
    ws.map((w, i) => resampleReplace(w, wNew[i]!, [region.axes])),
    seeds,
  );
  let changed = 0;
  let changedIn = 0;
  let sqIn = 0;
  let sqOut = 0;
  let pxIn = 0;
  for (const [i, base] of bases.entries()) {
    const a = toRgba8(base);
    const b = toRgba8(edits[i]!);
    for (let p = 0; p < res * res; p++) {
      const inside = masks[i]!.data[p] === 1;
      let sq = 0;
      for (let c = 0; c < 3; c++) sq += ((a[p * 4 + c]! - b[p * 4 + c]!) / 127.5) ** 2;
      if (inside) pxIn++;
      if (sq > 0) {
        changed++;
        if (inside) changedIn++;
      }
      if (inside) sqIn += sq;
      else sqOut += sq;
    }
  }
  const pxOut = n * res * res - pxIn;
  const ratio = sqOut / pxOut / (sqIn / pxIn);
  console.log(
    `${manifest.name} ${manifest.version} ${region.name} (class ${region.mask.class}), ${n} seeds, ψ ${psi}: mask covers ${((100 * pxIn) / (n * res * res)).toFixed(1)}% of pixels; ` +
      `${((100 * changedIn) / Math.max(1, changed)).toFixed(1)}% of changed pixels and ${((100 * sqIn) / Math.max(1e-12, sqIn + sqOut)).toFixed(1)}% of the squared change are inside it; MSE_o/MSE_i = ${ratio.toFixed(3)}`,
  );
}
g.dispose();
s.dispose();
