import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadEncoder } from "../../shared/weights/loader.ts";

const run = promisify(execFile);
const cli = (...args: string[]) => run("node", ["--import", "tsx", "trainer/cli/encoder.ts", ...args], { timeout: 120_000 });
const MODEL = "test/fixtures/tiny-semantic-model"; // bundles a segmenter: the perceptual term needs no pin
let dir: string;
const config = {
  encoder: { resolution: 16, wDim: 32, channels: [4, 8, 8] },
  dataset: { kind: "dicebear", style: "adventurer", count: 12 },
  heldOut: 3,
  batch: 2,
  datasetBatch: 2,
  steps: 4,
  checkpointEvery: 2,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "encoder-cli-"));
  await writeFile(join(dir, "c.json"), JSON.stringify(config));
  await writeFile(join(dir, "wrong.json"), JSON.stringify({ ...config, encoder: { ...config.encoder, wDim: 64 } }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run encoder", () => {
  it("trains in resumable pieces, exports int8 weights pinned to the model, and evaluates them on the held-out faces", async () => {
    const runDir = join(dir, "run");
    const first = await cli("train", "--config", join(dir, "c.json"), "--model", MODEL, "--run", runDir, "--steps", "2").catch((e: { code: number }) => e);
    expect((first as { code: number }).code).toBe(3); // paused: run again to continue
    const second = await cli("train", "--config", join(dir, "c.json"), "--model", MODEL, "--run", runDir);
    // The progress line shows every field's value (a hyphenated name once printed as "{w-mse}").
    expect(second.stderr).toMatch(/w-mse \d+\.\d{4} training-face PSNR -?\d+\.\d\d dB/);
    const stored = JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
    expect(stored.model).toEqual({ name: "tiny-semantic", version: "v66722c82c80a95a8", path: MODEL });
    const out = join(dir, "enc");
    const { stdout } = await cli("export", "--run", runDir, "--name", "tiny-encoder", "--out", out, "--steps", "2");
    expect(stdout).toMatch(/\| encoder \| \d+\.\d\d \|/);
    expect(stdout).toMatch(/\| encoder \+ projector \(2 steps, lr 0\.1, prior 0\.01\) \|/);
    expect(stdout).toMatch(/Distance from W.s distribution .*: the encoder.s codes \d+\.\d\d, the projector.s \d+\.\d\d\./);
    const { manifest } = await loadEncoder(fileSource(out));
    expect(manifest.inverts).toEqual({ name: "tiny-semantic", version: "v66722c82c80a95a8" });
    expect(manifest.weightsManifest[0]!.weights.find((w) => w.name === "encoder.fc.weight")!.quantization?.dtype).toBe("int8");
    const metrics = manifest.card.metrics as { images: number; encoder: { psnr: number }; editability: { region: string }[] };
    expect(metrics.images).toBe(3);
    expect(metrics.editability.map((r) => r.region)).toEqual(["left-eye", "right-eye", "mouth", "blob"]);
    expect(await readFile(join(out, "MODEL_CARD.md"), "utf8")).toMatch(/Inverts `tiny-semantic` version `v66722c82c80a95a8`/);
    const picture = join(dir, "p.png");
    const json = join(dir, "m.json");
    const ev = await cli("evaluate", "--model", MODEL, "--encoder", out, "--steps", "0", "--picture", picture, "--out", json);
    expect(ev.stdout).toMatch(/p\.png: original \| encoder \| left-eye resampled \| right-eye resampled \| mouth resampled \| blob resampled \(3 rows\)/);
    const result = JSON.parse(await readFile(json, "utf8"));
    expect(result.projector).toBeNull();
    expect(result.encoder.psnr).toBeCloseTo(metrics.encoder.psnr, 6); // the same weights, the same held-out faces
    expect((await readFile(picture)).subarray(1, 4).toString()).toBe("PNG");
    expect(result.space).toBe("w");
    const plusJson = join(dir, "plus.json");
    const plus = await cli("evaluate", "--model", MODEL, "--encoder", out, "--steps", "2", "--space", "w+", "--picture", join(dir, "plus.png"), "--out", plusJson);
    expect(plus.stdout).toMatch(/codes in W\+/);
    expect(plus.stdout).toMatch(/\| encoder \+ projector in W\+ \(2 steps, lr 0\.1, prior 0\.003\) \|/);
    expect(plus.stdout).toMatch(/Editability in W\+/);
    const plusResult = JSON.parse(await readFile(plusJson, "utf8"));
    expect(plusResult).toMatchObject({ space: "w+", projector: { steps: 2 } });
    expect(plusResult.command).toMatch(/--space w\+$/);
    expect(plusResult.editability.map((r: { region: string }) => r.region)).toEqual(["left-eye", "right-eye", "mouth", "blob"]);
    expect(plusResult.encoder.psnr).toBeCloseTo(result.encoder.psnr, 6); // the encoder's figures do not depend on the space
  });

  it("names what is wrong: the encoder's size against the model, a model the encoder does not invert, a missing subcommand", async () => {
    const wrong = (await cli("train", "--config", join(dir, "wrong.json"), "--model", MODEL, "--run", join(dir, "bad")).catch((e: unknown) => e)) as { stderr: string };
    expect(wrong.stderr).toMatch(/wrong\.json: encoder\.resolution 16 and encoder\.wDim 64 must equal test\/fixtures\/tiny-semantic-model's generator \(16, 32\)/);
    const other = (await cli("evaluate", "--model", "test/fixtures/tiny-model", "--encoder", join(dir, "enc")).catch((e: unknown) => e)) as { stderr: string };
    expect(other.stderr).toMatch(/inverts tiny-semantic v66722c82c80a95a8, but test\/fixtures\/tiny-model is tiny-fixture vbc84f4f48ad736cb \(inverts\.version must match/);
    const none = (await cli().catch((e: unknown) => e)) as { stderr: string };
    expect(none.stderr).toMatch(/first argument must be "train", "export" or "evaluate", got nothing/);
  });
});
