// A trained model ready to use: restored from a Checkpoint, it scores an image against captions
// (classifier P(match), calibrated by the checkpoint's Platt scaling when it has one, cosine,
// CLIP softmax; an empty caption is refused), embeds images and texts for search, and does
// zero-shot labelling. Pure TF.js; every tensor disposed.
import { Tokenizer } from '../data/tokenizer';
import { plattProbability, type PlattParams } from '../model/calibration';
import { requireCaptionText } from '../model/captionText';
import { ClipModel } from '../model/clip';
import type { ConvImpl } from '../model/layers';
import { fillPromptTemplate, softmax } from '../model/retrieval';
import { embedImages, embedTexts, scoreEmbeddings } from './inference';
import type { Checkpoint } from '../train/types';

export interface ScoreRow {
  caption: string;
  probability: number | null; // classifier P(match), calibrated when `calibrated`; null for a model without one
  rawProbability: number | null; // sigmoid of the classifier's logit, before calibration
  calibrated: boolean; // Platt scaling from the checkpoint's latest evaluation was applied
  cosine: number;
  softmax: number; // CLIP's softmax over exp(logitScale) * cosine across the given captions
}

export interface ZeroShotRow {
  label: string;
  prompt: string;
  probability: number;
}

export class ModelSession {
  private constructor(
    readonly checkpoint: Checkpoint,
    readonly model: ClipModel,
    readonly tokenizer: Tokenizer,
    readonly logitScale: number, // log space, as trained
  ) {}

  static async fromCheckpoint(ckpt: Checkpoint, convImpl: ConvImpl = 'conv2d'): Promise<ModelSession> {
    const tokenizer = Tokenizer.fromVocab(ckpt.vocab);
    const model = ClipModel.create(ckpt.config, ckpt.vocab.length, { convImpl });
    try {
      model.setWeights(ckpt.weights);
    } catch (err) {
      model.dispose();
      throw err;
    }
    const logitScale = (await model.logitScale.data())[0];
    return new ModelSession(ckpt, model, tokenizer, logitScale);
  }

  /** The checkpoint's Platt scaling of the classifier logit; null when it was never fitted (uncalibrated). */
  get calibration(): PlattParams | null {
    const c = this.checkpoint.calibration;
    return c && Number.isFinite(c.a) && Number.isFinite(c.b) ? { a: c.a, b: c.b } : null;
  }

  get config() {
    return this.model.config;
  }

  /** Embeddings [n, D] of n square RGB images of side `size` (resized to the model's side). */
  embedImages(pixels: Uint8Array, size: number, n: number): Promise<Float32Array> {
    return embedImages(this.model, pixels, size, n);
  }

  embedTexts(texts: readonly string[]): Promise<Float32Array> {
    return embedTexts(this.model, this.tokenizer, texts);
  }

  /** One image against several captions, in the captions' order; throws CaptionTextError for a caption without words. */
  async score(pixels: Uint8Array, size: number, captions: readonly string[]): Promise<ScoreRow[]> {
    if (!captions.length) return [];
    captions.forEach((c, i) => requireCaptionText(c, captions.length > 1 ? `caption ${i + 1}` : 'caption'));
    const D = this.config.embedDim;
    const img = await this.embedImages(pixels, size, 1);
    const txt = await this.embedTexts(captions);
    const u = new Float32Array(captions.length * D);
    for (let i = 0; i < captions.length; i++) u.set(img, i * D);
    const { probability, logit, cosine } = await scoreEmbeddings(this.model, u, txt);
    const scale = Math.exp(this.logitScale);
    const sm = softmax(Float32Array.from(cosine, (c) => scale * c));
    const platt = this.calibration;
    return captions.map((caption, i) => ({
      caption,
      probability: logit ? (platt ? plattProbability(logit[i], platt) : probability![i]) : null,
      rawProbability: probability ? probability[i] : null,
      calibrated: !!logit && !!platt,
      cosine: cosine[i],
      softmax: sm[i],
    }));
  }

  /** Zero-shot: softmax over "a photo of a {label}" prompts for one image. */
  async zeroShot(pixels: Uint8Array, size: number, labels: readonly string[], template: string): Promise<ZeroShotRow[]> {
    const prompts = labels.map((l) => fillPromptTemplate(template, l));
    const rows = await this.score(pixels, size, prompts);
    return rows.map((r, i) => ({ label: labels[i], prompt: prompts[i], probability: r.softmax }));
  }

  dispose(): void {
    this.model.dispose();
  }
}
