/**
 * npm run export -- --run runs/faces64-linked --name faces64 [--dtype int8] [--card card.json] [--metrics m.json]
 *
 * Packs the EMA generator of a run's newest checkpoint into weights/<name>/ (int8 by default) with
 * its model card: dataset licences from the run's dataset, the card text from --card, the measured
 * figures from --metrics (the JSON that npm run metrics --out writes).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelCardText } from "../../shared/weights/manifest.ts";
import { cardOf } from "../cards/card.ts";
import { datasetLicenses } from "../data/open.ts";
import { selectBackend } from "../backends.ts";
import { exportModel, quantizationPsnr } from "../export.ts";
import { openPinnedSegmenter } from "../segmenter/open.ts";
import { listCheckpoints, loadCheckpoint, paramValues } from "../training/checkpoint.ts";
import { TrainConfig } from "../training/config.ts";
import { exportFlags } from "./export-flags.ts";
import { command, fail, readJson, str } from "./args.ts";

const cli = command({
  run: "npm run export --",
  name: "export",
  summary: "Packs the EMA generator of a run's newest checkpoint into a model folder with its model card.",
  flags: {
    ...exportFlags,
    metrics: { value: "FILE", help: 'JSON from npm run metrics --out, stored in the card (as "linked" when a baseline is given)', type: str() },
    "baseline-metrics": { value: "FILE", help: "the same for the model trained without links: the card compares the two", type: str() },
    backend: { value: "NAME", help: "recorded in the provenance", type: str(), defaultText: "the backends the run's sessions used" },
  },
  examples: ["npm run export -- --run runs/faces64-linked --name faces64 --card trainer/cards/faces64.json --metrics metrics.json"],
});

const f = cli.parseOrExit();
const config = await readJson("export", join(f.run, "config.json"), TrainConfig);
const ckpt = (await listCheckpoints(f.run)).at(-1);
if (!ckpt) fail("export", `${f.run}: no checkpoints`);
const { meta, tensors } = await loadCheckpoint(ckpt).catch((e: Error) => fail("export", e.message));
const values = paramValues(tensors, "Gema/");
const text = f.card ? await readJson("export", f.card, ModelCardText) : {};
const readMetrics = async (file: string) => {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    return fail("export", `${file}: ${(e as Error).message}`);
  }
};
const measured = f.metrics ? await readMetrics(f.metrics) : {};
const baseline = f["baseline-metrics"] ? await readMetrics(f["baseline-metrics"]) : undefined;
await selectBackend("auto").catch((e: Error) => fail("export", e.message));
const psnrDb = await quantizationPsnr(config.generator, values, f.dtype);
const metrics: Record<string, unknown> = {
  ...(baseline ? { linked: measured, baseline } : measured),
  quantization: { dtype: f.dtype, psnrDb: Number(psnrDb.toFixed(2)), against: "float32", seeds: 16, pixelRange: "[-1, 1], peak-to-peak 2", command: `npm run export -- --run ${f.run} --name ${f.name} --dtype ${f.dtype}` },
};
const out = f.out ?? join("weights", f.name);
const segmenter = config.segmenter
  ? await openPinnedSegmenter(config.segmenter)
      .then(({ segmenter: s, values: v }) => {
        s.dispose();
        return { config: s.config, values: v };
      })
      .catch((e: Error) => fail("export", e.message))
  : undefined;
const sessions = (await readFile(join(f.run, "sessions.jsonl"), "utf8").catch(() => "")).split("\n").filter(Boolean).map((l) => JSON.parse(l).backend as string);
const backend = f.backend ?? ([...new Set(sessions)].join("+") || "unknown");
const packed = await exportModel({
  name: f.name,
  dir: out,
  config,
  values,
  dtype: f.dtype,
  card: cardOf(text, { title: f.name, description: `Trained by this project's trainer (run ${f.run}).` }, config.dataset ? datasetLicenses(config.dataset) : [], metrics),
  provenance: { backend, run: f.run, steps: meta.step as number, kimg: meta.kimg as number },
  ...(segmenter ? { segmenter } : {}),
}).catch((e: Error) => fail("export", e.message));
console.log(`quantization: ${f.dtype} PSNR ${psnrDb.toFixed(2)} dB against float32 (16 seeds)`);
console.log(`${out}: ${packed.manifest.name} ${packed.manifest.version}, ${f.dtype}, ${packed.shards.reduce((a, s) => a + s.bytes.length, 0).toLocaleString("en")} bytes, step ${meta.step}`);
