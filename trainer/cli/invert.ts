/**
 * npm run invert -- photo.png --model weights/faces64 --encoder weights/faces64-encoder [--steps 100] [--out code.json] [--space w+]
 *
 * GAN inversion of one picture (#14): reads a PNG, JPEG or WebP of any size with sharp (EXIF
 * orientation applied, decoded to RGBA), prepares it with the API's own step (shared/picture's
 * modelInput: alpha composited onto the dataset's background colour, centre-cropped to a square,
 * resampled to the model's resolution), encodes it with the encoder, refines the code
 * with --steps projector steps (0: encoder only), and writes the code as JSON, `w` in the API's
 * `w=` form (base64url of little-endian float32) with `noise`, PSNR and SSIM, and the
 * reconstruction as PNG beside it (code.json → code.png).
 *
 * `--space w+` optimizes one w per synthesis layer (the encoder's w tiled) to measure what W+ does;
 * it writes the code as `wPlus` ([numWs][wDim] numbers) with `space: "w+"` and a `note`, and no `w`:
 * the API's `w=` takes W codes only.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import cliProgress from "cli-progress";
import sharp from "sharp";
import { z } from "zod";
import { numWs } from "../../shared/generator/config.ts";
import { type FloatImage, toRgba8 } from "../../shared/generator/generator.ts";
import { DEFAULT_PRIOR_WEIGHT, DEFAULT_PROJECTOR_LR, project } from "../../shared/inversion/projector.ts";
import { psnr, ssim } from "../../shared/inversion/quality.ts";
import { tileW } from "../../shared/generator/space.ts";
import { latentToParam } from "../../shared/latent-param.ts";
import { MIN_PICTURE_SIDE, modelInput } from "../../shared/picture/picture.ts";
import { IMAGE_LIMITS, imageSizeProblem } from "../../shared/png/limits.ts";
import { encodePng } from "../../shared/png/png.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadSegmenter } from "../../shared/weights/loader.ts";
import { backendFlag, selectBackend } from "../backends.ts";
import { BACKGROUND } from "../data/dicebear.ts";
import { EncoderTrainConfig, noiseFlag, spaceFlag } from "../encoder/config.ts";
import { openEncoderFor, openFeatureNet, openInvertedModel } from "../encoder/open.ts";
import { command, fail, int, num, str } from "./args.ts";
import { formatTime } from "./format-time.ts";

const cli = command({
  run: "npm run invert --",
  name: "invert",
  summary: "GAN inversion of one picture: the encoder's code, refined by --steps projector steps, written as the API's w= with PSNR and SSIM (--space w+: as wPlus, which w= does not take).",
  flags: {
    image: { value: "IMAGE", help: "a PNG, JPEG or WebP of any size (centre-cropped, resized, alpha on the dataset's background)", type: str(), required: true },
    model: { value: "DIR", help: "the generator model folder (e.g. weights/faces64)", type: str(), required: true },
    encoder: { value: "DIR", help: "an encoder exported for that model version (npm run encoder -- export)", type: str(), required: true },
    steps: { value: "N", help: "projector steps after the encoder (0: encoder only)", type: int(0, 10_000), default: 100 },
    lr: { value: "X", help: "the projector's peak learning rate", type: num(0, 10, { above: true }), default: DEFAULT_PROJECTOR_LR },
    prior: { value: "X", help: "the projector's latent prior weight: keeps the code on W's distribution, where region edits stay local (0: off)", type: num(0, 1000), defaultText: `${DEFAULT_PRIOR_WEIGHT.w} in W, ${DEFAULT_PRIOR_WEIGHT["w+"]} in W+` },
    noise: noiseFlag,
    space: {
      ...spaceFlag,
      help: "the space the projector optimizes: w (written as the API's w=), or w+ (one w per synthesis layer from the encoder's w tiled, written as wPlus [numWs][wDim] with no w: the API's w= takes W codes only)",
    },
    segmenter: { value: "DIR", help: "the projector's perceptual network", type: str(), defaultText: "the encoder's pinned one, or the model's" },
    out: { value: "FILE", help: "the code as JSON; the reconstruction goes beside it as .png", type: z.string().endsWith(".json", "must end in .json (the reconstruction is written beside it as .png)"), defaultText: "IMAGE's name + .code.json" },
    backend: backendFlag,
  },
  positional: "image",
  examples: [
    "npm run invert -- photo.png --model weights/faces64 --encoder weights/faces64-encoder --steps 100 --out code.json",
    "npm run invert -- photo.png --model weights/faces64 --encoder weights/faces64-encoder --steps 100 --space w+ --out code-wplus.json",
  ],
});
const f = cli.parseOrExit();
const cmd = "invert";

interface Picture {
  file: string;
  bytes: Buffer;
  width: number;
  height: number;
  format: string;
}

/** Read the file and check it from its header (before any model loads): an image, one frame, within the size limits. */
async function inspectPicture(file: string): Promise<Picture> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    fail(cmd, `${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  let meta: sharp.Metadata;
  try {
    // The header only (nothing decoded), so no pixel limit here: sharp's would refuse a lying
    // 100000×100000 header as "Input image exceeds pixel limit", under "not an image", where the
    // size rule below names the size and the limit. Decoding (prepareModelInput) keeps sharp's limit.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    fail(cmd, `${file}: not an image this command reads (PNG, JPEG or WebP): ${(e as Error).message}`);
  }
  if (!meta.width || !meta.height || !meta.format) fail(cmd, `${file}: not an image this command reads (no dimensions)`);
  if ((meta.pages ?? 1) > 1) fail(cmd, `${file}: is animated (${meta.pages} frames); give one still image`);
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const tooLarge = imageSizeProblem({ width, height });
  if (tooLarge) fail(cmd, `${file}: too large: ${tooLarge}`);
  if (Math.min(width, height) < MIN_PICTURE_SIDE) {
    fail(cmd, `${file}: is ${width}×${height}; the smallest accepted image is ${MIN_PICTURE_SIDE}×${MIN_PICTURE_SIDE} (it is centre-cropped to a square and resized to the model's resolution)`);
  }
  return { file, bytes, width, height, format: meta.format };
}

