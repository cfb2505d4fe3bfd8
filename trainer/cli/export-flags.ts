import { ModelName } from "../../shared/weights/manifest.ts";
import { type ValueFlag, oneOf, str } from "./args.ts";

/**
 * The flags every export command shares (generator, segmenter, encoder): which run, the model name,
 * the output folder, the weight dtype and the card text.
 *
 * @example
 * command({ run: "npm run export --", name: "export", summary: "…", flags: { ...exportFlags, backend: backendFlag } });
 */
export const exportFlags = {
  run: { value: "DIR", help: "run folder (its newest checkpoint is exported)", type: str(), required: true },
  name: { value: "NAME", help: "model name (1–64 chars of a-z, 0-9, _ or -)", type: ModelName, required: true },
  out: { value: "DIR", help: "output folder", type: str(), defaultText: "weights/<name>" },
  dtype: { value: "D", help: "int8 | float16 | float32", type: oneOf(["int8", "float16", "float32"]), default: "int8" },
  card: { value: "FILE", help: "JSON with card text: title, description, intendedUse, limitations, license", type: str() },
} as const satisfies Record<string, ValueFlag>;
