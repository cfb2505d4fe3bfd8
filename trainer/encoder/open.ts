/**
 * Opening what the encoder's commands work with: the frozen generator it inverts, the perceptual
 * term's segmenter, and an exported encoder checked against the model it claims to invert.
 */
import { Encoder } from "../../shared/encoder/encoder.ts";
import { Generator } from "../../shared/generator/generator.ts";
import type { ParamValues } from "../../shared/generator/params.ts";
import { Segmenter } from "../../shared/segmenter/segmenter.ts";
import { fileSource } from "../../shared/weights/file-source.ts";
import { loadEncoder, loadModel } from "../../shared/weights/loader.ts";
import type { EncoderManifest, Manifest } from "../../shared/weights/manifest.ts";
import { openPinnedSegmenter } from "../segmenter/open.ts";

export interface InvertedModel {
  path: string;
  manifest: Manifest;
  values: ParamValues;
  generator: Generator;
}

/** Load a generator model folder (through the shared loader) as the frozen generator to invert. */
export async function openInvertedModel(path: string): Promise<InvertedModel> {
  const { manifest, values } = await loadModel(fileSource(path));
  return { path, manifest, values, generator: Generator.fromValues(manifest.generator, values) };
}

/**
 * The perceptual term's segmenter: the pinned standalone one when given (its version checked), else
 * the model's bundled one, else none.
 */
export async function openFeatureNet(model: InvertedModel, pin?: { path: string; version: string }): Promise<Segmenter | undefined> {
  const s = pin ? (await openPinnedSegmenter(pin)).segmenter : model.manifest.segmenter ? Segmenter.fromValues(model.manifest.segmenter, model.values) : undefined;
  if (s && s.config.resolution !== model.manifest.generator.resolution) {
    throw new Error(`segmenter${pin ? ` ${pin.path}` : ""} takes ${s.config.resolution} px images; ${model.path} renders ${model.manifest.generator.resolution} px`);
  }
  return s;
}

/**
 * Load an exported encoder and check that it inverts this model: the same name and version
 * (`inverts`), and the model's resolution and W size.
 */
export async function openEncoderFor(dir: string, model: InvertedModel): Promise<{ encoder: Encoder; manifest: EncoderManifest }> {
  const { manifest, values } = await loadEncoder(fileSource(dir));
  const m = model.manifest;
  if (manifest.inverts.name !== m.name || manifest.inverts.version !== m.version) {
    throw new Error(`${dir}: inverts ${manifest.inverts.name} ${manifest.inverts.version}, but ${model.path} is ${m.name} ${m.version} (inverts.version must match; train an encoder for this version)`);
  }
  const e = manifest.encoder;
  if (e.resolution !== m.generator.resolution || e.wDim !== m.generator.wDim) {
    throw new Error(`${dir}: encoder.resolution ${e.resolution} and encoder.wDim ${e.wDim} must equal the generator's (${m.generator.resolution}, ${m.generator.wDim})`);
  }
  return { encoder: Encoder.fromValues(e, values), manifest };
}
