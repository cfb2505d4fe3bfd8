/**
 * npm run pictures -- --model weights/faces64 [--out DIR]
 *
 * Renders a model folder's seeds.png and edits.png (trainer/pictures.ts) again, e.g. for a model
 * exported before the export wrote them.
 */
import { backendFlag, selectBackend } from "../backends.ts";
import { writeModelPictures } from "../pictures.ts";
import { command, fail, str } from "./args.ts";

const cli = command({
  run: "npm run pictures --",
  name: "pictures",
  summary: "Writes seeds.png (16 seeds) and edits.png (4 seeds, each region resampled, raw and composited, with change heat maps) for a model folder.",
  flags: {
    model: { value: "DIR", help: "model folder (manifest.json and shards)", type: str(), required: true },
    out: { value: "DIR", help: "where to write the two PNGs", type: str(), defaultText: "the model folder" },
    backend: backendFlag,
  },
  examples: ["npm run pictures -- --model weights/faces64"],
});

const f = cli.parseOrExit();
await selectBackend(f.backend).catch((e: Error) => fail("pictures", e.message));
const paths = await writeModelPictures(f.model, f.out).catch((e: Error) => fail("pictures", `--model ${f.model}: ${e.message}`));
console.log(`${paths.seeds}, ${paths.edits}`);
