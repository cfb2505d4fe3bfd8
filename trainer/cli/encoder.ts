/**
 * npm run encoder -- train    --config trainer/configs/faces64-encoder.json --model weights/faces64 --run runs/faces64-encoder
 * npm run encoder -- export   --run runs/faces64-encoder --name faces64-encoder --card trainer/cards/faces64-encoder.json
 * npm run encoder -- evaluate --model weights/faces64 --encoder weights/faces64-encoder --steps 100 [--space w+]
 *
 * `train` trains the GAN-inversion encoder (#14) against the frozen generator of --model (or
 * resumes it: the same command continues from the newest checkpoint; Ctrl-C saves one; --steps N
 * trains a resumable piece). `export` packs it (int8 by default) with its model card, pinned to the
 * model version it inverts, after measuring it as shipped. `evaluate` measures an exported encoder
 * on the held-out faces: PSNR and SSIM for the encoder alone and with N projector steps, time per
 * image, editability of the inverted codes, and a picture; `--space w+` projects and measures
 * editability in W+ (one w per synthesis layer) instead of W.
 */
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import cliProgress from "cli-progress";
import { Encoder } from "../../shared/encoder/encoder.ts";
import { DEFAULT_PRIOR_WEIGHT, DEFAULT_PROJECTOR_LR } from "../../shared/inversion/projector.ts";
import type { FloatImage } from "../../shared/generator/generator.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource, writeModelDir } from "../../shared/weights/file-source.ts";
import { loadEncoder, loadSegmenter, memorySource } from "../../shared/weights/loader.ts";
import { ModelCardText } from "../../shared/weights/manifest.ts";
import { cardOf, datasetLines, proseSections } from "../cards/card.ts";
import { packEncoder } from "../../shared/weights/pack.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { datasetBackground, datasetLicenses } from "../data/open.ts";
import { EncoderTrainConfig, noiseFlag, spaceFlag } from "../encoder/config.ts";
import { openEncoderData } from "../encoder/data.ts";
import { type EvaluateOptions, type InversionEvaluation, evaluateInversion, evaluationMarkdown } from "../encoder/evaluate.ts";
import { type InvertedModel, openEncoderFor, openFeatureNet, openInvertedModel } from "../encoder/open.ts";
import { runEncoderTraining } from "../encoder/train.ts";
import { listCheckpoints, loadCheckpoint, paramValues } from "../training/checkpoint.ts";
import { exportFlags } from "./export-flags.ts";
import { command, fail, int, num, readJson, str, subcommand } from "./args.ts";
import { formatTime } from "./format-time.ts";

const trainCli = command({
  run: "npm run encoder -- train",
  name: "encoder train",
  summary: "Trains (or resumes) the encoder of --model's generator; exit 0 when finished, 3 when paused (run again).",
  flags: {
    config: { value: "FILE", help: "encoder training config (JSON, see trainer/configs/)", type: str(), required: true },
    model: { value: "DIR", help: "the generator model folder to invert", type: str(), defaultText: "the config's model.path" },
    run: { value: "DIR", help: "run folder (created, or resumed if it has checkpoints)", type: str(), required: true },
    steps: { value: "N", help: "train at most N steps now, then save and exit (resume later)", type: int(1) },
    compact: {
      value: "DIR",
      help: "also keep a compact checkpoint (float16, under half the bytes) and the run's summary in DIR (commit it, e.g. weights/in-progress/NAME); resumes from it when the run folder has no checkpoint (a fresh checkout)",
      type: str(),
    },
    backend: backendFlag,
  },
  examples: [
    "npm run encoder -- train --config trainer/configs/faces64-encoder.json --model weights/faces64 --run runs/faces64-encoder",
    "npm run encoder -- train --config trainer/configs/faces64-encoder.json --model weights/faces64 --run runs/faces64-encoder --compact weights/in-progress/faces64-encoder",
  ],
});
const exportCli = command({
  run: "npm run encoder -- export",
  name: "encoder export",
  summary: "Packs the newest checkpoint into weights/<name>/ (or --out) with its card, after evaluating the packed weights on the held-out faces.",
  flags: {
    ...exportFlags,
    steps: { value: "N", help: "projector steps in the evaluation", type: int(0, 100_000), default: 100 },
    images: { value: "N", help: "held-out images evaluated", type: int(1), defaultText: "all" },
    backend: backendFlag,
  },
  examples: ["npm run encoder -- export --run runs/faces64-encoder --name faces64-encoder --card trainer/cards/faces64-encoder.json"],
});
const evaluateCli = command({
  run: "npm run encoder -- evaluate",
  name: "encoder evaluate",
  summary: "Held-out PSNR/SSIM (encoder alone, and + --steps projector steps in --space), time per image, editability (MSE_o/MSE_i on inverted vs sampled codes) and a picture.",
  flags: {
    model: { value: "DIR", help: "the generator model folder", type: str(), required: true },
    encoder: { value: "DIR", help: "an encoder exported for that model version", type: str(), required: true },
    steps: { value: "N", help: "projector steps after the encoder", type: int(0, 100_000), default: 100 },
    images: { value: "N", help: "held-out images evaluated", type: int(1), defaultText: "all" },
    lr: { value: "X", help: "the projector's peak learning rate", type: num(0, 10, { above: true }), defaultText: String(DEFAULT_PROJECTOR_LR) },
    prior: { value: "X", help: "the projector's latent prior weight (keeps codes on W's distribution)", type: num(0, 1000), defaultText: `${DEFAULT_PRIOR_WEIGHT.w} in W, ${DEFAULT_PRIOR_WEIGHT["w+"]} in W+` },
    noise: noiseFlag,
    space: { ...spaceFlag, help: "the space the projector optimizes and editability is measured in: w, or w+ (one w per synthesis layer from the encoder's w tiled; a region resampled in every layer)" },
    segmenter: { value: "DIR", help: "the projector's perceptual network", type: str(), defaultText: "the encoder's pinned one, or the model's" },
    out: { value: "FILE.json", help: "also write the results as JSON", type: str() },
    picture: { value: "FILE.png", help: "the picture of inputs and reconstructions", type: str(), default: "inversion.png" },
    backend: backendFlag,
  },
  examples: [
    "npm run encoder -- evaluate --model weights/faces64 --encoder weights/faces64-encoder --steps 100",
    "npm run encoder -- evaluate --model weights/faces64 --encoder weights/faces64-encoder --steps 100 --space w+ --out wplus.json --picture wplus.png",
  ],
});

