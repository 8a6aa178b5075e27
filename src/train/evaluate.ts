// Validation: embed a fixed sample of val images and all their captions, then retrieval
// (R@1/5/10, median rank, both directions; a caption with the same text as a relevant one is
// relevant too), val CLIP loss over one-caption-per-image batches, and the match classifier on
// positives vs hard/random wrong captions: AUC beside plain cosine's, ECE, and the stacked
// calibration over [logit, cosine] (model/stackedCalibration.ts) with its held-out AUCs.

import * as tf from '@tensorflow/tfjs';
import { planEpoch } from '../data/batches';
import { hashString, mulberry32 } from '../data/random';
import type { ClipModel } from '../model/clip';
import { expectedCalibrationError, fitPlatt, reliabilityBins, sigmoid } from '../model/calibration';
import { relevantCaptions, relevantImages, sameTextMask, tokenRowGroups } from '../model/captionText';
import { clipLoss } from '../model/losses';
import { balancedAccuracy, retrievalMetrics, rocAuc } from '../model/metrics';
import { applyStacked, fitStackedCalibration, PAIR_KIND, stackedProbability } from '../model/stackedCalibration';
import { embedImages, embedTokens } from '../use/inference';
import { gatherRows } from './pixels';
import type { EvalEmbeddings } from './insights';
import type { EvalMetrics, MatchEvalMetrics } from './types';

export interface EvalSet {
  pixels: Uint8Array; // all images [N, S, S, 3] at the model's side
  imageIds: readonly number[]; // the val images to evaluate
  captionIds: readonly number[]; // all captions of those images
  captionImage: ArrayLike<number>; // image index of every caption id
  tokens: Float32Array; // [numCaptions, T] token ids of every caption id
  captionGroups?: ArrayLike<number>; // text group of every caption id (model/captionText); default: equal token rows
}

/** sim [Ni, Nt] = img [Ni, D] @ txt [Nt, D]^T, computed on the device. */
async function similarity(img: Float32Array, txt: Float32Array, D: number): Promise<Float32Array> {
  const sim = tf.tidy(() => tf.matMul(tf.tensor2d(img, [img.length / D, D]), tf.tensor2d(txt, [txt.length / D, D]), false, true));
  const data = (await sim.data()) as Float32Array;
  sim.dispose();
  return data;
}

/** Mean CLIP loss over batches of min(batchSize, Ni) val captions with distinct images (fixed order); groups [Nt] as in evaluate. */
async function valLoss(
  sim: Float32Array,
  set: EvalSet,
  imagePos: Map<number, number>,
  groups: ArrayLike<number>,
  scale: number,
  batchSize: number,
  seed: number,
): Promise<number> {
  const Nt = set.captionIds.length;
  const captionPos = new Map(set.captionIds.map((id, j) => [id, j]));
  const batches = planEpoch(set.captionImage, set.captionIds, Math.min(batchSize, imagePos.size), seed, 0);
  if (batches.length === 0) return NaN;
  const mean = tf.tidy(() => {
    const losses = batches.map((batch) => {
      const b = batch.length;
      const logits = new Float32Array(b * b); // [b, b]: image of caption i vs caption j
      batch.forEach((ci, i) => {
        const row = imagePos.get(set.captionImage[ci])! * Nt;
        batch.forEach((cj, j) => (logits[i * b + j] = scale * sim[row + captionPos.get(cj)!]));
      });
      const notNegative = sameTextMask(batch.map((id) => groups[captionPos.get(id)!])); // same-text captions are not negatives
      return clipLoss(tf.tensor2d(logits, [b, b]), tf.tensor2d(notNegative, [b, b]));
    });
    return tf.mean(tf.stack(losses));
  });
  const value = (await mean.data())[0];
  mean.dispose();
  return value;
}

/** Pair kinds in MatchPairs.kinds. */
const { positive: POSITIVE, hard: HARD, random: RANDOM } = PAIR_KIND;

export interface MatchPairs {
  imageRows: number[];
  captionRows: number[];
  labels: number[];
  kinds: number[]; // POSITIVE | HARD | RANDOM
}

/**
 * Classifier pairs: every (image, own caption) positive; per image one hard negative (its most
 * similar caption of another image) and one random caption of another image. A caption whose
 * text equals one of the image's own is never a negative (so an image may get none).
 */
