/**
 * npm run segmenter -- train --config trainer/configs/faces64-parts.json --run runs/faces64-parts
 * npm run segmenter -- export --run runs/faces64-parts --name faces64-parts
 *
 * `train` trains the part segmenter (or resumes it: the same command continues from the newest
 * checkpoint; Ctrl-C saves one; --steps N trains a resumable piece). `export` measures per-class IoU
 * on the held-out images, writes a picture of them, and packs the segmenter (int8 by default) with
 * its model card into weights/<name>/.
 */
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { writeModelDir } from "../../shared/weights/file-source.ts";
import { loadSegmenter, memorySource } from "../../shared/weights/loader.ts";
import { ModelCardText } from "../../shared/weights/manifest.ts";
import { cardOf, datasetLines, proseSections } from "../cards/card.ts";
import { packSegmenter } from "../../shared/weights/pack.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { datasetLicenses } from "../data/open.ts";
import { SegmenterTrainConfig } from "../segmenter/config.ts";
import { openSegmenterData } from "../segmenter/data.ts";
import { evaluateSegmenter } from "../segmenter/evaluate.ts";
import { checkClasses, labelMaps } from "../segmenter/labels.ts";
import { runSegmenterTraining } from "../segmenter/train.ts";
import { listCheckpoints, loadCheckpoint, paramValues } from "../training/checkpoint.ts";
import { exportFlags } from "./export-flags.ts";
import { command, fail, int, readJson, str, subcommand } from "./args.ts";
import { formatTime } from "./format-time.ts";

const trainCli = command({
  run: "npm run segmenter -- train",
  name: "segmenter train",
  summary: "Trains (or resumes) a part segmenter; exit 0 when finished, 3 when paused (run again to continue).",
  flags: {
    config: { value: "FILE", help: "segmenter training config (JSON, see trainer/configs/)", type: str(), required: true },
    run: { value: "DIR", help: "run folder (created, or resumed if it has checkpoints)", type: str(), required: true },
    steps: { value: "N", help: "train at most N steps now, then save and exit (resume later)", type: int(1) },
    backend: backendFlag,
  },
  examples: ["npm run segmenter -- train --config trainer/configs/faces64-parts.json --run runs/faces64-parts"],
});
const exportCli = command({
  run: "npm run segmenter -- export",
  name: "segmenter export",
  summary: "Measures per-class IoU on the held-out images (into the card, and the picture iou.png), then packs weights/<name>/.",
  flags: {
    ...exportFlags,
    backend: backendFlag,
  },
  examples: ["npm run segmenter -- export --run runs/faces64-parts --name faces64-parts --card trainer/cards/faces64-parts.json"],
});

const which = subcommand("segmenter", { train: trainCli, export: exportCli });
const argv = process.argv.slice(3);

if (which === "train") {
  const f = trainCli.parseOrExit(argv);
  const config = await readJson("segmenter train", f.config, SegmenterTrainConfig);
  const backend = await selectBackend(f.backend).catch((e: Error) => fail("segmenter train", e.message));
  console.error(`backend: ${backend.name} (${backend.reason})`);
  const data = await openSegmenterData(config).catch((e: Error) => fail("segmenter train", e.message));
  try {
    checkClasses(config.segmenter.classes, data.train, `${f.config}: segmenter.classes`);
  } catch (e) {
    fail("segmenter train", (e as Error).message);
  }
  console.error(`dataset: ${data.train.size} training images, ${data.heldOut.length} held out, ${config.segmenter.classes.length} classes`);
  const labels = labelMaps(data.train, config.segmenter.classes, Array.from({ length: data.train.size }, (_, i) => i), "labels");
  await mkdir(f.run, { recursive: true });
  await appendFile(join(f.run, "sessions.jsonl"), `${JSON.stringify({ started: new Date().toISOString(), backend: backend.name, steps: f.steps ?? null })}\n`);
  const { finished } = await runSegmenterTraining({ runDir: f.run, config, data: data.train, labels, ...(f.steps ? { maxSteps: f.steps } : {}) }).catch((e: Error) =>
    fail("segmenter train", e.message),
  );
  process.exit(finished ? 0 : 3);
}

