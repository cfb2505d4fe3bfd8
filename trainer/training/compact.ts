/**
 * The committed copy of a run in progress. runs/ is not kept by a fresh checkout, so a run given a
 * compact folder (e.g. weights/in-progress/<name>) mirrors every checkpoint there in compact form
 * (`checkpoint/`: float16 weights, log8 Adam moments, see checkpoint.ts) with its summary files,
 * and on a checkout whose run folder has no checkpoint it resumes from that copy. The GAN's run
 * (run.ts) and the step-trained networks' (step-run.ts) share it.
 */
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
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

/** The run's history logs: one JSON line per log interval and per session, appended as the run goes. */
const HISTORY_FILES = ["metrics.jsonl", "sessions.jsonl"] as const;

/**
 * The compact checkpoint to resume from when the run folder has none of its own (a fresh
 * checkout), else undefined. Its history (metrics.jsonl, sessions.jsonl) goes first in the run
 * folder's, so the curves continue and the session that just started (already appended to the
 * fresh sessions.jsonl) follows the earlier ones instead of replacing them at the next mirror.
 *
 * @example
 * const ckpt = (await listCheckpoints(runDir)).at(-1) ?? (compactDir && (await resumeFromCompact(runDir, compactDir)));
 */
export async function resumeFromCompact(runDir: string, compactDir: string): Promise<string | undefined> {
  const ckpt = compactCheckpoint(compactDir);
  if (!(await exists(join(ckpt, "state.json")))) return undefined;
  for (const f of HISTORY_FILES) {
    const kept = await readFile(join(compactDir, f), "utf8").catch(() => "");
    if (!kept) continue;
    const here = await readFile(join(runDir, f), "utf8").catch(() => "");
    if (here.startsWith(kept.split("\n")[0]!)) continue; // the history is already here
    await writeFile(join(runDir, f), kept.endsWith("\n") || !here ? kept + here : `${kept}\n${here}`);
  }
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