export function matchPairs(
  sim: ArrayLike<number>,
  captionImageRow: readonly number[],
  groups: ArrayLike<number>,
  Ni: number,
  seed: number,
): MatchPairs {
  const Nt = captionImageRow.length;
  const pairs: MatchPairs = { imageRows: [], captionRows: [], labels: [], kinds: [] };
  const push = (i: number, j: number, kind: number) => {
    pairs.imageRows.push(i);
    pairs.captionRows.push(j);
    pairs.labels.push(kind === POSITIVE ? 1 : 0);
    pairs.kinds.push(kind);
  };
  captionImageRow.forEach((i, j) => push(i, j, POSITIVE));
  const ownGroups: Set<number>[] = Array.from({ length: Ni }, () => new Set());
  captionImageRow.forEach((i, j) => ownGroups[i].add(groups[j]));
  const random = mulberry32(hashString(`eval-negatives:${seed}`));
  for (let i = 0; i < Ni; i++) {
    const wrong = (j: number) => !ownGroups[i].has(groups[j]);
    let hard = -1;
    for (let j = 0; j < Nt; j++) {
      if (wrong(j) && (hard < 0 || sim[i * Nt + j] > sim[i * Nt + hard])) hard = j;
    }
    if (hard < 0) continue; // every caption reads like this image's own
    let other = Math.floor(random() * Nt);
    while (!wrong(other)) other = (other + 1) % Nt;
    push(i, hard, HARD);
    push(i, other, RANDOM);
  }
  return pairs;
}

/**
 * What evaluation reads of a model: the text tower, logit_scale and the match classifier (a
 * ClipModel, or the feature CLIP model with its image embeddings given as opts.embedImages).
 */
export type EvalModel = Pick<ClipModel, 'encodeText' | 'logitScale' | 'hasMatchHead' | 'matchLogits'> & {
  config: Pick<ClipModel['config'], 'maxTokens' | 'embedDim'>;
};

/** Raw match logits of rows of u [N, D] against rows of v [N, D], in batches. */
async function matchLogitsOf(model: EvalModel, u: Float32Array, v: Float32Array, batchSize = 1024): Promise<Float32Array> {
  const D = model.config.embedDim;
  const N = u.length / D;
  const out = new Float32Array(N);
  for (let start = 0; start < N; start += batchSize) {
    const n = Math.min(batchSize, N - start);
    const logits = tf.tidy(() =>
      model.matchLogits(
        tf.tensor2d(u.subarray(start * D, (start + n) * D), [n, D]),
        tf.tensor2d(v.subarray(start * D, (start + n) * D), [n, D]),
      ),
    );
    out.set((await logits.data()) as Float32Array, start);
    logits.dispose();
  }
  return out;
}

/** Entries of xs (and labels) whose kind is POSITIVE or `kind`. */
function subset(xs: ArrayLike<number>, pairs: MatchPairs, kind: number): { scores: number[]; labels: number[] } {
  const scores: number[] = [];
  const labels: number[] = [];
  pairs.kinds.forEach((k, n) => {
    if (k === POSITIVE || k === kind) scores.push(xs[n]), labels.push(pairs.labels[n]);
  });
  return { scores, labels };
}

/**
 * AUCs of the raw classifier, of cosine and of the calibrated P(match) on the same pairs; ECE
 * before and after calibration. The calibration is the stacked one (sigmoid(wz·logit + wc·cosine
 * + b)); its AUCs and ECE are held out: fitted on the pairs of even images, scored on odd ones,
 * and vice versa. Platt scaling of the logit alone is reported beside it.
 */
export function matchEvalMetrics(logits: ArrayLike<number>, cosine: ArrayLike<number>, pairs: MatchPairs): MatchEvalMetrics {
  const auc = (xs: ArrayLike<number>, kind: number) => {
    const { scores, labels } = subset(xs, pairs, kind);
    return rocAuc(scores, labels);
  };
  const raw = Float64Array.from({ length: logits.length }, (_, n) => sigmoid(logits[n]));
  const heldOut = new Float64Array(logits.length);
  for (const fold of [0, 1]) {
    const fitOn = pairs.imageRows.map((i, n) => (i % 2 !== fold ? n : -1)).filter((n) => n >= 0);
    const fit = fitStackedCalibration(
      fitOn.map((n) => logits[n]),
      fitOn.map((n) => cosine[n]),
      fitOn.map((n) => pairs.labels[n]),
      fitOn.map((n) => pairs.kinds[n]),
    );
    pairs.imageRows.forEach((i, n) => {
      if (i % 2 === fold) heldOut[n] = stackedProbability(logits[n], cosine[n], fit);
    });
  }
  const stacked = fitStackedCalibration(logits, cosine, pairs.labels, pairs.kinds);
  const platt = fitPlatt(logits, pairs.labels);
  const bins = reliabilityBins(applyStacked(logits, cosine, stacked), pairs.labels, 10);
  const orNull = (x: number) => (Number.isNaN(x) ? null : x);
  return {
    aucRandom: auc(logits, RANDOM),
    aucHard: auc(logits, HARD),
    cosineAuc: rocAuc(cosine, pairs.labels),
    cosineAucRandom: auc(cosine, RANDOM),
    cosineAucHard: auc(cosine, HARD),
    ece: expectedCalibrationError(raw, pairs.labels),
    eceCalibrated: expectedCalibrationError(heldOut, pairs.labels),
    plattA: platt.a,
    plattB: platt.b,
    // Not fitted (one class, non-finite inputs): NaN, so the checkpoint falls back to Platt's or stays uncalibrated.
    stackWz: stacked.fallback ? NaN : stacked.wz,
    stackWc: stacked.fallback ? NaN : stacked.wc,
    stackB: stacked.fallback ? NaN : stacked.b,
    calibratedAucRandom: auc(heldOut, RANDOM),
    calibratedAucHard: auc(heldOut, HARD),
    binCount: bins.map((b) => b.count),
    binConfidence: bins.map((b) => orNull(b.meanConfidence)),
    binAccuracy: bins.map((b) => orNull(b.accuracy)),
  };
}