const which = subcommand("encoder", { train: trainCli, export: exportCli, evaluate: evaluateCli });
const argv = process.argv.slice(3);
const cmd = `encoder ${which}`;

async function open<T>(what: string, p: Promise<T>): Promise<T> {
  return p.catch((e: Error) => fail(cmd, `${what}: ${e.message}`));
}

/** Progress bars for the evaluation's tasks, one at a time. */
function evaluationProgress(): { onProgress: EvaluateOptions["onProgress"]; stop: () => void } {
  const bar = new cliProgress.SingleBar({ format: "{task} |{bar}| {value}/{total} images | ETA {eta_formatted}", hideCursor: true, noTTYOutput: true, notTTYSchedule: 15_000, formatTime }, cliProgress.Presets.shades_classic);
  let current = "";
  return {
    onProgress(task, done, total) {
      if (task !== current) {
        if (current) bar.stop();
        bar.start(total, done, { task });
        current = task;
      } else bar.update(done);
    },
    stop: () => current && bar.stop(),
  };
}

/** The run config of an exported encoder (its provenance), when it parses. */
function trainConfigOf(provenance: { config?: Record<string, unknown> | undefined }): EncoderTrainConfig | undefined {
  return EncoderTrainConfig.safeParse(provenance.config).data;
}

async function evaluate(model: InvertedModel, encoder: Encoder, config: Pick<EncoderTrainConfig, "dataset" | "heldOut" | "datasetBatch">, o: { steps: number; images?: number | undefined; lr?: number | undefined; prior?: number | undefined; noise: EvaluateOptions["noise"]; space?: EvaluateOptions["space"]; featureNet: Segmenter | undefined }): Promise<InversionEvaluation> {
  const data = await open("dataset", openEncoderData(config, model.manifest, cmd));
  const indices = o.images ? data.heldOut.slice(0, o.images) : data.heldOut;
  const segmenter = model.manifest.segmenter ? Segmenter.fromValues(model.manifest.segmenter, model.values) : undefined;
  const progress = evaluationProgress();
  try {
    return await evaluateInversion({
      generator: model.generator,
      encoder,
      regions: model.manifest.regions,
      data: data.all,
      indices,
      steps: o.steps,
      ...(o.lr ? { lr: o.lr } : {}),
      ...(o.prior !== undefined ? { prior: o.prior } : {}),
      noise: o.noise,
      ...(o.space ? { space: o.space } : {}),
      featureNet: o.featureNet,
      segmenter,
      onProgress: progress.onProgress,
    });
  } finally {
    progress.stop();
    segmenter?.dispose();
  }
}

