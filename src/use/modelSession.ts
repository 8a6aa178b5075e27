// A trained model ready to use: restored from a Checkpoint, it scores an image against captions
// (classifier P(match), calibrated by the checkpoint's calibration when it has one: stacked over
// the head's logit and the cosine, or Platt scaling of the logit in older checkpoints; cosine,
// CLIP softmax; an empty caption is refused), embeds images and texts for search, and does
// zero-shot labelling. A backbone run's session holds the frozen backbone too: images go through
// it, then the trained head (or, for stored datasets, cached features straight to the head).
// Pure TF.js; every tensor disposed.
import * as tf from '@tensorflow/tfjs';
import { Tokenizer } from '../data/tokenizer';
import { plattProbability } from '../model/calibration';
import { stackedProbability } from '../model/stackedCalibration';
import { requireCaptionText } from '../model/captionText';
import { extractFeatures, type Backbone } from '../model/backbone';
import { ClipModel } from '../model/clip';
import { FeatureClipModel } from '../model/featureClip';
import { ModelError } from '../model/params';
import type { ConvImpl } from '../model/layers';
import { fillPromptTemplate, softmax } from '../model/retrieval';
import { embedImages, embedTexts, scoreEmbeddings } from './inference';
import type { Calibration, Checkpoint } from '../train/types';

export interface ScoreRow {
  caption: string;
  probability: number | null; // classifier P(match), calibrated when `calibrated`; null for a model without one
  rawProbability: number | null; // sigmoid of the classifier's logit, before calibration
  calibrated: boolean; // the calibration from the checkpoint's latest evaluation was applied
  calibration: Calibration['method'] | null; // which: 'stacked' (logit and cosine) or 'platt' (logit alone); null when uncalibrated
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
    readonly model: ClipModel | FeatureClipModel,
    readonly tokenizer: Tokenizer,
    readonly logitScale: number, // log space, as trained
    readonly backbone: Backbone | null, // the frozen image tower of a backbone run (the session owns it)
  ) {}

  /** A session of `ckpt`; a backbone run's needs its backbone, loaded (the session then disposes it). */
  static async fromCheckpoint(ckpt: Checkpoint, convImpl: ConvImpl = 'conv2d', backbone?: Backbone): Promise<ModelSession> {
    const tokenizer = Tokenizer.fromVocab(ckpt.vocab);
    const cfg = ckpt.config;
    if (cfg.imageTower === 'backbone' && (!backbone || backbone.identity.sha256 !== cfg.backbone?.sha256)) {
      throw new ModelError(
        'bad-input',
        `backbone: expected "${cfg.backbone?.name}" (SHA-256 ${cfg.backbone?.sha256.slice(0, 12)}…), found ${backbone ? `${backbone.identity.sha256.slice(0, 12)}…` : 'none'}`,
      );
    }
    const model =
      cfg.imageTower === 'backbone'
        ? FeatureClipModel.create(
            cfg,
            { featureSize: cfg.backbone!.featureSize, hidden: cfg.headHidden, dropout: cfg.headDropout, embedDim: cfg.embedDim },
            ckpt.vocab.length,
          )
        : ClipModel.create(cfg, ckpt.vocab.length, { convImpl });
    try {
      model.setWeights(ckpt.weights);
    } catch (err) {
      model.dispose();
      throw err;
    }
    const logitScale = (await model.logitScale.data())[0];
    return new ModelSession(ckpt, model, tokenizer, logitScale, cfg.imageTower === 'backbone' ? backbone! : null);
  }

  /** The checkpoint's calibration of the classifier; null when it was never fitted (uncalibrated) or is not finite. */
  get calibration(): Calibration | null {
    const c = this.checkpoint.calibration;
    if (!c) return null;
    const weights = c.method === 'stacked' ? [c.wz, c.wc, c.b] : [c.a, c.b];
    return weights.every(Number.isFinite) ? c : null;
  }

  get config() {
    return this.checkpoint.config;
  }

  /** Embeddings [n, D] of n square RGB images of side `size` (resized to the model's or backbone's side). */
  async embedImages(pixels: Uint8Array, size: number, n: number): Promise<Float32Array> {
    if (this.model instanceof ClipModel) return embedImages(this.model, pixels, size, n);
    const { model, backbone } = this;
    const D = this.config.embedDim;
    const out = new Float32Array(n * D);
    const per = size * size * 3;
    for (let s = 0; s < n; s += 16) {
      const b = Math.min(16, n - s);
      const emb = tf.tidy(() => {
        const x = tf.tensor4d(Int32Array.from(pixels.subarray(s * per, (s + b) * per)), [b, size, size, 3], 'int32');
        return model.encodeImage(extractFeatures(backbone!, x));
      });
      out.set((await emb.data()) as Float32Array, s * D);
      emb.dispose();
    }
    return out;
  }

  /** A backbone run's embeddings [n, D] of cached backbone features [n, F]; null for a CNN run. */
  async embedFeatures(features: Float32Array, n: number): Promise<Float32Array | null> {
    if (!(this.model instanceof FeatureClipModel)) return null;
    const model = this.model;
    const emb = tf.tidy(() => model.encodeImage(tf.tensor2d(features, [n, model.head.featureSize])));
    const out = (await emb.data()) as Float32Array;
    emb.dispose();
    return out;
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
    const cal = logit ? this.calibration : null;
    const calibrated = (i: number): number =>
      cal!.method === 'stacked' ? stackedProbability(logit![i], cosine[i], cal!) : plattProbability(logit![i], cal!);
    return captions.map((caption, i) => ({
      caption,
      probability: logit ? (cal ? calibrated(i) : probability![i]) : null,
      rawProbability: probability ? probability[i] : null,
      calibrated: !!cal,
      calibration: cal?.method ?? null,
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
    this.backbone?.dispose();
  }
}
