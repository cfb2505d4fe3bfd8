/**
 * `<linkgan-editor>`: an embeddable LinkGAN editor (dist/client/linkgan-editor.js).
 *
 *   <script type="module" src="https://linkgan.example/linkgan-editor.js"></script>
 *   <linkgan-editor api-origin="https://linkgan.example" model="faces64" seed="7" mode="auto"></linkgan-editor>
 *
 * Attributes (api-origin, model, seed, mode) set the properties of the same names (apiOrigin,
 * model, seed, mode); the properties are the source of truth. Events: `ready` (the client is
 * loaded: mode, backend, weights), `progress` (model download, detail.fraction), `render` (an
 * image is shown: seed, edits, the regions of the last edit), `error` (code, message, field).
 *
 * Hovering shows the linked region under the pointer; clicking it, or pressing its key (1–9),
 * resamples that region with a short animation (interpolated codes). A semantic region (#7) shows
 * its mask in the image shown (the segmenter's, recomputed whenever the image changes) and is
 * resampled like a fixed one. A brush paints a mask whose
 * covered regions are resampled. Your picture (#14): a picture chosen, dropped on the image or
 * pasted is inverted (its code w in the model's W; in the page in local mode, else by the API),
 * shown beside its reconstruction, and then edited like any generated image. Undo/redo, new seed, download PNG at 1, 2, 4 or 8× (pixels repeated). Edits are shown over the
 * current image with the API's feathered mask (shared/render/composite.ts), so pixels outside an
 * edit never change.
 */
import "../csp.ts"; // first: before any zod schema parses
import { z } from "zod";
import { encodePng } from "../../shared/png/png.ts";
import { MAX_SEED } from "../../shared/random/prng.ts";
import { Scale } from "../../shared/render/request.ts";
import type { BinaryMask } from "../../shared/regions/mask.ts";
import { ModelName } from "../../shared/weights/manifest.ts";
import { composite, featherFor, featherWeights } from "../../shared/render/composite.ts";
import { type ClientMode, type ImageCode, LinkGanClient, LinkGanError, type RenderedImage } from "../client.ts";
import { STYLES } from "./styles.ts";

export { LinkGanClient, LinkGanError };

const Attr = {
  "api-origin": z.url({ protocol: /^https?$/ }),
  model: ModelName,
  seed: z.coerce.number().int().min(0).max(MAX_SEED),
  mode: z.enum(["local", "remote", "auto"]),
} as const;
type AttrName = keyof typeof Attr;

/** An uploaded picture an entry was inverted from. */
interface PictureSource {
  /** The file's name (or "pasted picture"). */
  name: string;
  /** The square crop that was sent, at the model's resolution, shown beside the reconstruction. */
  original: ImageData;
  /** PSNR of the reconstruction against it (dB). */
  psnr: number;
  /** Projector steps run after the encoder. */
  steps: number;
  /** Where it was inverted: in this page (local mode) or by the API. */
  where: "local" | "remote";
}

/** One shown image: what undo and redo move between. */
interface Entry {
  /** The seed of a generated image; for an uploaded picture, a seed derived from its bytes (for the edits' resample seeds). */
  seed: number;
  /** Set when the image is an uploaded picture's reconstruction. */
  picture?: PictureSource;
  rgba: Uint8ClampedArray;
  w: Float32Array;
  noise: number | "zeros";
  /** Edits since the seed's image: the regions each resampled. */
  edits: string[][];
  /** Semantic regions' masks in this image (of its code `w`, `noise`), computed once per entry. */
  semantic?: Promise<Map<string, BinaryMask>>;
}

/** The scales Download PNG offers: the API's bound (shared/render/request.ts, `Scale`), powers of two. */
export const PNG_SCALES = [1, 2, 4, 8] as const;

/** Longest side of the picture sent for inversion: the browser decodes any format and scales it down, so uploads stay small. */
export const UPLOAD_SIDE = 256;

/** Most frames of the edit animation (base and result included). */
export const ANIMATION_FRAMES = 6;
/** The animation gets as many frames as fit in about this long (at the measured render time), at least 2. */
const ANIMATION_BUDGET_MS = 1500;
const FRAME_MS = 70;
const nextPaint = (ms: number) => new Promise<void>((r) => setTimeout(() => requestAnimationFrame(() => r()), ms));

/**
 * The editor element. Create it in HTML, or in script:
 *
 * @example
 * const el = document.createElement("linkgan-editor");
 * el.apiOrigin = "https://linkgan.example"; el.model = "faces64"; el.seed = 7; el.mode = "remote";
 * el.addEventListener("render", (e) => console.log(e.detail.seed, e.detail.edits));
 * document.body.append(el);
 */