/**
 * The picture as the model's input. sharp only decodes (it reads WebP, which the shared decoders
 * do not, and `.rotate()` applies the EXIF orientation) to upright 8-bit sRGB RGBA, straight alpha;
 * the rest (alpha onto BACKGROUND, centre square, resampling to the model's resolution, [−1, 1]) is
 * shared/picture's modelInput, the step the worker's POST /v1/models/{m}/invert uses too, so a
 * picture is prepared the same way by the CLI and by the API.
 */
async function prepareModelInput(p: Picture, res: number): Promise<FloatImage> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(p.bytes, { limitInputPixels: IMAGE_LIMITS.maxPixels })
      .rotate()
      .toColourspace("srgb")
      .ensureAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    fail(cmd, `${p.file}: could not be decoded (truncated or corrupt?): ${(e as Error).message}`);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 4 || width !== p.width || height !== p.height || raw.data.length !== width * height * 4) {
    fail(cmd, `${p.file}: decoded to ${width}×${height}×${channels} (${raw.data.length} bytes), expected ${p.width}×${p.height} RGBA`);
  }
  return modelInput(new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length), width, height, res, BACKGROUND);
}

const source = await inspectPicture(f.image);
const backend = await selectBackend(f.backend).catch((e: Error) => fail(cmd, e.message));
const model = await openInvertedModel(f.model).catch((e: Error) => fail(cmd, `--model ${f.model}: ${e.message}`));
const { encoder, manifest } = await openEncoderFor(f.encoder, model).catch((e: Error) => fail(cmd, `--encoder ${f.encoder}: ${e.message}`));
const res = model.manifest.generator.resolution;
const picture = { image: await prepareModelInput(source, res), ...source };

let featureNet: Segmenter | undefined;
if (f.steps > 0) {
  if (f.segmenter) {
    const s = await loadSegmenter(fileSource(f.segmenter)).catch((e: Error) => fail(cmd, `--segmenter ${f.segmenter}: ${e.message}`));
    featureNet = Segmenter.fromValues(s.manifest.segmenter, s.values);
  } else {
    const pin = EncoderTrainConfig.safeParse(manifest.provenance.config).data?.segmenter;
    featureNet = await openFeatureNet(model, pin).catch(() => openFeatureNet(model));
  }
  if (!featureNet) console.error("projector: no segmenter for the perceptual term (pass --segmenter): pixel loss only");
}

