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
import { parseArgs } from "node:util";
import sharp from "sharp";

const { values: a } = parseArgs({ options: { run: { type: "string" }, out: { type: "string" } } });
if (!a.run || !a.out) {
  console.error("usage: npm run run-summary -- --run RUN_DIR --out DIR");
  process.exit(2);
}
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
