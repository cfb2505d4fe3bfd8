/**
 * The committed copy of a run in progress. runs/ is not kept by a fresh checkout, so a run given a
 * compact folder (e.g. weights/in-progress/<name>) mirrors every checkpoint there in compact form
 * (`checkpoint/`: float16 weights, log8 Adam moments, see checkpoint.ts) with its summary files,
 * and on a checkout whose run folder has no checkpoint it resumes from that copy. The GAN's run
 * (run.ts) and the step-trained networks' (step-run.ts) share it.
 */
import { copyFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { TensorEncoding } from "./checkpoint.ts";

const exists = (path: string) => stat(path).then(
  () => true,
  () => false,
);

/** The compact checkpoint's folder inside a compact folder. */
const compactCheckpoint = (compactDir: string) => join(compactDir, "checkpoint");

/**
 * A tensor's encoding in a compact checkpoint: Adam's second moments (`opt…/v/…`) on the log8 scale,
 * its step counter (`opt…/t`) exact, everything else (weights, first moments) float16.
 */
export function compactEncoding(name: string): TensorEncoding {
  if (/^opt[^/]*\/v\//.test(name)) return "log8";
  if (/^opt[^/]*\/t$/.test(name)) return "f32";
  return "f16";
}

/**
 * The compact checkpoint to resume from when the run folder has none of its own (a fresh
 * checkout), after copying its metrics.jsonl into the run folder so the curves continue; else
 * undefined.
 *
 * @example
 * const ckpt = (await listCheckpoints(runDir)).at(-1) ?? (compactDir && (await resumeFromCompact(runDir, compactDir)));
 */
export async function resumeFromCompact(runDir: string, compactDir: string): Promise<string | undefined> {
  const ckpt = compactCheckpoint(compactDir);
  if (!(await exists(join(ckpt, "state.json")))) return undefined;
  const metrics = join(compactDir, "metrics.jsonl");
  if (!(await exists(join(runDir, "metrics.jsonl"))) && (await exists(metrics))) await copyFile(metrics, join(runDir, "metrics.jsonl"));
  return ckpt;
}

/**
 * Writes the compact checkpoint (through `save`, which replaces the previous one) and copies the
 * run folder's summary files that exist into the compact folder.
 */
export async function mirrorToCompact(runDir: string, compactDir: string, save: (dir: string) => Promise<void>, files: readonly string[]): Promise<void> {
  await mkdir(compactDir, { recursive: true });
  await save(compactCheckpoint(compactDir));
  for (const f of files) if (await exists(join(runDir, f))) await copyFile(join(runDir, f), join(compactDir, f));
}
