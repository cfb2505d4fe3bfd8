/**
 * Export a run's EMA generator to the shared weight format (int8 by default) in weights/<name>/,
 * with the model card inside the manifest and as MODEL_CARD.md beside it.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ParamValues } from "../shared/generator/params.ts";
import type { ModelCard } from "../shared/weights/manifest.ts";
import { writeModelDir } from "../shared/weights/file-source.ts";
import { type PackedModel, packModel } from "../shared/weights/pack.ts";
import type { WeightDtype } from "../shared/weights/quantize.ts";
import type { TrainConfig } from "./training/config.ts";

export interface ExportInput {
  name: string;
  dir: string;
  config: TrainConfig;
  values: ParamValues;
  dtype?: WeightDtype;
  card: ModelCard;
  provenance: { backend: string; run: string; steps: number; kimg: number; parent?: string };
}

export async function exportModel(input: ExportInput): Promise<PackedModel> {
  const packed = await packModel({
    name: input.name,
    generator: input.config.generator,
    regions: input.config.regions,
    card: input.card,
    provenance: {
      trainer: "linkgan-web trainer",
      backend: input.provenance.backend,
      run: input.provenance.run,
      createdAt: new Date().toISOString(),
      ...(input.provenance.parent ? { parent: input.provenance.parent } : {}),
      config: { ...input.config, steps: input.provenance.steps, kimg: input.provenance.kimg } as Record<string, unknown>,
    },
    values: input.values,
    dtype: input.dtype ?? "int8",
  });
  await writeModelDir(input.dir, packed);
  await writeFile(join(input.dir, "MODEL_CARD.md"), modelCardMarkdown(packed));
  return packed;
}

export function modelCardMarkdown(p: PackedModel): string {
  const m = p.manifest;
  const c = m.card;
  const lines = [
    `# ${c.title}`,
    "",
    c.description,
    "",
    `- Model: \`${m.name}\`, version \`${m.version}\`, ${m.generator.resolution}×${m.generator.resolution} px, W ${m.generator.wDim}-d`,
    `- Trained by: ${m.provenance.trainer} on backend ${m.provenance.backend ?? "?"}, run \`${m.provenance.run ?? "?"}\``,
    `- Weights: ${m.shards.reduce((a, s) => a + s.bytes, 0).toLocaleString("en")} bytes in ${m.shards.length} shard(s)`,
    "",
    "## Linked regions",
    "",
    "| region | W axes | mask |",
    "|---|---|---|",
    ...m.regions.map((r) => `| ${r.label ?? r.name} (\`${r.name}\`) | [${r.axes.start}, ${r.axes.end}) | ${JSON.stringify(r.mask)} |`),
    "",
    ...(c.intendedUse ? ["## Intended use", "", c.intendedUse, ""] : []),
    ...(c.limitations ? ["## Limitations", "", c.limitations, ""] : []),
    "## Data and licences",
    "",
    ...c.datasets.map((d) => `- ${d.name}: ${d.license}. ${d.attribution}${d.url ? ` (${d.url})` : ""}`),
    "",
    "## Metrics",
    "",
    "```json",
    JSON.stringify(c.metrics, null, 2),
    "```",
    "",
  ];
  return lines.join("\n");
}
