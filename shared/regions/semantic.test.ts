import { describe, expect, it } from "vitest";
import golden from "../../test/fixtures/tiny-semantic-golden.json";
import { TINY_SEMANTIC_REGIONS, tinySemanticPackInput } from "../../test/fixtures/tiny.ts";
import { Generator } from "../generator/generator.ts";
import { Segmenter } from "../segmenter/segmenter.ts";
import { loadModel, memorySource } from "../weights/loader.ts";
import { packModel } from "../weights/pack.ts";
import { maskArea } from "./mask.ts";

// Runs in Node and inside workerd: a semantic region's mask is the segmenter's, computed by the
// same shared code in every runtime, and must be the same label for label.

async function loadSemanticFixture() {
  const packed = await packModel({ name: "tiny-semantic", provenance: { trainer: "test" }, ...tinySemanticPackInput(golden.paramSeed) });
  const loaded = await loadModel(memorySource(packed.manifest, Object.fromEntries(packed.shards.map((s) => [s.path, s.bytes]))));
  return { loaded, g: Generator.fromValues(loaded.manifest.generator, loaded.values), s: Segmenter.fromValues(loaded.manifest.segmenter!, loaded.values) };
}

describe("semantic regions", () => {
  it("a model bundling a segmenter loads through the one loader, and its segmenter labels the golden seeds exactly", async () => {
    const { loaded, g, s } = await loadSemanticFixture();
    try {
      expect(loaded.manifest.segmenter?.classes).toEqual(golden.classes);
      expect(loaded.manifest.regions.filter((r) => r.mask.kind === "semantic").map((r) => r.name)).toEqual(["blob"]);
      const images = await g.render(await g.mapSeeds(golden.seeds, golden.truncation), golden.seeds);
      const labels = await s.labels(images);
      for (const [i, l] of labels.entries()) {
        const differ = l.reduce((a, v, p) => a + (v === golden.labels[i]![p] ? 0 : 1), 0);
        expect(differ, `seed ${golden.seeds[i]}: labels differing from Node's golden`).toBe(0);
      }
    } finally {
      g.dispose();
      s.dispose();
    }
  });

  it("the semantic mask is per image: the region's class covers a different, non-trivial part of each seed", async () => {
    const { g, s } = await loadSemanticFixture();
    try {
      const region = TINY_SEMANTIC_REGIONS.find((r) => r.mask.kind === "semantic")!;
      const cls = region.mask.kind === "semantic" ? region.mask.class : "";
      const [a, b] = await s.masks(await g.render(await g.mapSeeds([7, 8], 1), [7, 8]), cls);
      const n = a!.size * a!.size;
      for (const m of [a!, b!]) expect(maskArea(m) / n).toSatisfy((f: number) => f > 0.1 && f < 0.9);
      expect(a!.data).not.toEqual(b!.data);
      expect(() => s.classIndex("hair")).toThrow(/no class "hair" \(classes: other, blob\)/);
    } finally {
      g.dispose();
      s.dispose();
    }
  });
});