const f = exportCli.parseOrExit(argv);
const config = await readJson("segmenter export", join(f.run, "config.json"), SegmenterTrainConfig);
const ckpt = (await listCheckpoints(f.run)).at(-1) ?? fail("segmenter export", `${f.run}: no checkpoints`);
const { meta, tensors } = await loadCheckpoint(ckpt).catch((e: Error) => fail("segmenter export", e.message));
const values = paramValues(tensors, "S/");
const text = f.card ? await readJson("segmenter export", f.card, ModelCardText) : {};
const backend = await selectBackend(f.backend).catch((e: Error) => fail("segmenter export", e.message));
const data = await openSegmenterData(config).catch((e: Error) => fail("segmenter export", e.message));

// Measure the model as shipped: pack, load back through the shared loader, evaluate that.
const provenance = { trainer: "linkgan-web trainer", backend: backend.name, run: f.run, createdAt: new Date().toISOString(), config: { ...config, steps: meta.step } as Record<string, unknown> };
const draftCard = { title: "draft", description: "", datasets: [], metrics: {} };
const draft = await packSegmenter({ name: f.name, segmenter: config.segmenter, card: draftCard, provenance, values, dtype: f.dtype });
const loaded = await loadSegmenter(memorySource(draft.manifest, Object.fromEntries(draft.shards.map((s) => [s.path, s.bytes]))));
const segmenter = Segmenter.fromValues(loaded.manifest.segmenter, loaded.values);
const bar = new cliProgress.SingleBar({ format: "held-out IoU |{bar}| {value}/{total} images | ETA {eta_formatted}", hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000, formatTime }, cliProgress.Presets.shades_classic);
bar.start(data.heldOut.length, 0);
const evaluation = await evaluateSegmenter(segmenter, data.all, data.heldOut, { onProgress: (d) => bar.update(d) });
bar.stop();
segmenter.dispose();

const measuredBy = `npm run segmenter -- export --run ${f.run} --name ${f.name} --dtype ${f.dtype}`;
const metrics = {
  heldOutIou: Object.fromEntries(evaluation.iou.map((c) => [c.class, Number(c.iou.toFixed(4))])),
  pixelAccuracy: Number(evaluation.pixelAccuracy.toFixed(4)),
  heldOutImages: evaluation.images,
  evaluatedAs: `${f.dtype} weights through the shared loader, ${backend.name} backend`,
  command: measuredBy,
};
const packed = await packSegmenter({
  name: f.name,
  segmenter: config.segmenter,
  card: cardOf(text, { title: f.name, description: `Part segmenter trained by this project's trainer (run ${f.run}).` }, datasetLicenses(config.dataset), metrics),
  provenance,
  values,
  dtype: f.dtype,
});
const out = f.out ?? join("weights", f.name);
await writeModelDir(out, packed);
await writeFile(join(out, "iou.png"), evaluation.picture);
const m = packed.manifest;
const rows = evaluation.iou.map((c) => `| ${c.class} | ${Number.isNaN(c.iou) ? "–" : c.iou.toFixed(3)} | ${(c.share * 100).toFixed(1)} % |`);
await writeFile(
  join(out, "MODEL_CARD.md"),
  [
    `# ${m.card.title}`,
    "",
    m.card.description,
    "",
    ...proseSections(m.card),
    "## Held-out IoU",
    "",
    `${evaluation.images} held-out images (never trained on), ${metrics.evaluatedAs}. Pixel accuracy ${(evaluation.pixelAccuracy * 100).toFixed(2)} %. Target: IoU ≥ 0.85 on hair.`,
    "",
    "| class | IoU | share of pixels |",
    "|---|---|---|",
    ...rows,
    "",
    "Rows of `iou.png`: image, ground truth, prediction (two images per row).",
    "",
    `Measured with \`${measuredBy}\`.`,
    "",
    "## Architecture",
    "",
    `U-Net, ${config.segmenter.resolution} px, channels [${config.segmenter.channels.join(", ")}], classes ${config.segmenter.classes.map((c) => `\`${c}\``).join(", ")}; trained ${meta.step} steps of batch ${config.batch}.`,
    "",
    "## Data",
    "",
    ...datasetLines(m.card),
    "",
    `Version \`${m.version}\`.`,
    "",
  ].join("\n"),
);
for (const c of evaluation.iou) console.log(`${c.class.padEnd(10)} IoU ${Number.isNaN(c.iou) ? "–" : c.iou.toFixed(3)}`);
console.log(`${out}: ${m.name} ${m.version}, ${f.dtype}, ${packed.shards.reduce((a, s) => a + s.bytes.length, 0).toLocaleString("en")} bytes, step ${meta.step}`);