export class LinkGanEditor extends HTMLElement {
  static readonly observedAttributes = Object.keys(Attr);

  #apiOrigin: string | undefined;
  #model: string | undefined;
  #seed = 7;
  #mode: ClientMode = "auto";
  /** Truncation ψ of new seeds' images (edits resample with ψ = 1, as the API does for a w code). */
  truncation = 0.7;
  /**
   * Frames of the edit animation (2–16, base and result included), or undefined (default): up to 6,
   * fewer where rendering is slow (as many as fit in ~1.5 s at the last measured render time).
   */
  animationFrames: number | undefined;
  #renderMs = 0;

  #client: LinkGanClient | undefined;
  #loading: Promise<void> | undefined;
  #reloadQueued = false;
  #history: Entry[] = [];
  #at = -1;
  #busy = false;
  #editCount = 0;
  /** Fixed regions' masks (the same for every image). */
  #masks = new Map<string, BinaryMask>();
  /** Semantic regions' masks in the image shown (empty until computed). */
  #semantic = new Map<string, BinaryMask>();
  #hover: string | undefined;
  #brush = false;
  #paint: Uint8Array | undefined;
  #painting = false;
  /** The status line of the image shown (what it is, where it was rendered). */
  #shownStatus = "";

  readonly #root: ShadowRoot;
  readonly #el: {
    frame: HTMLDivElement;
    image: HTMLCanvasElement;
    overlay: HTMLCanvasElement;
    progress: HTMLProgressElement;
    regions: HTMLDivElement;
    status: HTMLParagraphElement;
    undo: HTMLButtonElement;
    redo: HTMLButtonElement;
    newSeed: HTMLButtonElement;
    brush: HTMLButtonElement;
    apply: HTMLButtonElement;
    clear: HTMLButtonElement;
    download: HTMLButtonElement;
    scale: HTMLSelectElement;
    upload: HTMLButtonElement;
    file: HTMLInputElement;
    original: HTMLElement;
    originalImage: HTMLCanvasElement;
    originalCaption: HTMLElement;
  };

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open", delegatesFocus: false });
    this.#root.innerHTML = `<style>${STYLES}</style>
<div class="root" part="root">
  <div class="stage">
    <canvas class="image" part="image" role="img" tabindex="0" width="1" height="1" aria-label="Loading image"></canvas>
    <canvas class="overlay" width="1" height="1" aria-hidden="true"></canvas>
    <progress max="1" value="0" aria-label="Downloading the model"></progress>
  </div>
  <figure class="original" hidden>
    <canvas class="original-image" role="img" width="1" height="1" aria-label="Your picture, as sent"></canvas>
    <figcaption></figcaption>
  </figure>
  <div class="bar regions" role="group" aria-label="Resample a region"></div>
  <div class="bar" role="toolbar" aria-label="Editor">
    <button type="button" data-action="undo" aria-keyshortcuts="Control+Z" title="Undo (Ctrl+Z)" disabled>Undo</button>
    <button type="button" data-action="redo" aria-keyshortcuts="Control+Y Control+Shift+Z" title="Redo (Ctrl+Y)" disabled>Redo</button>
    <button type="button" data-action="new-seed" aria-keyshortcuts="N" title="New seed (N)" disabled>New seed</button>
    <button type="button" data-action="brush" aria-pressed="false" aria-keyshortcuts="B" title="Paint a mask (B)" disabled>Brush</button>
    <button type="button" data-action="apply" title="Resample the regions the painted mask covers (Enter)" disabled>Resample painted</button>
    <button type="button" data-action="clear" title="Clear the painted mask" disabled>Clear mask</button>
    <button type="button" data-action="download" title="Download the image as PNG, at the scale beside" disabled>Download PNG</button>
    <select class="scale" aria-label="PNG scale" title="Scale of the downloaded PNG (nearest neighbour)" disabled>${PNG_SCALES.map((n) => `<option value="${n}">${n}×</option>`).join("")}</select>
    <button type="button" data-action="upload" aria-keyshortcuts="U" title="Edit your own picture: choose one (U), drop it on the image or paste it (Ctrl+V)" disabled>Your picture…</button>
    <input type="file" accept="image/*" hidden tabindex="-1" aria-hidden="true">
  </div>
  <p class="status" role="status" aria-live="polite"></p>
