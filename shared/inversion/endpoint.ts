import { z } from "zod";
import type { PictureErrorCode } from "../picture/error.ts";

/**
 * `POST /v1/models/{model}/invert` (#14): its bounds and what it answers, one definition for the
 * worker, which serves and documents it, and the browser client, which checks both.
 */

/**
 * Most projector steps one request may ask for. Each step runs the generator forward and backward
 * (and the segmenter's features, when the model bundles one): 262 ms of workerd CPU per step at
 * 64 px on wasm (`npm run bench:invert`, a loaded 2-core machine), so 10 steps and the encoder stay
 * near 2.7 s, inside the 5 s `cpu_ms` of wrangler.toml.
 */
export const MAX_INVERT_STEPS = 10;

/**
 * Projector steps when a request names none: the most. The encoder's codes alone lie off W's
 * distribution, where region edits leak: on faces64's 200 held-out faces they read 18.94 dB and
 * resample the right eye 1.83× less locally than sampled codes; 10 steps with the projector's
 * latent prior read 18.69 dB with every region within 1.5× (right eye 1.27×, hair 1.36×: `npm run
 * encoder -- evaluate --model weights/faces64 --encoder weights/faces64-encoder --steps 10`, or
 * `--steps 0`). A code is asked for to be edited, so the default buys locality; `steps=0` is the
 * cheap preview (about 10 ms of workerd CPU against 1.4 s: `npm run bench:invert`, `npm run bench:api`).
 */
export const DEFAULT_INVERT_STEPS = MAX_INVERT_STEPS;

/**
 * Projector steps after the encoder (default `DEFAULT_INVERT_STEPS`): the client's `invert()`
 * option as it is, and the worker's `steps` query parameter behind the shared query-number parser
 * (decimal digits only).
 */
export const InvertSteps = z.number().int().min(0).max(MAX_INVERT_STEPS).default(DEFAULT_INVERT_STEPS);

/** Largest upload accepted: a 4096 × 4096 JPEG of a photo is about 3–6 MB. */
export const MAX_INVERT_UPLOAD_BYTES = 8 * 1024 * 1024;

const Quality = z.object({
  psnr: z.number().describe("PSNR of the reconstruction against the prepared picture (dB)"),
  ssim: z.number().describe("SSIM of the reconstruction against the prepared picture"),
});

export const InversionAnswer = z.object({
  model: z.string(),
  version: z.string(),
  encoder: z.object({ name: z.string(), version: z.string() }),
  w: z.string().describe("The code: base64url of little-endian float32, as the render endpoints' `w` parameter takes it (with noise=zeros)"),
  noise: z.literal("zeros").describe("The noise the code renders with"),
  steps: z.number().int().describe("Projector steps run after the encoder"),
  prior: z.number().min(0).describe("The weight of the projector's latent prior, which held the code near W's distribution where region edits stay local (0 when no steps ran)"),
  ...Quality.shape,
  encoderOnly: Quality.describe("The encoder's code alone, before any projector step"),
  source: z.object({
    format: z.enum(["png", "jpeg"]),
    width: z.number().int().describe("Upright width (after EXIF orientation)"),
    height: z.number().int(),
    sha256: z.string().describe("SHA-256 of the uploaded bytes (the cache key)"),
  }),
  reconstruction: z.string().describe("The reconstruction's URL, relative to the API's origin: the version-pinned generate request of `w`"),
});
export type InversionAnswer = z.infer<typeof InversionAnswer>;

/** The API's error code for each picture problem (the client reports the same codes for local inversion). */
export const PICTURE_ERROR_CODES: Record<PictureErrorCode, string> = {
  not_an_image: "not_an_image",
  unsupported: "unsupported_image",
  corrupt: "corrupt_image",
  too_large: "image_too_large",
  too_small: "image_too_small",
  animated: "animated_image",
};
