// Validation: embed a fixed sample of val images and all their captions, then retrieval
// (R@1/5/10, median rank, both directions), val CLIP loss over one-caption-per-image batches,
// and the match classifier's balanced accuracy and ROC AUC on positives vs hard/random negatives.

import * as tf from '@tensorflow/tfjs';
import { planEpoch } from '../data/batches';
import { hashString, mulberry32 } from '../data/random';
import type { ClipModel } from '../model/clip';
import { clipLoss } from '../model/losses';
import { balancedAccuracy, retrievalMetrics, rocAuc } from '../model/metrics';
import { embedImages, embedTokens, scoreEmbeddings } from '../use/inference';
import { gatherRows } from './pixels';
import type { EvalEmbeddings } from './insights';
import type { EvalMetrics } from './types';

export interface EvalSet {
  pixels: Uint8Array; // all images [N, S, S, 3] at the model's side
  imageIds: readonly number[]; // the val images to evaluate
  captionIds: readonly number[]; // all captions of those images
  captionImage: ArrayLike<number>; // image index of every caption id
  tokens: Float32Array; // [numCaptions, T] token ids of every caption id
}

/** sim [Ni, Nt] = img [Ni, D] @ txt [Nt, D]^T, computed on the device. */
async function similarity(img: Float32Array, txt: Float32Array, D: number): Promise<Float32Array> {
  const sim = tf.tidy(() => tf.matMul(tf.tensor2d(img, [img.length / D, D]), tf.tensor2d(txt, [txt.length / D, D]), false, true));
  const data = (await sim.data()) as Float32Array;
  sim.dispose();
  return data;
}

/** Mean CLIP loss over batches of min(batchSize, Ni) val captions with distinct images (fixed order). */
async function valLoss(sim: Float32Array, set: EvalSet, imagePos: Map<number, number>, scale: number, batchSize: number, seed: number): Promise<number> {
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
      return clipLoss(tf.tensor2d(logits, [b, b]));
    });
    return tf.mean(tf.stack(losses));
  });
  const value = (await mean.data())[0];
  mean.dispose();
  return value;
}

/**
 * Classifier pairs: every (image, own caption) positive; per image one hard negative (its most
 * similar caption of another image) and one random caption of another image.
 */
function matchPairs(sim: Float32Array, captionImageRow: readonly number[], Ni: number, seed: number): { imageRows: number[]; captionRows: number[]; labels: number[] } {
  const Nt = captionImageRow.length;
  const imageRows: number[] = [];
  const captionRows: number[] = [];
  const labels: number[] = [];
  const push = (i: number, j: number, label: number) => (imageRows.push(i), captionRows.push(j), labels.push(label));
  captionImageRow.forEach((i, j) => push(i, j, 1));
  const random = mulberry32(hashString(`eval-negatives:${seed}`));
  for (let i = 0; i < Ni; i++) {
    let hard = -1;
    for (let j = 0; j < Nt; j++) {
      if (captionImageRow[j] !== i && (hard < 0 || sim[i * Nt + j] > sim[i * Nt + hard])) hard = j;
    }
    let other = Math.floor(random() * Nt);
    while (captionImageRow[other] === i) other = (other + 1) % Nt;
    push(i, hard, 0);
    push(i, other, 0);
  }
  return { imageRows, captionRows, labels };
}

/** Metrics on the eval set; null when it holds fewer than 2 images or `signal` aborts. */
export async function evaluate(
  model: ClipModel,
  set: EvalSet,
  opts: { step: number; epoch: number; batchSize: number; seed: number; signal?: AbortSignal; onEmbeddings?: (e: EvalEmbeddings) => void },
): Promise<EvalMetrics | null> {
  const { imageSize: S, maxTokens: T, embedDim: D } = model.config;
  const Ni = set.imageIds.length;
  const Nt = set.captionIds.length;
  if (Ni < 2 || Nt < 2) return null;
  const imagePixels = new Uint8Array(Ni * S * S * 3);
  set.imageIds.forEach((id, i) => imagePixels.set(set.pixels.subarray(id * S * S * 3, (id + 1) * S * S * 3), i * S * S * 3));
  const img = await embedImages(model, imagePixels, S, Ni, opts.batchSize); // [Ni, D]
  if (opts.signal?.aborted) return null;
  const txt = await embedTokens(model, gatherRows(set.tokens, T, set.captionIds), Nt, opts.batchSize); // [Nt, D]
  if (opts.signal?.aborted) return null;
  const sim = await similarity(img, txt, D); // [Ni, Nt]
  const imagePos = new Map(set.imageIds.map((id, i) => [id, i]));

  const captionImageRow = set.captionIds.map((id) => imagePos.get(set.captionImage[id])!); // [Nt]
  const captionsOf: number[][] = set.imageIds.map(() => []);
  captionImageRow.forEach((i, j) => captionsOf[i].push(j));
  const simT = new Float32Array(Nt * Ni); // [Nt, Ni]
  for (let i = 0; i < Ni; i++) for (let j = 0; j < Nt; j++) simT[j * Ni + i] = sim[i * Nt + j];
  const i2t = retrievalMetrics(sim, Nt, captionsOf); // an image query hits with any of its captions
  const t2i = retrievalMetrics(simT, Ni, captionImageRow.map((i) => [i]));
  opts.onEmbeddings?.({ img, txt, sim, dim: D, captionImageRow }); // for the embedding map and worst mistakes

  const scale = Math.exp((await model.logitScale.data())[0]);
  const loss = await valLoss(sim, set, imagePos, scale, opts.batchSize, opts.seed);
  let matchAcc: number | null = null;
  let auc: number | null = null;
  if (model.hasMatchHead) {
    const pairs = matchPairs(sim, captionImageRow, Ni, opts.seed);
    const { probability } = await scoreEmbeddings(model, gatherRows(img, D, pairs.imageRows), gatherRows(txt, D, pairs.captionRows));
    matchAcc = balancedAccuracy(probability!, pairs.labels, 0.5);
    auc = rocAuc(probability!, pairs.labels);
  }
  return { step: opts.step, epoch: opts.epoch, valLoss: loss, i2t, t2i, matchAcc, auc, images: Ni, captions: Nt };
}