if (which === "train") {
  const f = trainCli.parseOrExit(argv);
  const fileConfig = await readJson(cmd, f.config, EncoderTrainConfig);
  const modelPath = f.model ?? fileConfig.model?.path ?? fail(cmd, `--model: required (the generator model folder to invert, e.g. weights/faces64), since ${f.config} names no model`);
  const backend = await selectBackend(f.backend).catch((e: Error) => fail(cmd, e.message));
  console.error(`backend: ${backend.name} (${backend.reason})`);
  const model = await open(`--model ${modelPath}`, openInvertedModel(modelPath));
  const m = model.manifest;
  if (fileConfig.model && (fileConfig.model.version !== m.version || fileConfig.model.name !== m.name)) {
    fail(cmd, `${f.config}: model.version is ${fileConfig.model.name} ${fileConfig.model.version}, but ${modelPath} is ${m.name} ${m.version}; an encoder learns one version's W (start a new run for this version)`);
  }
  const config: EncoderTrainConfig = { ...fileConfig, model: { name: m.name, version: m.version, path: fileConfig.model?.path ?? modelPath } };
  if (config.encoder.resolution !== m.generator.resolution || config.encoder.wDim !== m.generator.wDim) {
    fail(cmd, `${f.config}: encoder.resolution ${config.encoder.resolution} and encoder.wDim ${config.encoder.wDim} must equal ${modelPath}'s generator (${m.generator.resolution}, ${m.generator.wDim})`);
  }
  const featureNet = await open(config.segmenter ? `segmenter ${config.segmenter.path}` : "segmenter", openFeatureNet(model, config.segmenter));
  if (config.loss.perceptual > 0 && !featureNet) fail(cmd, `${f.config}: loss.perceptual is ${config.loss.perceptual} but ${modelPath} bundles no segmenter; pin one in "segmenter": { "path", "version" } (e.g. weights/faces64-parts) or set loss.perceptual to 0`);
  const data = await open("dataset", openEncoderData(config, m, f.config));
  console.error(`dataset: ${data.train.size} training images, the last ${data.heldOut.length} held out; inverting ${m.name} ${m.version}`);
  const res = m.generator.resolution;
  const previewIdx = data.heldOut.slice(0, 8);
  const flat = await data.all.batch(previewIdx);
  const preview: FloatImage[] = previewIdx.map((_, i) => ({ width: res, height: res, data: flat.slice(i * res * res * 3, (i + 1) * res * res * 3) }));
  await mkdir(f.run, { recursive: true });
  await appendFile(join(f.run, "sessions.jsonl"), `${JSON.stringify({ started: new Date().toISOString(), backend: backend.name, steps: f.steps ?? null })}\n`);
  const { finished } = await runEncoderTraining({ runDir: f.run, config, generator: model.generator, data: data.train, featureNet, preview, ...(f.steps ? { maxSteps: f.steps } : {}), ...(f.compact ? { compactDir: f.compact } : {}) }).catch((e: Error) => fail(cmd, e.message));
  process.exit(finished ? 0 : 3);
}

