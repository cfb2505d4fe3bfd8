/**
 * npm run run-summary -- --run runs/faces64-linked --out weights/faces64/runs/faces64-linked
 *
 * Copies what a person needs to judge a run, and nothing heavy, into a folder that can be committed
 * beside the model: config.json, sessions.jsonl, metrics.jsonl, curves.png and the newest sample
 * grids (seeds and regions), re-encoded as palette PNGs to keep the repository small. Checkpoints
 * stay behind.
 */
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { command, str } from "../trainer/cli/args.ts";

const a = command({
  run: "npm run run-summary --",
  name: "run-summary",
  summary: "Copies a run's config, logs, curves and newest sample grids (palette PNGs) into a folder to commit.",
  flags: {
    run: { value: "DIR", help: "the run folder", type: str(), required: true },
    out: { value: "DIR", help: "the folder to write (created)", type: str(), required: true },
  },
  examples: ["npm run run-summary -- --run runs/faces64-linked --out weights/faces64/runs/faces64-linked"],
}).parseOrExit();
await mkdir(a.out, { recursive: true });
for (const f of ["config.json", "sessions.jsonl", "metrics.jsonl"]) {
  await copyFile(join(a.run, f), join(a.out, f)).catch((e: Error) => {
    console.error(`${a.run}: ${f}: ${e.message}`);
    process.exit(1);
  });
}
const samples = (await readdir(join(a.run, "samples"))).sort();
const newest = (kind: string) => samples.filter((s) => s.endsWith(`-${kind}.png`)).at(-1);
for (const file of ["curves.png", ...[newest("seeds"), newest("regions")].filter((f): f is string => !!f).map((f) => join("samples", f))]) {
  const name = file.replace("samples/", "");
  await sharp(join(a.run, file)).png({ palette: true, quality: 90, compressionLevel: 9 }).toFile(join(a.out, name));
  console.log(`${join(a.out, name)}`);
}