</div>`;
    const q = <T extends Element>(sel: string) => this.#root.querySelector(sel) as T;
    this.#el = {
      frame: q(".root"),
      image: q("canvas.image"),
      overlay: q("canvas.overlay"),
      progress: q("progress"),
      regions: q(".regions"),
      status: q(".status"),
      undo: q('[data-action="undo"]'),
      redo: q('[data-action="redo"]'),
      newSeed: q('[data-action="new-seed"]'),
      brush: q('[data-action="brush"]'),
      apply: q('[data-action="apply"]'),
      clear: q('[data-action="clear"]'),
      download: q('[data-action="download"]'),
      scale: q("select.scale"),
      upload: q('[data-action="upload"]'),
      file: q('input[type="file"]'),
      original: q("figure.original"),
      originalImage: q("canvas.original-image"),
      originalCaption: q("figure.original figcaption"),
    };
    this.#root.addEventListener("click", (e) => {
      const action = (e.target as Element).closest?.("button")?.dataset.action;
      if (action) this.#act(action);
    });
    this.addEventListener("keydown", (e) => this.#key(e));
    this.#el.file.addEventListener("change", () => {
      const f = this.#el.file.files?.[0];
      this.#el.file.value = "";
      if (f) void this.invert(f);
    });
    const stage = this.#root.querySelector(".stage") as HTMLElement;
    stage.addEventListener("dragover", (e) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
      this.#el.frame.classList.add("dropping");
    });
    stage.addEventListener("dragleave", () => this.#el.frame.classList.remove("dropping"));
    stage.addEventListener("drop", (e) => {
      this.#el.frame.classList.remove("dropping");
      const f = e.dataTransfer?.files[0];
      if (!f) return;
      e.preventDefault();
      void this.invert(f);
    });
    this.addEventListener("paste", (e) => {
      const f = [...(e.clipboardData?.files ?? [])].find((x) => x.type.startsWith("image/"));
      if (!f) return;
      e.preventDefault();
      void this.invert(f);
    });
    const img = this.#el.image;
    img.addEventListener("pointermove", (e) => this.#pointer(e, "move"));
    img.addEventListener("pointerdown", (e) => this.#pointer(e, "down"));
    img.addEventListener("pointerup", () => (this.#painting = false));
    img.addEventListener("pointerleave", () => {
      this.#painting = false;
      this.#setHover(undefined);
    });
  }

  // ---- properties (the source of truth) and their attributes ----

  /** Origin of the LinkGAN API (default: this page's origin). */
  get apiOrigin(): string | undefined {
    return this.#apiOrigin;
  }
  set apiOrigin(v: string | undefined) {
    this.#apiOrigin = v === undefined ? undefined : this.#valid("api-origin", v);
    this.#reload();
  }
  /** Model name (default: the API's first model). */
  get model(): string | undefined {
    return this.#model;
  }
  set model(v: string | undefined) {
    this.#model = v === undefined ? undefined : this.#valid("model", v);
    this.#reload();
  }
  /** The latent seed of the base image. Setting it shows that seed's image (undoable). */
  get seed(): number {
    return this.#seed;
  }
  set seed(v: number) {
    this.#seed = this.#valid("seed", v);
    if (this.#client && !this.#loading) void this.#show(this.#seed);
  }
  /** local | remote | auto (default): where the generator runs. */
  get mode(): ClientMode {
    return this.#mode;
  }
  set mode(v: ClientMode) {
    this.#mode = this.#valid("mode", v);
    this.#reload();
  }
  /** The client in use (after `ready`). */
  get client(): LinkGanClient | undefined {
    return this.#client;
  }
  /** A copy of the image shown, RGBA at the model's resolution. */
  get imageData(): ImageData | undefined {
    const e = this.#history[this.#at];
    return e && new ImageData(e.rgba.slice(), this.#el.image.width, this.#el.image.height);
  }
  get canUndo(): boolean {
    return this.#at > 0;
  }
  get canRedo(): boolean {
    return this.#at < this.#history.length - 1;
  }

  /** The code of the image shown (its w and noise): pass it to the client or the API (`w`, `noise`) to chain from it. */
  get imageCode(): ImageCode | undefined {
    const e = this.#history[this.#at];
    return e && { w: e.w.slice(), noise: e.noise };
  }

  /**
   * A region's mask in the image shown (what hovering it highlights): a fixed region's, or a
   * semantic region's segmenter mask of this image. Undefined before an image is shown.
   *
   * @example
   * const hair = await editor.regionMask("hair"); // { size: 64, data } of the current image
   */
  async regionMask(name: string): Promise<BinaryMask | undefined> {
    const fixed = this.#masks.get(name);
    if (fixed) return fixed;
    const e = this.#history[this.#at];
    return e && (await this.#semanticOf(e)).get(name);
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value) return;
    try {
      if (name === "api-origin") this.apiOrigin = value ?? undefined;
      else if (name === "model") this.model = value ?? undefined;
      else if (name === "seed") this.seed = value === null ? 7 : Number(value);
      else if (name === "mode") this.mode = (value ?? "auto") as ClientMode;
    } catch (e) {
      this.#fail(e);
    }
  }

  connectedCallback(): void {
    // Moving the element within the page keeps its client; a first connection loads one.
    if (!this.#client && !this.#loading) this.#reload();
  }

  disconnectedCallback(): void {
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.#client?.dispose();
      this.#client = undefined;
    });
  }

  // ---- public actions ----

  /**
   * Resample regions (and/or a painted mask) of the image shown, animated.
   *
   * @example
   * await editor.resample(["mouth"]);
   */
  async resample(regions: string[], mask?: BinaryMask): Promise<void> {
    const client = this.#client;
    const cur = this.#history[this.#at];
    if (!client || !cur || this.#busy) return;
    this.#setBusy(true);
    try {
      const resampleSeed = (Math.imul(cur.seed ^ 0x9e3779b9, 2654435761) + ++this.#editCount * 40503) >>> 0;
      const target = await client.editTarget(regions, mask, cur);
      const alpha = featherWeights(target.mask, featherFor(client.model.resolution));
      this.#status(`Resampling ${target.regions.map((n) => this.#label(n)).join(", ")}…`);
      const count = Math.max(2, Math.min(16, Math.round(this.animationFrames ?? Math.min(ANIMATION_FRAMES, 1 + Math.floor(ANIMATION_BUDGET_MS / Math.max(1, this.#renderMs))))));
      const t0 = performance.now();
      const frames = await client.interpolate({ w: cur.w, noise: cur.noise, regions, mask, resampleSeed, frames: count, composite: false });
      this.#renderMs = (performance.now() - t0) / (count - 1);
      const bytes = (a: Uint8ClampedArray) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const shown = (f: RenderedImage) => new Uint8ClampedArray(composite(bytes(cur.rgba), bytes(f.rgba), alpha).buffer);
      for (const f of frames.slice(1, -1)) {
        this.#draw(shown(f));
        await nextPaint(FRAME_MS);
      }
      const last = frames[frames.length - 1]!;
      this.#push({ seed: cur.seed, picture: cur.picture, rgba: shown(last), w: last.w, noise: cur.noise, edits: [...cur.edits, target.regions] }, { resampleSeed, regions: target.regions });
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#setBusy(false);
    }
  }

  /**
   * Edit your own picture: the browser decodes it (any format it reads), crops the centre square
   * and scales it to at most UPLOAD_SIDE px, the client inverts that PNG into the model's W (in
   * this page in local mode when the model has an encoder, else the API) with `options.steps`
   * projector steps (default DEFAULT_INVERT_STEPS), and the
   * reconstruction becomes the image shown (undoable), with the picture beside it. The API's
   * refusals (too small, not a picture, …) are shown as errors, and nothing changes.
   *
   * @example
   * input.onchange = () => editor.invert(input.files[0]);
   */
  async invert(picture: Blob, options: { steps?: number; name?: string } = {}): Promise<void> {
    const client = this.#client;
    if (!client || this.#busy) return;
    if (!client.model.encoder) {
      this.#fail(new LinkGanError("no_encoder", `model "${client.model.name}" has no encoder: it cannot invert pictures`, "model"));
      return;
    }
    this.#setBusy(true);
    try {
      const name = options.name ?? (picture instanceof File ? picture.name : "pasted picture");
      this.#status(`Inverting ${name}…`);
      const { png, original } = await preparePicture(picture, client.model.resolution);
      const { image, inversion, where } = await client.invert(png, { steps: options.steps });
      const seed = Number.parseInt(inversion.source.sha256.slice(0, 8), 16) % (MAX_SEED + 1);
      this.#push({ seed, picture: { name, original, psnr: inversion.psnr, steps: inversion.steps, where }, rgba: image.rgba, w: image.w, noise: image.noise, edits: [] }, {});
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#setBusy(false);
    }
  }

  undo(): void {
    if (this.canUndo && !this.#busy) this.#goto(this.#at - 1);
  }

  redo(): void {
    if (this.canRedo && !this.#busy) this.#goto(this.#at + 1);
  }

  /** Show a new random seed's image (undoable). */
  newSeed(): void {
    const s = crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000;
    this.seed = s;
  }

  /**
   * The image shown as a PNG file, upscaled `scale` times by repeating pixels (as the API's
   * `scale`), so a 64 px model's image can be saved at 512 px without blurring.
   *
   * @example
   * const png = editor.toPng(4); // 256×256 for a 64 px model
   */
  toPng(scale = 1): Blob | undefined {
    const e = this.#history[this.#at];
    if (!e) return undefined;
    const s = Scale.parse(scale);
    const size = this.#el.image.width;
    const rgba = upscale(new Uint8Array(e.rgba.buffer, e.rgba.byteOffset, e.rgba.byteLength), size, s);
    return new Blob([encodePng(rgba, size * s, size * s) as Uint8Array<ArrayBuffer>], { type: "image/png" });
  }

  // ---- loading ----

  #reload(): void {
    if (!this.isConnected || this.#reloadQueued) return;
    this.#reloadQueued = true;
    queueMicrotask(() => {
      this.#reloadQueued = false;
      const run = this.#load().finally(() => {
        if (this.#loading === run) this.#loading = undefined;
      });
      this.#loading = run;
    });
  }

  async #load(): Promise<void> {
    await this.#loading?.catch(() => undefined);
    this.#client?.dispose();
    this.#client = undefined;
    this.#history = [];
    this.#at = -1;
    this.#masks.clear();
    this.#semantic = new Map();
    this.#setBusy(true);
    this.#el.progress.hidden = false;
    this.#el.progress.value = 0;
    this.#status("Loading…");
    try {
      const client = await LinkGanClient.create({
        apiOrigin: this.#apiOrigin,
        model: this.#model,
        mode: this.#mode,
        onProgress: (fraction) => {
          this.#el.progress.value = fraction;
          this.dispatchEvent(new CustomEvent("progress", { detail: { fraction } }));
        },
      });
      this.#client = client;
      const res = client.model.resolution;
      for (const c of [this.#el.image, this.#el.overlay]) {
        c.width = res;
        c.height = res;
      }
      for (const r of client.model.regions) {
        if (r.kind !== "semantic") this.#masks.set(r.name, await client.regionMask(r.name));
      }
      this.#paint = new Uint8Array(res * res);
      this.#buildRegionButtons();
      this.dispatchEvent(
        new CustomEvent("ready", {
          detail: { mode: client.mode, backend: client.backend, autoReason: client.autoReason, autoMeasured: client.autoMeasured, model: client.model.name, version: client.model.version, weights: client.weights },
        }),
      );
      this.#el.progress.hidden = true;
      this.#setBusy(false);
      this.#status(describeSetup(client));
      await this.#show(this.#seed);
    } catch (e) {
      this.#el.progress.hidden = true;
      this.#setBusy(false);
      this.#fail(e);
    }
  }

  async #show(seed: number): Promise<void> {
    const client = this.#client;
    if (!client || this.#busy) return;
    this.#setBusy(true);
    try {
      this.#status(`Generating seed ${seed}…`);
      const t0 = performance.now();
      const img = await client.generate({ seed, truncation: this.truncation });
      this.#renderMs = performance.now() - t0;
      this.#seed = seed;
      this.#push({ seed, rgba: img.rgba, w: img.w, noise: img.noise, edits: [] }, {});
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#setBusy(false);
    }
  }

  // ---- history and drawing ----

  #push(entry: Entry, about: { resampleSeed?: number; regions?: string[] }): void {
    this.#history = this.#history.slice(0, this.#at + 1);
    this.#history.push(entry);
    this.#at = this.#history.length - 1;
    this.#present(about);
  }

  #goto(i: number): void {
    this.#at = i;
    this.#seed = this.#history[i]!.seed;
    this.#present({});
  }

  #present(about: { resampleSeed?: number; regions?: string[] }): void {
    const e = this.#history[this.#at]!;
    this.#draw(e.rgba);
    this.#semantic = new Map();
    void this.#semanticOf(e)
      .then((masks) => {
        if (this.#history[this.#at] !== e) return;
        this.#semantic = masks;
        this.#drawOverlay();
      })
      .catch((err) => this.#fail(err));
    const edits = e.edits.map((r) => r.map((n) => this.#label(n)).join(" + "));
    const what = e.picture ? `Your picture ${e.picture.name}, reconstructed ${e.picture.where === "local" ? "here" : "by the API"} (encoder${e.picture.steps ? ` + ${e.picture.steps} steps` : ""}, PSNR ${e.picture.psnr.toFixed(1)} dB)` : `Generated image from seed ${e.seed}`;
    const text = `${what}${edits.length ? `, edited: ${edits.join("; ")}` : ""}`;
    this.#showOriginal(e.picture);
    this.#el.image.setAttribute("aria-label", `${text} (model ${this.#client?.model.title ?? ""})`);
    this.#shownStatus = `${text}. ${describeSetup(this.#client!)}`;
    this.#status(this.#shownStatus);
    this.#updateButtons();
    const c = this.#client!;
    this.dispatchEvent(
      new CustomEvent("render", {
        detail: { seed: e.seed, edits: e.edits, ...about, ...(e.picture ? { picture: e.picture.name, psnr: e.picture.psnr } : {}), width: this.#el.image.width, height: this.#el.image.height, mode: c.mode, backend: c.backend?.chosen, historyIndex: this.#at, historyLength: this.#history.length },
      }),
    );
  }

  /** The picture an entry was inverted from, beside its reconstruction (hidden for generated images). */
  #showOriginal(p: PictureSource | undefined): void {
    const { original, originalImage, originalCaption } = this.#el;
    original.hidden = !p;
    if (!p) return;
    originalImage.width = p.original.width;
    originalImage.height = p.original.height;
    originalImage.getContext("2d")!.putImageData(p.original, 0, 0);
    originalCaption.textContent = `Your picture · reconstruction ${p.psnr.toFixed(1)} dB`;
  }

  #draw(rgba: Uint8ClampedArray): void {
    const { image } = this.#el;
    image.getContext("2d")!.putImageData(new ImageData(new Uint8ClampedArray(rgba), image.width, image.height), 0, 0);
  }

  /** The semantic regions' masks in entry `e`'s image (from the client: segmented here, or the API's). */
  #semanticOf(e: Entry): Promise<Map<string, BinaryMask>> {
    const client = this.#client;
    if (!e.semantic) {
      const semantic = client?.model.regions.filter((r) => r.kind === "semantic") ?? [];
      e.semantic = Promise.all(semantic.map(async (r) => [r.name, await client!.regionMask(r.name, e)] as const)).then((pairs) => new Map(pairs));
      e.semantic.catch(() => (e.semantic = undefined));
    }
    return e.semantic;
  }

  #maskOf(name: string): BinaryMask | undefined {
    return this.#masks.get(name) ?? this.#semantic.get(name);
  }

  #drawOverlay(): void {
    const { overlay } = this.#el;
    const ctx = overlay.getContext("2d")!;
    const res = overlay.width;
    const img = ctx.createImageData(res, res);
    const accent = parseColor(getComputedStyle(this).getPropertyValue("--linkgan-accent").trim() || "#3554d1");
    const hover = this.#hover ? this.#maskOf(this.#hover) : undefined;
    for (let i = 0; i < res * res; i++) {
      const on = (hover?.data[i] ?? 0) || (this.#brush && this.#paint?.[i]);
      if (!on) continue;
      img.data.set([...accent, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  // ---- interaction ----

  #buildRegionButtons(): void {
    const box = this.#el.regions;
    box.replaceChildren();
    this.#client!.model.regions.forEach((r, i) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.region = r.name;
      const key = i < 9 ? String(i + 1) : undefined;
      if (key) {
        b.setAttribute("aria-keyshortcuts", key);
        const k = document.createElement("kbd");
        k.textContent = key;
        b.append(k);
      }
      b.append(this.#label(r.name));
      b.setAttribute("aria-label", `Resample ${this.#label(r.name)}${key ? ` (key ${key})` : ""}`);
      b.addEventListener("click", () => void this.resample([r.name]));
      for (const ev of ["pointerenter", "focus"]) b.addEventListener(ev, () => this.#setHover(r.name));
      for (const ev of ["pointerleave", "blur"]) b.addEventListener(ev, () => this.#setHover(undefined));
      box.append(b);
    });
  }

  #act(action: string): void {
    if (action === "undo") this.undo();
    else if (action === "redo") this.redo();
    else if (action === "new-seed") this.newSeed();
    else if (action === "brush") this.#setBrush(!this.#brush);
    else if (action === "clear") {
      this.#paint?.fill(0);
      this.#drawOverlay();
      this.#updateButtons();
    } else if (action === "apply") void this.#applyPaint();
    else if (action === "download") this.#download();
    else if (action === "upload") this.#el.file.click();
  }

  async #applyPaint(): Promise<void> {
    if (!this.#paint?.some((v) => v)) return;
    const mask = { size: this.#el.image.width, data: this.#paint.slice() };
    await this.resample([], mask);
    if (this.#history[this.#at]?.edits.length) {
      this.#paint.fill(0);
      this.#setBrush(false);
    }
  }

  #key(e: KeyboardEvent): void {
    if (e.target !== this || e.altKey) return;
    const k = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && k === "z") {
      e.preventDefault();
      if (e.shiftKey) this.redo();
      else this.undo();
    } else if ((e.ctrlKey || e.metaKey) && k === "y") {
      e.preventDefault();
      this.redo();
    } else if (e.ctrlKey || e.metaKey) {
      return;
    } else if (/^[1-9]$/.test(k)) {
      const b = this.#el.regions.querySelectorAll("button")[Number(k) - 1];
      if (b) {
        e.preventDefault();
        void this.resample([b.dataset.region!]);
      }
    } else if (k === "n") this.newSeed();
    else if (k === "u" && !this.#el.upload.disabled) this.#el.file.click();
    else if (k === "b") this.#setBrush(!this.#brush);
    else if (k === "escape" && this.#brush) this.#setBrush(false);
    else if (k === "enter" && this.#brush && this.#root.activeElement === this.#el.image) void this.#applyPaint();
  }

  #pointer(e: PointerEvent, kind: "move" | "down"): void {
    const c = this.#el.image;
    const rect = c.getBoundingClientRect();
    const res = c.width;
    const x = Math.floor(((e.clientX - rect.left) / rect.width) * res);
    const y = Math.floor(((e.clientY - rect.top) / rect.height) * res);
    if (x < 0 || y < 0 || x >= res || y >= res) return;
    if (this.#brush) {
      if (kind === "down") {
        this.#painting = true;
        c.setPointerCapture?.(e.pointerId);
      }
      if (this.#painting) this.#dab(x, y);
      return;
    }
    const under = this.#regionAt(x, y);
    if (kind === "move") this.#setHover(under);
    else if (under && e.button === 0) void this.resample([under]);
  }

  /** The smallest region containing pixel (x, y) in the image shown (fixed, or semantic once its mask is known). */
  #regionAt(x: number, y: number): string | undefined {
    let best: string | undefined;
    let bestArea = Number.POSITIVE_INFINITY;
    const res = this.#el.image.width;
    for (const [name, m] of [...this.#masks, ...this.#semantic]) {
      if (!m.data[y * res + x]) continue;
      const area = m.data.reduce((a, b) => a + b, 0);
      if (area < bestArea) {
        best = name;
        bestArea = area;
      }
    }
    return best;
  }

  #dab(x: number, y: number): void {
    const res = this.#el.image.width;
    const r = Math.max(1, Math.round(res / 20));
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < res && yy < res && dx * dx + dy * dy <= r * r) this.#paint![yy * res + xx] = 1;
      }
    }
    this.#drawOverlay();
    this.#updateButtons();
  }

  #setHover(name: string | undefined): void {
    if (this.#hover === name) return;
    this.#hover = name;
    this.#el.image.style.cursor = this.#brush ? "" : name ? "pointer" : "default";
    this.#drawOverlay();
  }

  #setBrush(on: boolean): void {
    if (!this.#client || this.#client.model.regions.length === 0) return;
    this.#brush = on;
    this.#el.frame.classList.toggle("brush", on);
    this.#el.brush.setAttribute("aria-pressed", String(on));
    // Leaving the brush (Escape, the button, or after Resample painted) says again what is shown.
    this.#status(on ? "Brush: paint over the image, then Resample painted (Enter). Escape leaves the brush." : this.#shownStatus);
    this.#drawOverlay();
    this.#updateButtons();
  }

  #download(): void {
    const scale = Number(this.#el.scale.value);
    const blob = this.toPng(scale);
    if (!blob) return;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    const size = this.#el.image.width * scale;
    a.download = `linkgan-${this.#client?.model.name ?? "image"}-seed${this.#seed}-${size}px.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  // ---- state ----

  #setBusy(busy: boolean): void {
    this.#busy = busy;
    this.#el.frame.setAttribute("aria-busy", String(busy));
    this.#updateButtons();
  }

  #updateButtons(): void {
    const ready = !!this.#client && !this.#busy && this.#at >= 0;
    const { undo, redo, newSeed, brush, apply, clear, download, upload } = this.#el;
    undo.disabled = !ready || !this.canUndo;
    // Only a model version with an encoder can invert a picture (here or by the API).
    const invertible = !!this.#client?.model.encoder;
    upload.hidden = !!this.#client && !invertible;
    upload.disabled = !ready || !invertible;
    redo.disabled = !ready || !this.canRedo;
    newSeed.disabled = !ready;
    download.disabled = !ready;
    this.#el.scale.disabled = !ready;
    brush.disabled = !ready || !this.#client?.model.regions.length;
    const painted = !!this.#paint?.some((v) => v);
    apply.disabled = !ready || !this.#brush || !painted;
    clear.disabled = !ready || !painted;
    for (const b of this.#el.regions.querySelectorAll("button")) b.disabled = !ready;
  }

  #label(name: string): string {
    return this.#client?.model.regions.find((r) => r.name === name)?.label ?? name;
  }

  #status(text: string, error = false): void {
    this.#el.status.textContent = text;
    this.#el.status.classList.toggle("error", error);
  }

  #valid<N extends AttrName>(name: N, value: unknown): z.output<(typeof Attr)[N]> {
    const r = Attr[name].safeParse(value);
    if (!r.success) throw new LinkGanError("invalid_attribute", `${name}: ${r.error.issues[0]?.message ?? "invalid"} (got ${JSON.stringify(value)})`, name);
    return r.data as z.output<(typeof Attr)[N]>;
  }

  #fail(e: unknown): void {
    const err = e instanceof LinkGanError ? e : new LinkGanError("error", (e as Error)?.message ?? String(e));
    this.#status(err.message, true);
    this.dispatchEvent(new CustomEvent("error", { detail: { code: err.code, message: err.message, field: err.field } }));
  }
}

/** Where rendering happens, and why: "Local, webgpu" or "Local, webgl (webgpu skipped: …)" or "Remote (…)". */
export function describeSetup(c: LinkGanClient): string {
  const skipped = c.backend?.skipped.filter((s) => s.reason !== "not in the requested order") ?? [];
  const why = skipped.map((s) => `${s.name} skipped: ${s.reason}`).join("; ");
  if (c.mode === "remote") return `Rendered by the API${c.autoReason ? ` (${c.autoReason})` : ""}.`;
  return `Rendered here on ${c.backend!.chosen}${why ? ` (${why})` : ""}.`;
}

/**
 * A picture as the widget sends it: decoded by the browser (EXIF orientation applied), its centre
 * square scaled to at most UPLOAD_SIDE px and encoded as PNG; and the same square at the model's
 * resolution, to show beside the reconstruction. The encoder's input is made from the PNG by
 * shared/picture (area averaging); the thumbnail is the browser's resize of the same square, so it
 * shows the crop that was inverted, not its exact pixels.
 */
async function preparePicture(picture: Blob, resolution: number): Promise<{ png: Blob; original: ImageData }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(picture, { imageOrientation: "from-image" });
  } catch {
    throw new LinkGanError("not_an_image", `${picture instanceof File ? picture.name : "the pasted data"}: not a picture this browser can read`, "picture");
  }
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    const sx = Math.floor((bitmap.width - side) / 2);
    const sy = Math.floor((bitmap.height - side) / 2);
    const square = (n: number) => {
      const c = new OffscreenCanvas(n, n);
      const ctx = c.getContext("2d")!;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap, sx, sy, side, side, 0, 0, n, n);
      return { c, ctx };
    };
    // Small pictures go as they are (the API refuses what holds no face, naming its size).
    const sent = square(Math.min(side, UPLOAD_SIDE));
    const shown = square(resolution);
    return { png: await sent.c.convertToBlob({ type: "image/png" }), original: shown.ctx.getImageData(0, 0, resolution, resolution) };
  } finally {
    bitmap.close();
  }
}

/** #rgb / #rrggbb / rgb(r, g, b) → [r, g, b] (the overlay colour comes from --linkgan-accent). */
function parseColor(c: string): [number, number, number] {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((h) => h + h).join("") : hex;
    return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
  }
  const rgb = /rgba?\((\d+)[ ,]+(\d+)[ ,]+(\d+)/.exec(c);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : [53, 84, 209];
}

/** Nearest-neighbour upscale of a square RGBA image of side `size` by `factor`. */
function upscale(rgba: Uint8Array, size: number, factor: number): Uint8Array {
  if (factor === 1) return rgba.slice();
  const n = size * factor;
  const out = new Uint8Array(n * n * 4);
  const src = new Uint32Array(rgba.slice().buffer); // a copy: the view needs a 4-byte-aligned offset
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < n; y++) {
    const row = Math.floor(y / factor) * size;
    for (let x = 0; x < n; x++) dst[y * n + x] = src[row + Math.floor(x / factor)]!;
  }
  return out;
}

if (!customElements.get("linkgan-editor")) customElements.define("linkgan-editor", LinkGanEditor);

declare global {
  interface HTMLElementTagNameMap {
    "linkgan-editor": LinkGanEditor;
  }
}
