/**
 * Model cards as the exporters write them: the text of a `--card` file (the JSON files beside this
 * one) over the exporter's defaults, and the Markdown sections every MODEL_CARD.md shares.
 */
import type { DatasetInfo, ModelCard, ModelCardText } from "../../shared/weights/manifest.ts";

/**
 * A card from a `--card` file's text (its fields win) and what the exporter knows.
 *
 * @example
 * const card = cardOf(text, { title: "faces64-parts", description: "Part segmenter…" }, datasets, metrics);
 */
export function cardOf(text: ModelCardText, defaults: { title: string; description: string }, datasets: DatasetInfo[], metrics: Record<string, unknown>): ModelCard {
  return {
    title: text.title ?? defaults.title,
    description: text.description ?? defaults.description,
    ...(text.intendedUse ? { intendedUse: text.intendedUse } : {}),
    ...(text.limitations ? { limitations: text.limitations } : {}),
    ...(text.license ? { license: text.license } : {}),
    datasets,
    metrics,
  };
}

/** The card's "Intended use" and "Limitations" sections, where it has them. */
export function proseSections(card: ModelCard): string[] {
  return [...(card.intendedUse ? ["## Intended use", "", card.intendedUse, ""] : []), ...(card.limitations ? ["## Limitations", "", card.limitations, ""] : [])];
}

/** One Markdown bullet per dataset: name, licence, attribution and link. */
export function datasetLines(card: ModelCard): string[] {
  return card.datasets.map((d) => `- ${d.name}: ${d.license}. ${d.attribution}${d.url ? ` (${d.url})` : ""}`);
}