/** Image embeddings [Ni, D] of a ClipModel from the eval set's pixels. */
function embedPixels(model: ClipModel, set: EvalSet, batchSize: number): Promise<Float32Array> {
  const S = model.config.imageSize;
  const Ni = set.imageIds.length;
  const imagePixels = new Uint8Array(Ni * S * S * 3);
  set.imageIds.forEach((id, i) => imagePixels.set(set.pixels.subarray(id * S * S * 3, (id + 1) * S * S * 3), i * S * S * 3));
  return embedImages(model, imagePixels, S, Ni, batchSize);
}

/**
 * Metrics on the eval set; null when it holds fewer than 2 images or `signal` aborts. Image
 * embeddings come from `opts.embedImages` (unit rows [imageIds.length, D]) when given, else from
 * the set's pixels through `model`, which must then be a ClipModel.
 */
export async function evaluate(
  model: EvalModel,
  set: EvalSet,
  opts: {
    step: number;
    epoch: number;
    batchSize: number;
    seed: number;
    signal?: AbortSignal;
    onEmbeddings?: (e: EvalEmbeddings) => void;
    embedImages?: (imageIds: readonly number[]) => Promise<Float32Array>;
  },
): Promise<EvalMetrics | null> {
  const { maxTokens: T, embedDim: D } = model.config;
  const Ni = set.imageIds.length;
  const Nt = set.captionIds.length;
  if (Ni < 2 || Nt < 2) return null;
  const img = opts.embedImages ? await opts.embedImages(set.imageIds) : await embedPixels(model as ClipModel, set, opts.batchSize); // [Ni, D]
  if (opts.signal?.aborted) return null;
  const txt = await embedTokens(model, gatherRows(set.tokens, T, set.captionIds), Nt, opts.batchSize); // [Nt, D]
  if (opts.signal?.aborted) return null;
  const sim = await similarity(img, txt, D); // [Ni, Nt]
  const imagePos = new Map(set.imageIds.map((id, i) => [id, i]));

  const captionImageRow = set.captionIds.map((id) => imagePos.get(set.captionImage[id])!); // [Nt]
  const groups = set.captionGroups
    ? Int32Array.from(set.captionIds, (id) => set.captionGroups![id])
    : tokenRowGroups(gatherRows(set.tokens, T, set.captionIds), T, Nt); // [Nt] text group of each eval caption
  const captionsOf: number[][] = set.imageIds.map(() => []);
  captionImageRow.forEach((i, j) => captionsOf[i].push(j));
  const simT = new Float32Array(Nt * Ni); // [Nt, Ni]
  for (let i = 0; i < Ni; i++) for (let j = 0; j < Nt; j++) simT[j * Ni + i] = sim[i * Nt + j];
  // An image query hits with any of its captions, or any caption of the same text; a caption query with any image that has its text.
  const i2t = retrievalMetrics(sim, Nt, relevantCaptions(captionsOf, groups));
  const t2i = retrievalMetrics(simT, Ni, relevantImages(captionImageRow, groups));
  opts.onEmbeddings?.({ img, txt, sim, dim: D, captionImageRow }); // for the embedding map and worst mistakes

  const scale = Math.exp((await model.logitScale.data())[0]);
  const loss = await valLoss(sim, set, imagePos, groups, scale, opts.batchSize, opts.seed);
  let matchAcc: number | null = null;
  let auc: number | null = null;
  let match: MatchEvalMetrics | null = null;
  if (model.hasMatchHead) {
    const pairs = matchPairs(sim, captionImageRow, groups, Ni, opts.seed);
    const logits = await matchLogitsOf(model, gatherRows(img, D, pairs.imageRows), gatherRows(txt, D, pairs.captionRows));
    const cosine = pairs.imageRows.map((i, n) => sim[i * Nt + pairs.captionRows[n]]);
    matchAcc = balancedAccuracy(logits, pairs.labels, 0); // P = 0.5
    auc = rocAuc(logits, pairs.labels);
    match = matchEvalMetrics(logits, cosine, pairs);
  }
  return { step: opts.step, epoch: opts.epoch, valLoss: loss, i2t, t2i, matchAcc, auc, match, images: Ni, captions: Nt };
}
