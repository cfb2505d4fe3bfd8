/**
 * npm run train -- --config trainer/configs/faces64-pretrain.json --run runs/faces64-pretrain
 *
 * Trains (or continues: the same command resumes from the run's newest checkpoint). Ctrl-C saves a
 * checkpoint and stops. --steps N trains at most N steps in this invocation (a resumable piece).
 * --fine-tune-from starts a new run from another run's newest checkpoint (its EMA generator and D),
 * e.g. LinkGAN fine-tuning after pretraining without links.
 */
import { appendFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { canonicalJson } from "../../shared/weights/content-id.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadModel } from "../../shared/weights/loader.ts";
import { listCheckpoints } from "../training/checkpoint.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { openDataset } from "../data/open.ts";
import { TrainConfig } from "../training/config.ts";
import { runTraining } from "../training/run.ts";
import { command, fail, int, readJson, str } from "./args.ts";

const cli = command({
  run: "npm run train --",
  name: "train",
  summary: "Trains a generator, or continues the run: the same command resumes from the run's newest checkpoint.",
  flags: {
    config: { value: "FILE", help: "training config (JSON, see trainer/configs/)", type: str(), required: true },
    run: { value: "DIR", help: "run folder (created, or resumed if it has checkpoints)", type: str(), required: true },
    backend: backendFlag,
    "fine-tune-from": { value: "DIR", help: "start from another run's newest checkpoint, its G_ema and D (a run folder, a --compact folder or a checkpoint)", type: str() },
    "from-model": { value: "DIR", help: "start from an exported model's generator (e.g. weights/faces64), with a fresh D", type: str() },
    steps: { value: "N", help: "train at most N steps now, then save and exit (resume later)", type: int(1) },
    compact: {
      value: "DIR",
      help: "also keep a compact checkpoint (float16, ~1/4 the bytes) and the run's summary in DIR (commit it, e.g. weights/in-progress/NAME); resumes from it when the run folder has no checkpoint (a fresh checkout)",
      type: str(),
    },
  },
  examples: ["npm run train -- --config trainer/configs/faces64-pretrain.json --run runs/faces64-pretrain"],
  footer: "Exit status: 0 when the run has finished, 3 when it paused (run the same command to continue).",
  check: (f) => (f["fine-tune-from"] && f["from-model"] ? "--fine-tune-from and --from-model: give one starting point, not both" : undefined),
});

const flags = cli.parseOrExit();
const config = await readJson("train", flags.config, TrainConfig);
if (!config.dataset) fail("train", `${flags.config}: dataset: required to train`);
const backend = await selectBackend(flags.backend).catch((e: Error) => fail("train", e.message));
console.error(`backend: ${backend.name} (${backend.reason})`);
let fineTuneFrom: string | undefined;
if (flags["fine-tune-from"]) {
  // A run folder (its newest checkpoint), a compact folder (its checkpoint/), or a checkpoint itself.
  const from = flags["fine-tune-from"];
  const compact = join(from, "checkpoint");
  fineTuneFrom = (await listCheckpoints(from)).at(-1) ?? ((await stat(join(compact, "state.json")).catch(() => null)) ? compact : from);
}
const fromModel = flags["from-model"] ? await loadModel(fileSource(flags["from-model"])).catch((e: Error) => fail("train", e.message)) : undefined;
if (fromModel && canonicalJson(fromModel.manifest.generator) !== canonicalJson(config.generator)) {
  fail("train", `--from-model ${flags["from-model"]}: its generator config differs from ${flags.config}'s`);
}
const data = await openDataset(config.dataset, config.generator.resolution).catch((e: Error) => fail("train", e.message));
console.error(`dataset: ${config.dataset.kind}, ${data.size} images at ${data.resolution} px`);
await mkdir(flags.run, { recursive: true });
await appendFile(join(flags.run, "sessions.jsonl"), `${JSON.stringify({ started: new Date().toISOString(), backend: backend.name, reason: backend.reason, steps: flags.steps ?? null })}\n`);
// Dawn reports WebGPU validation errors without throwing, and the kernel's output is then garbage:
// stop before such a step reaches a checkpoint.
const { takeDawnErrors } = backend.name === "webgpu" ? await import("../webgpu.ts") : { takeDawnErrors: () => [] as string[] };
const { finished } = await runTraining({
  afterStep: () => {
    const errors = takeDawnErrors();
    if (errors.length) throw new Error(`WebGPU reported ${errors.length} error(s) during this step; stopping without saving it:\n  ${errors.slice(0, 5).join("\n  ")}`);
  },
  runDir: flags.run,
  config,
  data,
  ...(fineTuneFrom ? { fineTuneFrom } : {}),
  ...(fromModel ? { fineTuneFromWeights: fromModel.values } : {}),
  ...(flags.steps ? { maxSteps: flags.steps } : {}),
  ...(flags.compact ? { compactDir: flags.compact } : {}),
});
process.exit(finished ? 0 : 3);
