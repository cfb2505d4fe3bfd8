/**
 * The LinkGAN browser client (ES module, `dist/client/linkgan-client.js`): generate, resample
 * regions (by name or by a mask) and interpolate, with the HTTP API's parameter names, either
 * locally (the shared generator on WebGPU, WebAssembly, WebGL or the cpu backend, weights cached in Cache
 * Storage) or remotely (the edge API renders, nothing is downloaded but PNGs).
 *
 * Local mode runs the worker's pipeline itself (shared/render/): the same request normalization,
 * base-code resolution, base-render and label cache, edit target and compositing. This file adds
 * what only a page needs: the transport (remote mode), the weights cache and the backends.
 */
import "./csp.ts"; // first: before any zod schema parses
// The projector of local inversion differentiates through the generator on this page's backend.
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { z } from "zod";
import { interpolate, resamplePerturb, resampleReplace } from "../shared/editing/edit.ts";
import { Generator } from "../shared/generator/generator.ts";
import { Encoder } from "../shared/encoder/encoder.ts";
import { useConvInputGradientAsConv } from "../shared/gradients/conv2d.ts";
import { InversionAnswer, InvertSteps, PICTURE_ERROR_CODES } from "../shared/inversion/endpoint.ts";
import { type PictureInversion, invertPicture, inversionAnswer } from "../shared/inversion/invert.ts";
import { PictureError } from "../shared/picture/picture.ts";
import { sha256Hex } from "../shared/weights/content-id.ts";
import { loadEncoder } from "../shared/weights/loader.ts";
import type { EncoderManifest } from "../shared/weights/manifest.ts";
import { latentFromParam, latentToParam } from "../shared/latent-param.ts";
import { decodePng } from "../shared/png/png.ts";
import { latentFromSeed } from "../shared/random/prng.ts";
import type { BinaryMask } from "../shared/regions/mask.ts";
import { BaseRenders, type RenderModel, type ResolvedBase, baseKey, fixedMask, localMasks, resolveBase } from "../shared/render/base.ts";
import { editTarget as sharedEditTarget, regionsNamed, renderEdit } from "../shared/render/edit.ts";
import { canonicalize, maskToRle, rasterFromPng } from "../shared/render/masks.ts";
import { normalizeRequest } from "../shared/render/request.ts";
import { Segmenter } from "../shared/segmenter/segmenter.ts";
import { ModelName } from "../shared/weights/manifest.ts";
import {
  ErrorBody,
  GenerateParams,
  InterpolateParams,
  LatentBody,
  LinkGanError,
  MaskInfo,
  ModelList,
  type ModelSummary,
  type NormalizedRequest,
  ResampleParams,
  DEFAULT_TIMEOUT_MS,
  asClientError,
  asClientErrorAsync,
  parseOr,
  timedFetch,
} from "./api.ts";
import { BACKENDS, BackendName, type BackendReport, NoBackendError, chooseBackend, liveTensors } from "./backend.ts";
import { type WeightsLoadStats, loadCached, loadCachedModel } from "./weights-cache.ts";

export { LinkGanError, type ModelSummary, type BackendReport, type WeightsLoadStats, liveTensors };
export type { GenerateParams, InterpolateParams, ResampleParams } from "./api.ts";
export { clearWeightsCache } from "./weights-cache.ts";

export const ClientMode = z.enum(["local", "remote", "auto"]);
export type ClientMode = z.infer<typeof ClientMode>;
export type { InversionAnswer };

const InvertOptions = z.object({ steps: InvertSteps }).strict();
// As in the worker: Conv2D's input gradient as a conv (the projector's steps, on wasm especially).
useConvInputGradientAsConv();