if (which === "export") {
  const f = exportCli.parseOrExit(argv);
  const config = await readJson(cmd, join(f.run, "config.json"), EncoderTrainConfig);
  const pin = config.model ?? fail(cmd, `${f.run}/config.json: names no model (train with --model)`);
  const ckpt = (await listCheckpoints(f.run)).at(-1) ?? fail(cmd, `${f.run}: no checkpoints`);
  const { meta, tensors } = await open(ckpt, loadCheckpoint(ckpt));
  const values = paramValues(tensors, "E/");
  const text = f.card ? await readJson(cmd, f.card, ModelCardText) : {};
  const backend = await selectBackend(f.backend).catch((e: Error) => fail(cmd, e.message));
  const model = await open(`model ${pin.path}`, openInvertedModel(pin.path));
  if (model.manifest.version !== pin.version) fail(cmd, `${pin.path} is now version ${model.manifest.version}; the run trained on ${pin.version} (model.version in ${f.run}/config.json)`);
  const featureNet = await open("segmenter", openFeatureNet(model, config.segmenter));

  // Measure the encoder as shipped: pack, load back through the shared loader, evaluate that.
  const inverts = { name: pin.name, version: pin.version };
  const provenance = { trainer: "linkgan-web trainer", backend: backend.name, run: f.run, createdAt: new Date().toISOString(), config: { ...config, steps: meta.step } as Record<string, unknown> };
  const draft = await packEncoder({ name: f.name, encoder: config.encoder, inverts, card: { title: "draft", description: "", datasets: [], metrics: {} }, provenance, values, dtype: f.dtype });
  const loaded = await loadEncoder(memorySource(draft.manifest, Object.fromEntries(draft.shards.map((s) => [s.path, s.bytes]))));
  const encoder = Encoder.fromValues(loaded.manifest.encoder, loaded.values);
  const evaluation = await evaluate(model, encoder, config, { steps: f.steps, images: f.images, noise: config.noise, featureNet });
  encoder.dispose();
  const measuredBy = `npm run encoder -- export --run ${f.run} --name ${f.name} --dtype ${f.dtype} --steps ${f.steps}${f.images ? ` --images ${f.images}` : ""}`;
  const { picture, pictureColumns, ...figures } = evaluation;
  const metrics = { ...figures, pictureColumns, evaluatedAs: `${f.dtype} weights through the shared loader, ${backend.name} backend`, command: measuredBy };
  const dataSpec = (await open("dataset", openEncoderData(config, model.manifest, cmd))).spec;
  const background = datasetBackground(dataSpec);
  const packed = await packEncoder({
    name: f.name,
    encoder: config.encoder,
    inverts,
    ...(background ? { background } : {}),
    card: cardOf(text, { title: f.name, description: `GAN-inversion encoder for ${pin.name} ${pin.version}, trained by this project's trainer (run ${f.run}).` }, datasetLicenses(dataSpec), metrics),
    provenance,
    values,
    dtype: f.dtype,
  });
  const out = f.out ?? join("weights", f.name);
  await writeModelDir(out, packed);
  await writeFile(join(out, "inversion.png"), picture);
  const pm = packed.manifest;
  const lines = [
    `# ${pm.card.title}`,
    "",
    pm.card.description,
    "",
    ...proseSections(pm.card),
    "## Reconstruction and editability",
    "",
    ...evaluationMarkdown(evaluation, backend.name),
    "",
    "Targets (#14): encoder + projector ≥ 24 dB PSNR at 64 px, encoder alone ≥ 20 dB, locality on inverted codes within 1.5× of sampled codes.",
    "",
    `Columns of \`inversion.png\`: ${pictureColumns.join(" | ")}.`,
    "",
    `Measured with \`${measuredBy}\`.`,
    "",
    "## Architecture",
    "",
    `Residual CNN, ${config.encoder.resolution} px → W (${config.encoder.wDim}), channels [${config.encoder.channels.join(", ")}], dense ${config.encoder.hidden ?? config.encoder.wDim}; trained ${meta.step} steps of ${config.batch} generated pairs + ${config.datasetBatch} dataset images (losses: w ${config.loss.w}, pixel ${config.loss.pixel}, perceptual ${config.loss.perceptual}).`,
    `Inverts \`${pin.name}\` version \`${pin.version}\`: its codes are only meaningful in that version's W.`,
    "",
    "## Data",
    "",
    ...datasetLines(pm.card),
    "",
    `Version \`${pm.version}\`.`,
    "",
  ];
  await writeFile(join(out, "MODEL_CARD.md"), lines.join("\n"));
  console.log(evaluationMarkdown(evaluation, backend.name).join("\n"));
  console.log(`${out}: ${pm.name} ${pm.version}, ${f.dtype}, ${packed.shards.reduce((a, s) => a + s.bytes.length, 0).toLocaleString("en")} bytes, step ${meta.step}, inverts ${pin.name} ${pin.version}`);
  process.exit(0);
}

// evaluate
const f = evaluateCli.parseOrExit(argv);
const backend = await selectBackend(f.backend).catch((e: Error) => fail(cmd, e.message));
console.error(`backend: ${backend.name}`);
const model = await open(`--model ${f.model}`, openInvertedModel(f.model));
const { encoder, manifest } = await open(`--encoder ${f.encoder}`, openEncoderFor(f.encoder, model));
const trained = trainConfigOf(manifest.provenance);
let featureNet: Segmenter | undefined;
if (f.segmenter) {
  const s = await open(`--segmenter ${f.segmenter}`, loadSegmenter(fileSource(f.segmenter)));
  featureNet = Segmenter.fromValues(s.manifest.segmenter, s.values);
} else {
  featureNet = await openFeatureNet(model, trained?.segmenter).catch(() => openFeatureNet(model));
}
if (f.steps > 0 && !featureNet) console.error("projector: no segmenter (the model bundles none and --segmenter is not given): pixel loss only");
const evaluation = await evaluate(model, encoder, trained ?? { heldOut: 200, datasetBatch: 0 }, { steps: f.steps, images: f.images, lr: f.lr, prior: f.prior, noise: f.noise, space: f.space, featureNet });
encoder.dispose();
await writeFile(f.picture, evaluation.picture);
const { picture, ...figures } = evaluation;
const result = { model: model.manifest.name, version: model.manifest.version, encoderWeights: { name: manifest.name, version: manifest.version }, backend: backend.name, ...figures, command: `npm run encoder -- evaluate --model ${f.model} --encoder ${f.encoder} --steps ${f.steps}${f.images ? ` --images ${f.images}` : ""}${f.space === "w" ? "" : ` --space ${f.space}`}${f.prior !== undefined ? ` --prior ${f.prior}` : ""}${f.lr !== undefined ? ` --lr ${f.lr}` : ""}` };
if (f.out) await writeFile(f.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(evaluationMarkdown(evaluation, backend.name).join("\n"));
console.log(`\n${f.picture}: ${evaluation.pictureColumns.join(" | ")} (${Math.min(8, evaluation.images)} rows)`);
process.exit(0);
