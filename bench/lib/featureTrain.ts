// Trains the feature CLIP model (frozen-backbone features + the lab's text tower + symmetric
// InfoNCE, AdamW, warm-up + cosine) on cached features, evaluating dev retrieval after every epoch
// and keeping the best epoch by mean R@5 (early stopping with patience). Used by
// bench/backbone-quality.ts; the pieces it runs (FeatureClipModel, featureTrainStep) are the app's.

import { MAX_TOKENS } from './featureData';
import * as tf from '@tensorflow/tfjs';
import type { MatchHeadKind, TextEncoderKind } from '../../src/config';
import { relevantCaptions, relevantImages } from '../../src/model/captionText';
import { planEpoch } from '../../src/data/batches';
import { mulberry32, hashString } from '../../src/data/random';
import type { Tokenizer } from '../../src/data/tokenizer';
import { bowCounts } from '../../src/model/bagOfWords';
import { FeatureClipModel } from '../../src/model/featureClip';
import { retrievalMetrics, type RetrievalMetrics } from '../../src/model/metrics';
import { featureTrainStep } from '../../src/train/featureStep';
import { AdamW } from '../../src/train/optimizer';
import { learningRateAt } from '../../src/train/schedule';

/** One split's cached data: features per image (plain, maybe flipped) and its captions. */
export interface FeatureSplit {
  featureSize: number; // F
  plain: Float32Array; // [Ni, F]
  flip: Float32Array | null; // [Ni, F]
  captionImage: number[]; // image row of each caption
  tokens: Float32Array; // [Nc, T]
  captionGroups: Int32Array; // [Nc] text group of each caption (equal normalised texts share one)
}

export interface HeadVariant {
  name: string;
  textEncoder: TextEncoderKind;
  hidden: number; // feature head hidden width (0 = linear)
  dropout: number;
  weightDecay: number;
  flipAugment: boolean; // train on the flipped view half the time
  epochs: number; // at most; early stopping on dev mean R@5 (patience)
  patience: number;
  learningRate: number;
  batchSize: number;
  embedDim: number;
  textWidth: number;
  textLayers: number;
  maxTokens: number;
  matchHead?: MatchHeadKind; // the classifier's kind (default 'residual')
  matchHidden: number; // > 0: a match classifier of this width, left untrained here (matchLossWeight 0; see matchFit.ts)
  seed: number;
}

/** The probe's setup (linear head, bag of words): the variants of bench:backbone and the pretrained row start from it. */
export const BASE_HEAD: Omit<HeadVariant, 'name'> = {
  textEncoder: 'bow',
  hidden: 0,
  dropout: 0,
  weightDecay: 0.1,
  flipAugment: false,
  epochs: 6,
  patience: 2,
  learningRate: 1e-3,
  batchSize: 128,
  embedDim: 256,
  textWidth: 256,
  textLayers: 1,
  maxTokens: MAX_TOKENS,
  matchHidden: 0,
  seed: 1,
};

export interface EpochResult {
  epoch: number; // 1-based
  seconds: number; // training wall time of this epoch (evaluation excluded)
  trainLoss: number; // mean over the epoch's batches
  i2t: RetrievalMetrics;
  t2i: RetrievalMetrics;
  i2tTta: RetrievalMetrics | null; // images as the mean of their plain and flipped embeddings
  t2iTta: RetrievalMetrics | null;
}

export interface VariantResult {
  variant: HeadVariant;
  epochs: EpochResult[];
  best: EpochResult; // by mean R@5 (i2t + t2i) / 2 of the plain view
  stepsPerEpoch: number;
}

/** With `keep`, the model comes back holding its best epoch's weights (the caller disposes it). */
export type KeptVariantResult = VariantResult & { model: FeatureClipModel; trainSeconds: number };

function gatherRows(src: Float32Array, width: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, k) => out.set(src.subarray(r * width, (r + 1) * width), k * width));
  return out;
}