const ClientOptionsSchema = z
  .object({
    apiOrigin: z.url({ protocol: /^https?$/ }).optional(),
    model: ModelName.optional(),
    mode: ClientMode.optional(),
    backends: z.array(BackendName).min(1).optional(),
    cacheWeights: z.boolean().optional(),
    timeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

export interface ClientOptions {
  /** Origin of the edge API. Default: the page's origin. */
  apiOrigin?: string;
  /** Model name. Default: the first model `/v1/models` lists. */
  model?: string;
  /**
   * local: render here; remote: the API renders; auto (default): local on the first of webgpu,
   * wasm, webgl that starts, except that a software WebGPU adapter is measured against the next
   * one and loses when slower (`backend.measured`); remote when nothing else starts, or when the
   * API rendered a probe image REMOTE_WINS_BY times faster than this page (`autoMeasured`).
   */
  mode?: ClientMode;
  /** Backend order for local mode. Default webgpu, wasm, webgl, cpu (auto mode never uses cpu). */
  backends?: BackendName[];
  /** Keep weights in Cache Storage (default true). */
  cacheWeights?: boolean;
  /** Milliseconds to wait for each answer's headers before a LinkGanError "timeout" (default 30000). */
  timeoutMs?: number;
  /** Model download progress, one number in [0, 1] (local mode). */
  onProgress?: (fraction: number) => void;
  fetch?: typeof fetch;
}

/** An image in RGBA8 at the model's resolution, with the code that produced it. */
export interface RenderedImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
  /** The w code this image renders (for an edit, the edited code): pass it back as `w` to chain edits. */
  w: Float32Array;
  /** The noise it was rendered with (pass it back as `noise`). */
  noise: number | "zeros";
}

/**
 * The image a semantic region's mask belongs to: its w code and noise (a `RenderedImage` is one).
 * The mask is the segmenter's of that code's render, as `GET …/regions/{r}/mask.png?w=…&noise=…` gives it.
 */
export interface ImageCode {
  w: Float32Array;
  noise: number | "zeros";
}

/** An edit: the regions its axes came from, and the pixels it shows (the union of their masks and any mask given). */
export interface EditTarget {
  regions: string[];
  mask: BinaryMask;
}

/**
 * Auto mode renders here unless the API rendered its probe image at least this many times faster:
 * rendering here needs no server round trip per edit, costs the API nothing and keeps the user's
 * pictures in the page.
 */
export const REMOTE_WINS_BY = 2;

/** Semantic masks fetched from the API kept per client in remote mode (the widget's history revisits a few). */
const KEEP_REMOTE_MASKS = 32;
/** Bytes of base renders kept per client in local mode: about 15 at 64 px, for the widget's undo history. */
const BASE_RENDER_BYTES = 1024 * 1024;

/**
 * A client for one model of a LinkGAN edge API.
 *
 * @example
 * const client = await LinkGanClient.create({ apiOrigin: "https://linkgan.example", model: "faces64", mode: "auto",
 *   onProgress: (f) => console.log(`weights ${Math.round(f * 100)}%`) });
 * console.log(client.mode, client.backend?.chosen);              // "local" "webgpu"
 * const face = await client.generate({ seed: 7, truncation: 0.7 });
 * const edit = await client.resample({ seed: 7, truncation: 0.7, regions: ["mouth"], resampleSeed: 3 });
 * ctx.putImageData(new ImageData(edit.rgba, edit.width, edit.height), 0, 0);
 */
export class LinkGanClient {
  /** Why auto mode chose remote, when it did. */
  autoReason?: string;
  /** Auto mode's probe: one render here and one by the API (ms), when the weights loaded. */
  autoMeasured?: { localMs: number; remoteMs: number };
  /** What the weight download took from the network and from Cache Storage (local mode). */
  weights?: WeightsLoadStats;
  private readonly renders = new BaseRenders(BASE_RENDER_BYTES);
  private readonly regionMasks = new Map<string, Promise<BinaryMask>>();
  private readonly semanticMasks = new Map<string, Promise<BinaryMask>>();
  private readonly uploadedMasks = new Map<string, Promise<string>>();
  private disposed = false;
  private encoderLoad?: Promise<{ encoder: Encoder; manifest: EncoderManifest }>;

  private constructor(
    readonly apiOrigin: string,
    /** The model as `/v1/models` describes it (the version this client renders is pinned). */
    readonly model: ModelSummary,
    /** Where rendering happens. */
    readonly mode: "local" | "remote",
    /** The tfjs backend in use and why others were skipped (local mode; in auto mode that fell back to remote, the attempt), with the WebGPU adapter and any measurement. */
    readonly backend: BackendReport | undefined,
    private readonly local: RenderModel | undefined,
    private readonly fetchFn: typeof fetch,
  ) {}

  /**
   * Reads `/v1/models`, picks the mode (and backend), and in local mode loads the weights through
   * Cache Storage. Rejects with a LinkGanError naming what is wrong.
   */
  static async create(options: ClientOptions = {}): Promise<LinkGanClient> {
    const { onProgress, fetch: fetchOpt, ...rest } = options;
    const opts = parseOr(ClientOptionsSchema, rest, "LinkGanClient options");
    // Every request of this client, the weights' too, waits at most timeoutMs for its answer's headers.
    const fetchFn = timedFetch(fetchOpt ?? fetch.bind(globalThis), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const origin = (opts.apiOrigin ?? globalThis.location?.origin ?? "").replace(/\/+$/, "");
    if (!origin) throw new LinkGanError("invalid_request", "apiOrigin: required outside a page", "apiOrigin");
    const list = parseOr(ModelList, await getJson(fetchFn, `${origin}/v1/models`), `${origin}/v1/models`);
    const model = opts.model ? list.models.find((m) => m.name === opts.model) : list.models[0];
    if (!model) {
      const names = list.models.map((m) => m.name).join(", ") || "none";
      throw new LinkGanError("unknown_model", opts.model ? `the API at ${origin} serves no model "${opts.model}" (it serves: ${names})` : `the API at ${origin} serves no model`, "model");
    }
    const mode = opts.mode ?? "auto";
    if (mode === "remote") return new LinkGanClient(origin, model, "remote", undefined, undefined, fetchFn);

    const order = opts.backends ?? (mode === "auto" ? BACKENDS.filter((b) => b !== "cpu") : [...BACKENDS]);
    let backend: BackendReport;
    try {
      backend = await chooseBackend(order, { avoidSoftwareGpu: mode === "auto" });
    } catch (e) {
      if (mode === "auto" && e instanceof NoBackendError) {
        const client = new LinkGanClient(origin, model, "remote", { chosen: "cpu", skipped: e.skipped, adapter: e.adapter }, undefined, fetchFn);
        client.autoReason = `no backend could start here: ${e.message}`;
        return client;
      }
      throw new LinkGanError("no_backend", (e as Error).message);
    }
    if (mode === "auto" && backend.chosen === "webgpu" && backend.adapter?.software) {
      // Nothing else started to measure it against; the API's render (about 1 s) beats a software
      // adapter's (about 12 s for a 64 px image on SwiftShader).
      const client = new LinkGanClient(origin, model, "remote", backend, undefined, fetchFn);
      client.autoReason = `WebGPU is a software adapter (${backend.adapter.description}) and no other backend started`;
      return client;
    }
    try {
      // The API's URLs are paths relative to its origin (it never echoes a request's Host header).
      const weightsUrl = new URL(model.weightsUrl, `${origin}/`).href;
      const { model: loaded, stats } = await loadCachedModel(weightsUrl, model.version, { onProgress, useCache: opts.cacheWeights, fetch: fetchFn });
      const { manifest, values } = loaded;
      const local: RenderModel = {
        name: model.name,
        manifest,
        generator: Generator.fromValues(manifest.generator, values),
        // One version pins both networks: the segmenter's weights come in the same shards.
        segmenter: manifest.segmenter ? Segmenter.fromValues(manifest.segmenter, values) : undefined,
      };
      const client = new LinkGanClient(origin, model, "local", backend, local, fetchFn);
      client.weights = stats;
      return mode === "auto" ? await client.againstRemote() : client;
    } catch (e) {
      if (mode !== "auto") throw e;
      const client = new LinkGanClient(origin, model, "remote", backend, undefined, fetchFn);
      client.autoReason = `weights could not be loaded: ${(e as Error).message}`;
      return client;
    }
  }

  /**
   * Auto mode's last check, once the weights are here: one image rendered here (after a warm-up
   * render: shader compilation, first allocations) against one rendered by the API, both of seeds
   * drawn at random so that neither is a cache hit, as an edit would not be. The API's client when
   * it was REMOTE_WINS_BY times faster; this one otherwise, and when the API's render failed.
   */
  private async againstRemote(): Promise<LinkGanClient> {
    const [warm, here, there] = Array.from(crypto.getRandomValues(new Uint32Array(3)), (v) => 1_000_000 + (v % 1_000_000));
    const time = async (c: LinkGanClient, seed: number) => {
      const t0 = performance.now();
      await c.generate({ seed });
      return performance.now() - t0;
    };
    await this.generate({ seed: warm! });
    const localMs = await time(this, here!);
    const remoteClient = new LinkGanClient(this.apiOrigin, this.model, "remote", this.backend, undefined, this.fetchFn);
    let remoteMs: number;
    try {
      remoteMs = await time(remoteClient, there!);
    } catch {
      return this;
    }
    this.autoMeasured = { localMs, remoteMs };
    if (remoteMs * REMOTE_WINS_BY >= localMs) return this;
    remoteClient.autoMeasured = this.autoMeasured;
    remoteClient.weights = this.weights;
    remoteClient.autoReason = `the API rendered an image in ${Math.round(remoteMs)} ms, this page in ${Math.round(localMs)} ms on ${this.backend?.chosen}`;
    this.dispose();
    return remoteClient;
  }

  /**
   * The image of a seed or an explicit latent (z or w).
   *
   * @example
   * const img = await client.generate({ seed: 7, truncation: 0.7 });
   */
  async generate(params: GenerateParams): Promise<RenderedImage> {
    const req = this.normalize(parseOr(GenerateParams, params, "generate"), false);
    if (this.local) {
      const base = await this.localBase(req);
      return this.image((await this.renders.get(this.live(), base)).rgba, base.w, req.noise);
    }
    const [png, w] = await Promise.all([this.remotePng("generate", req), this.remoteW(req)]);
    return this.image(png.rgba, w, req.noise);
  }

  /**
   * The image with regions resampled, by name or by a mask (an uploaded mask's id, or a painted
   * `{ size, data }` mask at the model's resolution, uploaded for you in remote mode).
   *
   * @example
   * await client.resample({ seed: 7, regions: ["left-eye", "mouth"], resampleSeed: 3 });
   * await client.resample({ seed: 7, mask: { size: 64, data: painted }, resampleSeed: 3, mode: "perturb", alpha: 1.5 });
   */
  async resample(params: ResampleParams): Promise<RenderedImage> {
    const req = this.normalize(parseOr(ResampleParams, params, "resample"), true);
    const [img] = await this.edit(req, 1);
    return img!;
  }

  /**
   * `frames` images from the base to its edit (inclusive): the edit's animation.
   *
   * @example
   * const frames = await client.interpolate({ seed: 7, regions: ["mouth"], resampleSeed: 3, frames: 6 });
   */
  async interpolate(params: InterpolateParams): Promise<RenderedImage[]> {
    const req = this.normalize(parseOr(InterpolateParams, params, "interpolate"), true);
    return this.edit(req, req.frames);
  }

  /**
   * Invert a picture (#14): the model version's encoder, then `steps` projector steps (0–10; by default DEFAULT_INVERT_STEPS, 10, since edits of the encoder's code alone leak), give
   * its code w, which renders, edits and chains like a generated image's (noise "zeros"). In local
   * mode, when the version has an encoder, it runs here (the picture never leaves the page; the
   * encoder's weights are cached like the model's, and the projector differentiates on this page's
   * backend); otherwise the API inverts it (`POST …/invert`). Both check the picture the same way
   * (PNG or JPEG, size, frames: shared/picture) and report the API's error codes.
   *
   * @example
   * const { image, inversion, where } = await client.invert(file);   // file: a PNG or JPEG Blob
   * inversion.psnr;                                                   // dB, reconstruction vs the prepared picture
   * await client.resample({ w: image.w, noise: "zeros", regions: ["mouth"], resampleSeed: 3 });
   */
  async invert(picture: Blob | Uint8Array, options: { steps?: number } = {}): Promise<{ image: RenderedImage; inversion: InversionAnswer; where: "local" | "remote" }> {
    const { steps } = parseOr(InvertOptions, options, "invert");
    const body = picture instanceof Uint8Array ? picture : new Uint8Array(await picture.arrayBuffer());
    const where = this.local && this.model.encoder ? "local" : "remote";
    const inversion = where === "local" ? await this.invertHere(body, steps) : await this.invertRemotely(picture, body, steps);
    const image = await this.generate({ w: latentFromParam(inversion.w), noise: "zeros" });
    return { image, inversion, where };
  }

  private async invertRemotely(picture: Blob | Uint8Array, body: Uint8Array, steps: number): Promise<InversionAnswer> {
    const type = picture instanceof Blob && /^image\/(png|jpeg)$/.test(picture.type) ? picture.type : "application/octet-stream";
    const url = `${this.modelUrl()}/invert?${new URLSearchParams({ version: this.model.version, steps: String(steps) })}`;
    // A network failure or silence is already a LinkGanError (network_error, timeout): timedFetch.
    const res = await this.fetchFn(url, { method: "POST", headers: { "Content-Type": type }, body: body as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw await apiError(res);
    return parseOr(InversionAnswer, await res.json(), "invert response");
  }

  /** The worker's inversion (shared/inversion/invert.ts) on this page's backend, answered as the API answers. */
  private async invertHere(bytes: Uint8Array, steps: number): Promise<InversionAnswer> {
    const live = this.live();
    const { encoder, manifest } = await this.localEncoder();
    let r: PictureInversion;
    try {
      r = await invertPicture({ generator: live.generator, encoder, encoderManifest: manifest, featureNet: live.segmenter }, bytes, steps);
    } catch (e) {
      throw e instanceof PictureError ? new LinkGanError(PICTURE_ERROR_CODES[e.code], `picture: ${e.message}`, "picture") : e;
    }
    return inversionAnswer(r, { model: this.model.name, version: this.model.version, encoder: manifest, steps, sha256: await sha256Hex(bytes) });
  }

  /** The version's encoder, loaded once (through the weights cache) and kept with the model. */
  private localEncoder(): Promise<{ encoder: Encoder; manifest: EncoderManifest }> {
    const info = this.model.encoder;
    if (!info) throw new LinkGanError("no_encoder", `model "${this.model.name}" version ${this.model.version} has no encoder`, "model");
    this.encoderLoad ??= (async () => {
      const { model } = await loadCached(new URL(info.weightsUrl, `${this.apiOrigin}/`).href, info.version, loadEncoder, { fetch: this.fetchFn });
      if (model.manifest.inverts.version !== this.model.version) throw new LinkGanError("invalid_encoder", `the encoder ${info.version} inverts ${model.manifest.inverts.version}, not ${this.model.version}`);
      return { encoder: Encoder.fromValues(model.manifest.encoder, model.values), manifest: model.manifest };
    })();
    this.encoderLoad.catch(() => (this.encoderLoad = undefined));
    return this.encoderLoad;
  }

  /**
   * What an edit touches: named regions plus those a mask covers, and the union of their masks
   * with the mask (the pixels composited from the edit, before feathering). A semantic region's
   * mask is that of `image` (the image being edited), which it then needs; so does a mask on a
   * model with semantic regions, since whether it covers one depends on the image.
   *
   * @example
   * const { regions, mask } = await client.editTarget(["mouth"]);
   * const hair = await client.editTarget(["hair"], undefined, shown); // shown: a RenderedImage
   */
  async editTarget(names: readonly string[], mask?: string | BinaryMask, image?: ImageCode): Promise<EditTarget> {
    const m = mask === undefined ? undefined : typeof mask === "string" ? await this.fetchMask(mask) : mask;
    const t = await asClientErrorAsync(() => sharedEditTarget(this.model, names, m, (r) => this.regionMask(r.name, image)));
    return { regions: t.regions.map((r) => r.name), mask: t.mask };
  }

  /**
   * A region's mask at the model's resolution. A fixed region's comes from the manifest locally and
   * from its mask PNG remotely. A semantic region's is the segmenter's mask of `image` (required):
   * computed here with the shared segmenter locally, fetched from the API remotely, the same mask
   * either way.
   *
   * @example
   * const mouth = await client.regionMask("mouth"); // { size: 64, data: Uint8Array(4096) }
   * const img = await client.generate({ seed: 7, truncation: 0.7 });
   * const hair = await client.regionMask("hair", img); // this image's hair
   */
  regionMask(name: string, image?: ImageCode): Promise<BinaryMask> {
    let info: ModelSummary["regions"][number];
    try {
      [info] = asClientError(() => regionsNamed(this.model.name, this.model.regions, [name])) as [ModelSummary["regions"][number]];
    } catch (e) {
      return Promise.reject(e);
    }
    if (info.kind === "semantic") return this.semanticMask(name, image);
    const region = this.local?.manifest.regions.find((r) => r.name === name);
    if (region) return Promise.resolve(fixedMask(this.local!.manifest, region));
    let p = this.regionMasks.get(name);
    if (!p) {
      p = (async () => {
        if (!info.maskUrl) throw new LinkGanError("no_mask_url", `the API lists no mask URL for region "${name}"`, "regions");
        return this.pngMask(new URL(info.maskUrl, this.apiOrigin).href);
      })();
      p.catch(() => this.regionMasks.delete(name));
      this.regionMasks.set(name, p);
    }
    return p;
  }

  private semanticMask(name: string, image: ImageCode | undefined): Promise<BinaryMask> {
    if (!image) return Promise.reject(new LinkGanError("invalid_request", `region "${name}" is semantic: its mask depends on the image, so give the image (its w and noise)`, "w"));
    if (this.local) {
      // The shared pipeline's label cache: one segmenter pass per image, beside its base render.
      const local = this.live();
      const region = local.manifest.regions.find((r) => r.name === name)!;
      return (async () => localMasks(local, this.renders, await this.baseOf(image))(region))();
    }
    const key = `${name}/${image.noise}/${latentToParam(image.w)}`;
    let p = this.semanticMasks.get(key);
    if (!p) {
      const q = new URLSearchParams({ w: latentToParam(image.w), noise: String(image.noise), version: this.model.version });
      p = this.pngMask(`${this.modelUrl()}/regions/${encodeURIComponent(name)}/mask.png?${q}`);
      p.catch(() => this.semanticMasks.delete(key));
      if (this.semanticMasks.size >= KEEP_REMOTE_MASKS) this.semanticMasks.delete(this.semanticMasks.keys().next().value!);
      this.semanticMasks.set(key, p);
    }
    return p;
  }

  /**
   * Store a mask with the API (run-length JSON) and return its id, for `mask` in remote requests
   * or to share an edit's URL. Equal masks get equal ids.
   *
   * @example
   * const id = await client.uploadMask({ size: 64, data: painted }); // "m0123…"
   */
  uploadMask(mask: BinaryMask): Promise<string> {
    const key = `${mask.size}:${maskToRle(mask).counts.join(",")}`;
    let p = this.uploadedMasks.get(key);
    if (!p) {
      p = (async () => {
        const res = await this.fetchFn(`${this.modelUrl()}/masks`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(maskToRle(mask)) });
        if (!res.ok) throw await apiError(res);
        return parseOr(MaskInfo, await res.json(), "mask upload response").id;
      })();
      p.catch(() => this.uploadedMasks.delete(key));
      this.uploadedMasks.set(key, p);
    }
    return p;
  }

  /** Tensors alive on this client's tfjs engine: constant across repeated edits (nothing leaks). */
  get numTensors(): number {
    return liveTensors();
  }

  /** Release the model's tensors; the client cannot render afterwards. */
  dispose(): void {
    this.disposed = true;
    this.local?.generator.dispose();
    this.local?.segmenter?.dispose();
    this.encoderLoad?.then((e) => e.encoder.dispose()).catch(() => undefined);
    this.renders.clear();
  }

  // ---- local mode: the worker's code path on this page's backend ----

  /** The API's normalization, with its refusals as LinkGanErrors. */
  private normalize(p: Parameters<typeof normalizeRequest<string | BinaryMask>>[0], withEdit: boolean): NormalizedRequest {
    return asClientError(() => normalizeRequest(p, withEdit));
  }

  private localBase(req: NormalizedRequest): Promise<ResolvedBase> {
    return asClientErrorAsync(() => resolveBase(this.live(), req));
  }

  /** The base of an image already rendered (its w and noise, as a RenderedImage carries them). */
  private async baseOf(image: ImageCode): Promise<ResolvedBase> {
    return { w: image.w, noise: image.noise, key: await baseKey(image.w, image.noise) };
  }

  private async edit(req: NormalizedRequest, frames: number): Promise<RenderedImage[]> {
    const e = req.edit!;
    const wBase = this.local ? this.localBase(req).then((b) => b.w) : this.remoteW(req);
    wBase.catch(() => undefined); // awaited below; a failure is reported there
    // Semantic masks (named, or candidates of a mask) belong to the image being edited.
    const needsImage = e.regions.some((n) => this.model.regions.find((r) => r.name === n)?.kind === "semantic") || (e.mask !== undefined && this.model.regions.some((r) => r.kind === "semantic"));
    const target = await this.editTarget(e.regions, e.mask, needsImage ? { w: await wBase, noise: req.noise } : undefined);
    if (this.local) {
      const local = this.live();
      const base = await this.baseOf({ w: await wBase, noise: req.noise });
      const regions = regionsNamed(this.model.name, local.manifest.regions, target.regions);
      // The edited code's render is kept as a base render: the next edit, and its semantic masks, start from it.
      const { codes, images } = await renderEdit(local, this.renders, base, req, { regions, mask: target.mask }, frames);
      return images.map((rgba, i) => this.image(rgba, codes[i]!, req.noise));
    }
    const maskId = typeof e.mask === "object" ? await this.uploadMask(e.mask) : e.mask;
    const [png, w, wNew] = await Promise.all([
      this.remotePng(frames === 1 ? "resample" : "interpolate", { ...req, edit: { ...e, mask: maskId } }),
      wBase,
      e.mode === "replace" ? this.remoteW({ code: { kind: "seed", seed: e.resampleSeed }, truncation: req.truncation, noise: "zeros", scale: 1, frames: 1 }) : undefined,
    ]);
    // The edited code, as the API computes it (shared/editing/resample.ts), so edits can be chained.
    const ranges = target.regions.map((n) => this.model.regions.find((r) => r.name === n)!.axes);
    const edited = wNew ? resampleReplace(w, wNew, ranges) : resamplePerturb(w, latentFromSeed(e.resampleSeed, w.length), e.alpha, ranges);
    const codes = frames === 1 ? [edited] : interpolate(w, edited, frames);
    const res = this.model.resolution;
    return codes.map((code, k) => {
      const rgba = new Uint8Array(res * res * 4);
      for (let y = 0; y < res; y++) rgba.set(png.rgba.subarray((y * png.width + k * res) * 4, (y * png.width + (k + 1) * res) * 4), y * res * 4);
      return this.image(rgba, code, req.noise);
    });
  }

  private live(): RenderModel {
    if (this.disposed || !this.local) throw new LinkGanError("disposed", this.disposed ? "this client was disposed" : "no local model");
    return this.local;
  }

  private image(rgba: Uint8Array, w: Float32Array, noise: number | "zeros"): RenderedImage {
    const res = this.model.resolution;
    return { width: res, height: res, rgba: new Uint8ClampedArray(rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + rgba.byteLength)), w, noise };
  }

  // ---- remote mode: the HTTP API ----

  private modelUrl(): string {
    return `${this.apiOrigin}/v1/models/${encodeURIComponent(this.model.name)}`;
  }

  private query(req: NormalizedRequest, kind: "generate" | "resample" | "interpolate" | "latent"): URLSearchParams {
    const q = new URLSearchParams();
    const c = req.code;
    if (c.kind === "seed") q.set("seed", String(c.seed));
    else q.set(c.kind, latentToParam(c.kind === "z" ? c.z : c.w));
    if (c.kind !== "w") q.set("truncation", String(req.truncation));
    q.set("noise", String(req.noise));
    q.set("version", this.model.version);
    const e = req.edit;
    if (e && kind !== "generate" && kind !== "latent") {
      if (e.regions.length) q.set("regions", e.regions.join(","));
      if (typeof e.mask === "string") q.set("mask", e.mask);
      q.set("resampleSeed", String(e.resampleSeed));
      q.set("mode", e.mode);
      if (e.mode === "perturb") q.set("alpha", String(e.alpha));
      q.set("composite", String(e.composite));
      if (kind === "interpolate") q.set("frames", String(req.frames));
    }
    return q;
  }

  private async remotePng(kind: "generate" | "resample" | "interpolate", req: NormalizedRequest) {
    return this.getPng(`${this.modelUrl()}/${kind}?${this.query(req, kind)}`);
  }

  private async remoteW(req: NormalizedRequest): Promise<Float32Array> {
    if (req.code.kind === "w") return req.code.w;
    const body = parseOr(LatentBody, await getJson(this.fetchFn, `${this.modelUrl()}/latent?${this.query(req, "latent")}`), "latent response");
    return latentFromParam(body.w);
  }

  private fetchMask(id: string): Promise<BinaryMask> {
    return this.pngMask(`${this.modelUrl()}/masks/${id}.png`);
  }

  /** A mask PNG the API serves (white or opaque inside), read as the API reads uploads; it must be at the model's resolution. */
  private async pngMask(url: string): Promise<BinaryMask> {
    const res = this.model.resolution;
    const bytes = await this.getBytes(url);
    const r = asClientError(() => rasterFromPng(bytes, "mask"));
    if (r.width !== res || r.height !== res) throw new LinkGanError("invalid_mask", `mask PNG is ${r.width}×${r.height}, expected ${res}×${res}`, "mask");
    return canonicalize(r, res);
  }

  private async getPng(url: string) {
    return decodePng(await this.getBytes(url));
  }

  private async getBytes(url: string): Promise<Uint8Array> {
    const res = await this.fetchFn(url);
    if (!res.ok) throw await apiError(res);
    return new Uint8Array(await res.arrayBuffer());
  }
}

async function apiError(res: Response): Promise<LinkGanError> {
  const text = await res.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = ErrorBody.safeParse(body);
  if (parsed.success) return new LinkGanError(parsed.data.error.code, parsed.data.error.message, parsed.data.error.field, res.status);
  return new LinkGanError("http_error", `HTTP ${res.status} from ${res.url}: ${text.slice(0, 200)}`, undefined, res.status);
}

/** `url`'s JSON through the client's timed fetch (which names network failures and silence). */
async function getJson(fetchFn: typeof fetch, url: string): Promise<unknown> {
  const res = await fetchFn(url);
  if (!res.ok) throw await apiError(res);
  return res.json();
}
