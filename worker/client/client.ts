/**
 * The LinkGAN browser client (ES module, `dist/client/linkgan-client.js`): generate, resample
 * regions (by name or by a mask) and interpolate, with the HTTP API's parameter names, either
 * locally (the shared generator on WebGPU, WebGL or the cpu backend, weights cached in Cache
 * Storage) or remotely (the edge API renders, nothing is downloaded but PNGs).
 *
 * Local mode runs exactly the worker's code path: shared/ for the model and the edit maths, and
 * worker/render/composite.ts for what an edit touches and how it is shown over the base image.
 */
import "./csp.ts"; // first: before any zod schema parses
import { type FloatImage, Generator, toRgba8 } from "../../shared/generator/generator.ts";
import { interpolate, resamplePerturb, resampleReplace } from "../../shared/editing/edit.ts";
import { resampleRegions } from "../../shared/editing/resample.ts";
import { decodePng } from "../../shared/png/png.ts";
import { latentFromSeed } from "../../shared/random/prng.ts";
import { type BinaryMask, maskArea, rasterizeMask } from "../../shared/regions/mask.ts";
import type { Region } from "../../shared/regions/schema.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import type { Manifest } from "../../shared/weights/manifest.ts";
import { z } from "zod";
import { editFrames, featherFor, featherWeights, regionsCoveredBy, unionMasks } from "../render/composite.ts";
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
  latentFromParam,
  latentToParam,
  maskToRle,
  normalize,
  parseOr,
} from "./api.ts";
import { BACKENDS, BackendName, type BackendReport, NoBackendError, chooseBackend, liveTensors } from "./backend.ts";
import { type WeightsLoadStats, loadCachedModel } from "./weights-cache.ts";

export { LinkGanError, type ModelSummary, type BackendReport, type WeightsLoadStats, liveTensors };
export type { GenerateParams, InterpolateParams, ResampleParams } from "./api.ts";
export { clearWeightsCache } from "./weights-cache.ts";

export const ClientMode = z.enum(["local", "remote", "auto"]);
export type ClientMode = z.infer<typeof ClientMode>;

const ClientOptionsSchema = z
  .object({
    apiOrigin: z.url({ protocol: /^https?$/ }).optional(),
    model: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be a model name such as faces64").optional(),
    mode: ClientMode.optional(),
    backends: z.array(BackendName).min(1).optional(),
    cacheWeights: z.boolean().optional(),
  })
  .strict();

export interface ClientOptions {
  /** Origin of the edge API. Default: the page's origin. */
  apiOrigin?: string;
  /** Model name. Default: the first model `/v1/models` lists. */
  model?: string;
  /** local: render here; remote: the API renders; auto (default): local when WebGPU or WebGL works, else remote. */
  mode?: ClientMode;
  /** Backend order for local mode. Default webgpu, webgl, cpu (auto mode never uses cpu). */
  backends?: BackendName[];
  /** Keep weights in Cache Storage (default true). */
  cacheWeights?: boolean;
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

interface LocalModel {
  manifest: Manifest;
  generator: Generator;
  /** The bundled segmenter (semantic regions), built from the same loaded values. */
  segmenter?: Segmenter;
}

/** A base render kept in memory: the generator's output, its pixels, and (once needed) its segmenter labels. */
interface BaseRender {
  image: FloatImage;
  rgba: Uint8Array;
  labels?: Uint8Array;
}

/** Base renders and semantic masks kept per client (the widget's history revisits a few). */
const KEEP = 8;

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
  /** What the weight download took from the network and from Cache Storage (local mode). */
  weights?: WeightsLoadStats;
  private readonly baseRenders = new Map<string, BaseRender>();
  private readonly regionMasks = new Map<string, Promise<BinaryMask>>();
  private readonly semanticMasks = new Map<string, Promise<BinaryMask>>();
  private readonly uploadedMasks = new Map<string, Promise<string>>();
  private disposed = false;