/** Embeds rows [N, W] in chunks with `embed` -> [N, D] on the JS side. */
export async function embedAll(rows: Float32Array, width: number, embed: (x: tf.Tensor2D) => tf.Tensor2D): Promise<Float32Array> {
  const N = rows.length / width;
  const parts: Float32Array[] = [];
  for (let i = 0; i < N; i += 500) {
    const n = Math.min(500, N - i);
    const out = tf.tidy(() => embed(tf.tensor2d(rows.subarray(i * width, (i + n) * width), [n, width])));
    parts.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const D = parts[0].length / Math.min(500, N);
  const all = new Float32Array(N * D);
  parts.forEach((p, k) => all.set(p, k * 500 * D));
  return all;
}

/** Caption embeddings [Nc, D] of token rows [Nc, T]; 'bow' pools counts on the JS side (the device one-hot is slow on wasm). */
export async function embedTexts(model: FeatureClipModel, tokens: Float32Array): Promise<Float32Array> {
  const T = model.config.maxTokens;
  if (model.config.textEncoder !== 'bow') return embedAll(tokens, T, (x) => model.encodeText(x));
  const N = tokens.length / T;
  const V = model.vocabSize;
  const out: Float32Array[] = [];
  for (let i = 0; i < N; i += 500) {
    const n = Math.min(500, N - i);
    const counts = bowCounts(tokens.subarray(i * T, (i + n) * T), n, T, V);
    out.push(await embedAll(counts, V, (x) => model.encodeTextCounts(x)));
  }
  const all = new Float32Array(out.reduce((a, p) => a + p.length, 0));
  out.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
}

/**
 * Retrieval both ways: img [Ni, D], txt [Nc, D] unit rows. As the lab counts (evaluate.ts): a
 * caption with the same text (groups) as a relevant one is relevant too.
 */
export function retrieval(
  img: Float32Array,
  txt: Float32Array,
  D: number,
  captionImage: readonly number[],
  groups: ArrayLike<number>,
): { i2t: RetrievalMetrics; t2i: RetrievalMetrics; sim: Float32Array } {
  const Ni = img.length / D;
  const Nc = txt.length / D;
  const sim = tf.tidy(() => tf.matMul(tf.tensor2d(img, [Ni, D]), tf.tensor2d(txt, [Nc, D]), false, true));
  const s = sim.dataSync() as Float32Array;
  sim.dispose();
  const simT = new Float32Array(Nc * Ni);
  for (let i = 0; i < Ni; i++) for (let j = 0; j < Nc; j++) simT[j * Ni + i] = s[i * Nc + j];
  const captionsOf: number[][] = Array.from({ length: Ni }, () => []);
  captionImage.forEach((i, j) => captionsOf[i].push(j));
  return {
    i2t: retrievalMetrics(s, Nc, relevantCaptions(captionsOf, groups)),
    t2i: retrievalMetrics(simT, Ni, relevantImages(captionImage, groups)),
    sim: s,
  };
}

async function evaluateDev(model: FeatureClipModel, dev: FeatureSplit): Promise<Pick<EpochResult, 'i2t' | 't2i' | 'i2tTta' | 't2iTta'>> {
  const F = model.head.featureSize;
  const D = model.config.embedDim;
  const txt = await embedTexts(model, dev.tokens);
  const img = await embedAll(dev.plain, F, (x) => model.encodeImage(x));
  const plain = retrieval(img, txt, D, dev.captionImage, dev.captionGroups);
  if (!dev.flip) return { i2t: plain.i2t, t2i: plain.t2i, i2tTta: null, t2iTta: null };
  const imgFlip = await embedAll(dev.flip, F, (x) => model.encodeImage(x));
  const mean = new Float32Array(img.length);
  for (let r = 0; r < img.length / D; r++) {
    let norm = 0;
    for (let d = 0; d < D; d++) norm += (mean[r * D + d] = img[r * D + d] + imgFlip[r * D + d]) ** 2;
    const inv = 1 / Math.sqrt(norm + 1e-12);
    for (let d = 0; d < D; d++) mean[r * D + d] *= inv;
  }
  const tta = retrieval(mean, txt, D, dev.captionImage, dev.captionGroups);
  return { i2t: plain.i2t, t2i: plain.t2i, i2tTta: tta.i2t, t2iTta: tta.t2i };
}

const meanR5 = (e: EpochResult) => (e.i2t.r5 + e.t2i.r5) / 2;

/** Trains one variant; `log` hears a line per epoch. The model is disposed before returning. */
export async function trainVariant(
  v: HeadVariant,
  train: FeatureSplit,
  dev: FeatureSplit,
  tokenizer: Tokenizer,
  log: (line: string) => void,
): Promise<VariantResult>;
export async function trainVariant(
  v: HeadVariant,
  train: FeatureSplit,
  dev: FeatureSplit,
  tokenizer: Tokenizer,
  log: (line: string) => void,
  opts: { keep: true },
): Promise<KeptVariantResult>;
export async function trainVariant(
  v: HeadVariant,
  train: FeatureSplit,
  dev: FeatureSplit,
  tokenizer: Tokenizer,
  log: (line: string) => void,
  opts: { keep?: boolean } = {},
): Promise<VariantResult | KeptVariantResult> {
  const F = train.featureSize;
  const T = v.maxTokens;
  const model = FeatureClipModel.create(
    {
      textEncoder: v.textEncoder,
      maxTokens: T,
      textWidth: v.textWidth,
      textLayers: v.textLayers,
      textHeads: 1,
      embedDim: v.embedDim,
      matchHidden: v.matchHidden,
      matchLossWeight: 0,
      matchHead: v.matchHead ?? 'residual',
      matchDetach: true,
      seed: v.seed,
    },
    { featureSize: F, hidden: v.hidden, dropout: v.dropout, embedDim: v.embedDim },
    tokenizer.size,
  );
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: 1e-7, weightDecay: v.weightDecay });
  const captionIds = train.captionImage.map((_, j) => j);
  const stepsPerEpoch = planEpoch(train.captionImage, captionIds, v.batchSize, v.seed, 0).length;
  const totalSteps = stepsPerEpoch * v.epochs;
  const schedule = { learningRate: v.learningRate, warmupSteps: Math.min(200, stepsPerEpoch), totalSteps, schedule: 'cosine' as const };
  const epochs: EpochResult[] = [];
  let best: EpochResult | null = null;
  let bestWeights: Awaited<ReturnType<FeatureClipModel['getWeights']>> | null = null;
  let trainSeconds = 0;
  let step = 0;
  for (let epoch = 0; epoch < v.epochs; epoch++) {
    const batches = planEpoch(train.captionImage, captionIds, v.batchSize, v.seed, epoch);
    const pickView = mulberry32(hashString(`view:${v.seed}:${epoch}`));
    const t0 = performance.now();
    let lossSum = 0;
    for (const batch of batches) {
      const images = batch.map((c) => train.captionImage[c]);
      const features = new Float32Array(batch.length * F);
      images.forEach((i, k) => {
        const src = v.flipAugment && train.flip && pickView() < 0.5 ? train.flip : train.plain;
        features.set(src.subarray(i * F, (i + 1) * F), k * F);
      });
      const tokens = gatherRows(train.tokens, T, batch);
      const loss = featureTrainStep(
        model,
        optimizer,
        { size: batch.length, features, tokens },
        {
          lr: learningRateAt(step, schedule),
          step,
          read: true,
        },
      );
      lossSum += (await loss!.data())[0];
      loss!.dispose();
      step++;
    }
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    const result: EpochResult = { epoch: epoch + 1, seconds, trainLoss: lossSum / batches.length, ...(await evaluateDev(model, dev)) };
    epochs.push(result);
    const fmt = (m: RetrievalMetrics) =>
      `${(m.r1 * 100).toFixed(1)}/${(m.r5 * 100).toFixed(1)}/${(m.r10 * 100).toFixed(1)} med ${m.medianRank}`;
    log(
      `[${v.name}] epoch ${epoch + 1}: ${seconds.toFixed(1)} s, loss ${result.trainLoss.toFixed(3)}, i2t ${fmt(result.i2t)}, t2i ${fmt(result.t2i)}` +
        (result.i2tTta ? `, tta i2t ${fmt(result.i2tTta)} t2i ${fmt(result.t2iTta!)}` : ''),
    );
    if (!best || meanR5(result) > meanR5(best)) {
      best = result; // an app run also keeps this epoch's weights beside the last
      if (opts.keep) bestWeights = await model.getWeights();
    } else if (result.epoch - best.epoch >= v.patience) {
      log(`[${v.name}] early stop: no better dev mean R@5 for ${v.patience} epochs (best epoch ${best.epoch})`);
      break;
    }
  }
  optimizer.dispose();
  if (opts.keep) {
    model.setWeights(bestWeights!);
    return { variant: v, epochs, best: best!, stepsPerEpoch, model, trainSeconds };
  }
  model.dispose();
  return { variant: v, epochs, best: best!, stepsPerEpoch };
}