const t0 = performance.now();
const [w0] = await encoder.encode([picture.image]);
const noiseSeeds = f.noise === "zeros" ? ("zeros" as const) : [f.noise];
const [encImg] = await model.generator.render([w0!], noiseSeeds);
const encoderOnly = { psnr: psnr(picture.image.data, encImg!.data), ssim: ssim(picture.image.data, encImg!.data, res, res), ms: performance.now() - t0 };
const wPlus = f.space === "w+";
const prior = f.prior ?? DEFAULT_PRIOR_WEIGHT[f.space];
const layers = numWs(model.manifest.generator);
let w = wPlus ? tileW(w0!, layers) : w0!; // W+ without steps: the encoder's w in every layer, which renders as w
let image = encImg!;
if (f.steps > 0) {
  const bar = new cliProgress.SingleBar({ format: "projector |{bar}| {value}/{total} steps | ETA {eta_formatted} | loss {loss}", hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000, formatTime }, cliProgress.Presets.shades_classic);
  bar.start(f.steps, 0, { loss: "…" });
  const [p] = await project(model.generator, [picture.image], [w0!], {
    steps: f.steps,
    space: f.space,
    lr: f.lr,
    prior,
    noise: f.noise,
    featureNet,
    ...(featureNet ? {} : { weights: { perceptual: 0 } }),
    onStep: ({ step, loss }) => bar.update(step, { loss: loss.toFixed(4) }),
  });
  bar.stop();
  w = p!.w;
  image = p!.image;
}
const seconds = (performance.now() - t0) / 1000;
const out = f.out ?? join(dirname(f.image), `${basename(f.image, extname(f.image))}.code.json`);
const png = out.replace(/\.json$/, ".png");
const wDim = model.manifest.generator.wDim;
const code = wPlus
  ? {
      space: "w+" as const,
      /** One w per synthesis layer, [numWs][wDim]. */
      wPlus: Array.from({ length: layers }, (_, l) => Array.from(w.subarray(l * wDim, (l + 1) * wDim))),
      note: `a W+ code (${layers} layers × ${wDim}), to measure what W+ inversion does; the API's w= and the client take W codes only (invert with --space w for one)`,
    }
  : {
      space: "w" as const,
      /** base64url of little-endian float32, as `w=` takes it (with noise=…); `wValues` is the same for POST bodies. */
      w: latentToParam(w),
    };
const result = {
  model: model.manifest.name,
  version: model.manifest.version,
  encoder: { name: manifest.name, version: manifest.version },
  ...code,
  noise: f.noise,
  psnr: psnr(picture.image.data, image.data),
  ssim: ssim(picture.image.data, image.data, res, res),
  steps: f.steps,
  ...(f.steps > 0 ? { lr: f.lr, prior } : {}),
  encoderOnly: { psnr: encoderOnly.psnr, ssim: encoderOnly.ssim },
  seconds,
  backend: backend.name,
  source: { file: f.image, format: picture.format, width: picture.width, height: picture.height },
  reconstruction: basename(png),
  ...(wPlus ? {} : { wValues: Array.from(w) }),
};
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
await writeFile(png, encodePng(toRgba8(image), res, res));
console.log(`${out}: ${model.manifest.name} ${model.manifest.version} ${wPlus ? "W+ " : ""}code; PSNR ${result.psnr.toFixed(2)} dB, SSIM ${result.ssim.toFixed(3)} (encoder alone ${encoderOnly.psnr.toFixed(2)} dB, ${encoderOnly.ssim.toFixed(3)}); ${f.steps} projector steps, ${seconds.toFixed(1)} s on ${backend.name}`);
console.log(
  wPlus
    ? `${png}: the reconstruction (${res}×${res}) of the W+ code (wPlus); the API's w= takes W codes only, so it cannot be rendered or edited there`
    : `${png}: the reconstruction (${res}×${res}); render or edit it with ?w=<w>&noise=${f.noise}`,
);
process.exit(0);
