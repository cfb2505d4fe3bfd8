import { describe, expect, it } from "vitest";
import { MODEL, seedTinyEncoder, seedTinyModel, testEnv } from "../testing.ts";
import { withModel } from "./registry.ts";

describe("a loaded model version's encoder", () => {
  it("is found once it is published, even after a request found none (a warm isolate does not remember its absence)", async () => {
    const version = await seedTinyModel(11);
    expect(await withModel(testEnv, MODEL, version, (m) => m.encoder())).toBeUndefined();
    const encoderVersion = await seedTinyEncoder(MODEL, version); // what npm run publish:model does on a deployed worker
    const live = await withModel(testEnv, MODEL, version, (m) => m.encoder());
    expect(live?.manifest.version).toBe(encoderVersion);
    // Found once, it is kept: the same instance, not loaded again.
    expect(await withModel(testEnv, MODEL, version, (m) => m.encoder())).toBe(live);
  });
});