  private constructor(
    readonly apiOrigin: string,
    /** The model as `/v1/models` describes it (the version this client renders is pinned). */
    readonly model: ModelSummary,
    /** Where rendering happens. */
    readonly mode: "local" | "remote",
    /** The tfjs backend in use and why others were skipped (local mode; in auto mode that fell back to remote, the attempt). */
    readonly backend: BackendReport | undefined,
    private readonly local: LocalModel | undefined,
    private readonly fetchFn: typeof fetch,
  ) {}

  /**
   * Reads `/v1/models`, picks the mode (and backend), and in local mode loads the weights through
   * Cache Storage. Rejects with a LinkGanError naming what is wrong.
   */
  static async create(options: ClientOptions = {}): Promise<LinkGanClient> {
    const { onProgress, fetch: fetchOpt, ...rest } = options;
    const opts = parseOr(ClientOptionsSchema, rest, "LinkGanClient options");
    const fetchFn = fetchOpt ?? fetch.bind(globalThis);
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
      backend = await chooseBackend(order);
    } catch (e) {
      if (mode === "auto" && e instanceof NoBackendError) {
        const client = new LinkGanClient(origin, model, "remote", { chosen: "cpu", skipped: e.skipped }, undefined, fetchFn);
        client.autoReason = `no GPU backend: ${e.message}`;
        return client;
      }
      throw new LinkGanError("no_backend", (e as Error).message);
    }
    try {
      // The API's URLs are paths relative to its origin (it never echoes a request's Host header).
      const weightsUrl = new URL(model.weightsUrl, `${origin}/`).href;
      const { model: loaded, stats } = await loadCachedModel(weightsUrl, model.version, { onProgress, useCache: opts.cacheWeights, fetch: fetchFn });
      const { manifest, values } = loaded;
      const local = {
        manifest,
        generator: Generator.fromValues(manifest.generator, values),
        // One version pins both networks: the segmenter's weights come in the same shards.
        segmenter: manifest.segmenter ? Segmenter.fromValues(manifest.segmenter, values) : undefined,
      };
      const client = new LinkGanClient(origin, model, "local", backend, local, fetchFn);
      client.weights = stats;
      return client;
    } catch (e) {
      if (mode !== "auto") throw e;
      const client = new LinkGanClient(origin, model, "remote", backend, undefined, fetchFn);
      client.autoReason = `weights could not be loaded: ${(e as Error).message}`;
      return client;
    }
  }

  /**
   * The image of a seed or an explicit latent (z or w).
   *
   * @example
   * const img = await client.generate({ seed: 7, truncation: 0.7 });
   */
  async generate(params: GenerateParams): Promise<RenderedImage> {
    const req = normalize(parseOr(GenerateParams, params, "generate"), false);
    if (this.local) {
      const w = await this.localW(req);
      return this.image((await this.baseRender(w, req.noise)).rgba, w, req.noise);
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
    const req = normalize(parseOr(ResampleParams, params, "resample"), true);
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
    const req = normalize(parseOr(InterpolateParams, params, "interpolate"), true);
    return this.edit(req, req.frames);
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
    const res = this.model.resolution;
    const known = new Map(this.model.regions.map((r) => [r.name, r]));
    const chosen: string[] = [];
    for (const n of names) {
      if (!known.has(n)) throw new LinkGanError("unknown_region", `model "${this.model.name}" has no region "${n}" (it has: ${[...known.keys()].join(", ")})`, "regions");
      chosen.push(n);
    }
    const masks = await Promise.all(chosen.map((n) => this.regionMask(n, image)));
    if (mask !== undefined) {
      const m = typeof mask === "string" ? await this.fetchMask(mask) : mask;
      if (m.size !== res) throw new LinkGanError("invalid_request", `mask: must be ${res}×${res} (the model's resolution), got ${m.size}×${m.size}`, "mask");
      if (maskArea(m) === 0) throw new LinkGanError("empty_mask", "mask: no pixel is inside", "mask");
      const candidates = await Promise.all(this.model.regions.map(async (r) => ({ name: r.name, mask: await this.regionMask(r.name, image) })));
      const covered = regionsCoveredBy(candidates, m);
      if (covered.length === 0) throw new LinkGanError("mask_covers_no_region", `mask: covers no linked region; regions: ${this.model.regions.map((r) => r.name).join(", ")}`, "mask");
      for (const c of covered) if (!chosen.includes(c.name)) chosen.push(c.name);
      masks.push(m);
    }
    return { regions: chosen, mask: unionMasks(res, masks) };
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
    const info = this.model.regions.find((r) => r.name === name);
    if (!info) return Promise.reject(new LinkGanError("unknown_region", `model "${this.model.name}" has no region "${name}"`, "regions"));
    if (info.kind === "semantic") return this.semanticMask(name, image);
    let p = this.regionMasks.get(name);
    if (!p) {
      p = (async () => {
        const region = this.local?.manifest.regions.find((r) => r.name === name);
        if (region && region.mask.kind !== "semantic") return rasterizeMask(region.mask, this.model.resolution);
        if (!info.maskUrl) throw new LinkGanError("no_mask_url", `the API lists no mask URL for region "${name}"`, "regions");
        return pngMask(await this.getPng(new URL(info.maskUrl, this.apiOrigin).href), this.model.resolution);
      })();
      p.catch(() => this.regionMasks.delete(name));
      this.regionMasks.set(name, p);
    }
    return p;
  }

  private semanticMask(name: string, image: ImageCode | undefined): Promise<BinaryMask> {
    if (!image) return Promise.reject(new LinkGanError("invalid_request", `region "${name}" is semantic: its mask depends on the image, so give the image (its w and noise)`, "w"));
    const key = `${name}/${image.noise}/${latentToParam(image.w)}`;
    let p = this.semanticMasks.get(key);
    if (!p) {
      p = (async () => {
        const res = this.model.resolution;
        if (this.local) {
          const region = this.local.manifest.regions.find((r) => r.name === name)!;
          const s = this.local.segmenter;
          if (region.mask.kind !== "semantic" || !s) throw new LinkGanError("no_segmenter", `region "${name}" is semantic but the model has no segmenter`, "regions");
          const base = await this.baseRender(image.w, image.noise);
          if (!base.labels) [base.labels] = (await s.labels([base.image])) as [Uint8Array];
          return s.classMask(base.labels, region.mask.class);
        }
        const q = new URLSearchParams({ w: latentToParam(image.w), noise: String(image.noise), version: this.model.version });
        return pngMask(await this.getPng(`${this.modelUrl()}/regions/${encodeURIComponent(name)}/mask.png?${q}`), res);
      })();
      p.catch(() => this.semanticMasks.delete(key));
      if (this.semanticMasks.size >= 4 * KEEP) this.semanticMasks.delete(this.semanticMasks.keys().next().value!);
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
    this.baseRenders.clear();
  }

  // ---- local mode: the worker's code path on this page's backend ----

  private async localW(req: NormalizedRequest): Promise<Float32Array> {
    const g = this.liveGenerator();
    const { zDim, wDim } = this.model;
    switch (req.code.kind) {
      case "seed":
        return (await g.mapSeeds([req.code.seed], req.truncation))[0]!;
      case "z":
        if (req.code.z.length !== zDim) throw new LinkGanError("invalid_request", `z: expected ${zDim} values for model "${this.model.name}", got ${req.code.z.length}`, "z");
        return (await g.mapLatents([req.code.z], req.truncation))[0]!;
      case "w":
        if (req.code.w.length !== wDim) throw new LinkGanError("invalid_request", `w: expected ${wDim} values for model "${this.model.name}", got ${req.code.w.length}`, "w");
        return req.code.w;
    }
  }

  private async renderRgba(w: Float32Array, noise: number | "zeros"): Promise<Uint8Array> {
    const [img] = await this.liveGenerator().render([w], noise === "zeros" ? "zeros" : [noise]);
    return toRgba8(img!);
  }

  /** The base render of a code, from memory when this client rendered it before (as the worker's isolate does). */
  private async baseRender(w: Float32Array, noise: number | "zeros"): Promise<BaseRender> {
    const key = `${noise}/${latentToParam(w)}`;
    const hit = this.baseRenders.get(key);
    if (hit) return hit;
    const [image] = await this.liveGenerator().render([w], noise === "zeros" ? "zeros" : [noise]);
    const entry = { image: image!, rgba: toRgba8(image!) };
    if (this.baseRenders.size >= KEEP) this.baseRenders.delete(this.baseRenders.keys().next().value!);
    this.baseRenders.set(key, entry);
    return entry;
  }

  private async edit(req: NormalizedRequest, frames: number): Promise<RenderedImage[]> {
    const e = req.edit!;
    const wBase = this.local ? this.localW(req) : this.remoteW(req);
    wBase.catch(() => undefined); // awaited below; a failure is reported there
    // Semantic masks (named, or candidates of a mask) belong to the image being edited.
    const needsImage = e.regions.some((n) => this.model.regions.find((r) => r.name === n)?.kind === "semantic") || (e.mask !== undefined && this.model.regions.some((r) => r.kind === "semantic"));
    const target = await this.editTarget(e.regions, e.mask, needsImage ? { w: await wBase, noise: req.noise } : undefined);
    if (this.local) {
      const res = this.model.resolution;
      const w = await wBase;
      const regions = target.regions.map((n) => this.local!.manifest.regions.find((r) => r.name === n)!) as Region[];
      const edited = await resampleRegions(this.liveGenerator(), w, regions, { seed: e.resampleSeed, mode: e.mode, alpha: e.alpha, truncation: req.truncation });
      const alpha = e.composite ? featherWeights(target.mask, featherFor(res)) : undefined;
      const codes = frames === 1 ? [edited] : interpolate(w, edited, frames);
      // The edited code's render is kept as a base render: the next edit, and its semantic masks, start from it.
      const render = async (code: Float32Array) => (code === codes[codes.length - 1] ? (await this.baseRender(code, req.noise)).rgba : this.renderRgba(code, req.noise));
      const images = await editFrames(codes, w, (await this.baseRender(w, req.noise)).rgba, render, alpha);
      return images.map((rgba, i) => this.image(rgba, codes[i]!, req.noise));
    }
    const maskId = typeof e.mask === "object" ? await this.uploadMask(e.mask) : e.mask;
    const [png, w, wNew] = await Promise.all([
      this.remotePng(frames === 1 ? "resample" : "interpolate", { ...req, edit: { ...e, mask: maskId } }),
      wBase,
      e.mode === "replace" ? this.remoteW({ code: { kind: "seed", seed: e.resampleSeed }, truncation: req.truncation, noise: "zeros", frames: 1 }) : undefined,
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

  private liveGenerator(): Generator {
    if (this.disposed || !this.local) throw new LinkGanError("disposed", this.disposed ? "this client was disposed" : "no local model");
    return this.local.generator;
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

  private async fetchMask(id: string): Promise<BinaryMask> {
    return pngMask(await this.getPng(`${this.modelUrl()}/masks/${id}.png`), this.model.resolution);
  }

  private async getPng(url: string) {
    const res = await this.fetchFn(url);
    if (!res.ok) throw await apiError(res);
    return decodePng(new Uint8Array(await res.arrayBuffer()));
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

async function getJson(fetchFn: typeof fetch, url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    throw new LinkGanError("network_error", `${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw await apiError(res);
  return res.json();
}

/** A mask PNG (white or opaque inside) → a binary mask; it must be at the model's resolution. */
function pngMask(img: ReturnType<typeof decodePng>, resolution: number): BinaryMask {
  if (img.width !== resolution || img.height !== resolution) throw new LinkGanError("invalid_mask", `mask PNG is ${img.width}×${img.height}, expected ${resolution}×${resolution}`);
  return { size: resolution, data: img.gray.map((g) => (g >= 128 ? 1 : 0)) };
}
