// One training step: the objective (CLIP loss + weighted match loss on positives and hard/random
// negatives), its gradients, the AdamW update and the logit_scale clamp, all inside one tidy.
// A step's randomness (augmentation, random negatives) derives from (seed, step) alone.
// Captions with the same text as one of an image's own are never its negatives: not in the
// CLIP softmaxes, not as hard or random wrong captions for the classifier.

import * as tf from '@tensorflow/tfjs';
import { hashString, mulberry32 } from '../data/random';
import { augmentImages } from '../model/augment';
import { sameTextMask, tokenRowGroups } from '../model/captionText';
import type { ClipModel } from '../model/clip';
import { clipLoss, matchLoss } from '../model/losses';
import { balancedAccuracy, inBatchAccuracy } from '../model/metrics';
import { negativeSelection, randomNegativeSelection, validNegativeRows } from '../model/negatives';
import type { AdamW } from './optimizer';
import type { StepMetrics } from './types';

/** One batch as uploaded: B images and the B captions that match them, in order. */
export interface TrainBatch {
  size: number; // B
  images: Float32Array; // [B, S, S, 3] in 0..1
  tokens: Float32Array; // [B, T] token ids as float32
  sameText?: Float32Array; // [B, B] 1 where caption j has the text of one of image i's captions (captionText.sameTextMask); equal token rows count anyway
  noFlip?: boolean[]; // [B] never flip image i (its caption names a side: captionText.hasSideWords)
}

/** [B * B]: 1 where caption j is not a negative for image i: j = i, equal token rows, or batch.sameText. */
export function notNegativeMask(
  batch: Pick<TrainBatch, 'size' | 'tokens' | 'sameText'> & Partial<TrainBatch>,
  maxTokens: number,
): Float32Array {
  const mask = sameTextMask(tokenRowGroups(batch.tokens, maxTokens, batch.size));
  if (batch.sameText) for (let k = 0; k < mask.length; k++) mask[k] = Math.max(mask[k], batch.sameText[k]);
  return mask;
}

/** What a step reports, read back from the device. */
export interface StepReadout {
  loss: number;
  clipLoss: number;
  matchLoss: number | null;
  logitScale: number; // exp(logit_scale) used in the forward pass
  sim: Float32Array; // [B, B] cosine of image i with caption j
  matchLogits: Float32Array | null; // [(1 + K) B]: B positives, then K groups of B negatives
}

/** The seeded random source of step `step` (0-based). */
export function stepRandom(seed: number, step: number): () => number {
  return mulberry32(hashString(`step:${seed}:${step}`));
}

interface ObjectiveOutputs {
  loss: tf.Scalar;
  clipLoss: tf.Scalar;
  matchLoss: tf.Scalar | null;
  scale: tf.Scalar;
  sim: tf.Tensor2D;
  matchLogits: tf.Tensor1D | null;
}

/** Which pairs are not negatives, and which images have any negative at all. */
export interface NegativeMask {
  notNegative: tf.Tensor2D; // [B, B] 1 on the diagonal and where caption j reads like one of image i's
  validRows: tf.Tensor1D; // [B] 1 where image i has a negative in the batch (else its negative pairs weigh 0)
}

/**
 * images [B, S, S, 3], tokens [B, T], randomSel [B, B] (or K of them: K negatives per positive)
 * -> losses and what the metrics need. Negative k = 0 is hard (most similar wrong caption) for the
 * first half of the images and randomSel[0] for the rest; k >= 1 are randomSel[k].
 */
export function objective(
  model: ClipModel,
  images: tf.Tensor4D,
  tokens: tf.Tensor2D,
  randomSel: tf.Tensor2D | readonly tf.Tensor2D[],
  mask?: NegativeMask,
): ObjectiveOutputs {
  const B = images.shape[0];
  const img = model.encodeImage(images); // [B, D]
  const txt = model.encodeText(tokens); // [B, D]
  const sim = tf.matMul(img, txt, false, true) as tf.Tensor2D; // [B, B] cosines
  const scale = tf.exp(model.logitScale) as tf.Scalar;
  const clip = clipLoss(tf.mul(scale, sim) as tf.Tensor2D, mask?.notNegative); // logitsPerImage = exp(logit_scale) * img @ txt^T
  if (!model.hasMatchHead) return { loss: clip, clipLoss: clip, matchLoss: null, scale, sim, matchLogits: null };
  const sels = Array.isArray(randomSel) ? randomSel : [randomSel as tf.Tensor2D];
  const K = sels.length;
  const negTxt = sels.map((sel, k) => tf.matMul(k === 0 ? negativeSelection(sim, sel, Math.ceil(B / 2), mask?.notNegative) : sel, txt)); // K x [B, D]
  const imgs = tf.concat(Array.from({ length: K + 1 }, () => img)) as tf.Tensor2D; // [(1 + K) B, D]
  const matchLogits = model.matchLogits(imgs, tf.concat([txt, ...negTxt]) as tf.Tensor2D); // [(1 + K) B]
  const labels = tf.tensor1d(Float32Array.from({ length: (K + 1) * B }, (_, i) => (i < B ? 1 : 0)));
  const weights = mask ? (tf.concat([tf.onesLike(mask.validRows), ...sels.map(() => mask.validRows)]) as tf.Tensor1D) : undefined;
  const match = matchLoss(matchLogits, labels, weights);
  const loss = tf.add(clip, tf.mul(match, model.config.matchLossWeight)) as tf.Scalar;
  return { loss, clipLoss: clip, matchLoss: match, scale, sim, matchLogits };
}

function uploadBatch(model: ClipModel, batch: TrainBatch, random: () => number) {
  const { imageSize: S, maxTokens: T, augment, matchNegatives } = model.config;
  const B = batch.size;
  const raw = tf.tensor4d(batch.images, [B, S, S, 3]);
  const images = augment ? augmentImages(raw, random, batch.noFlip) : raw;
  const tokens = tf.tensor2d(batch.tokens, [B, T]);
  const notNegative = notNegativeMask(batch, T);
  const randomSel = Array.from({ length: matchNegatives }, () => tf.tensor2d(randomNegativeSelection(B, random, notNegative), [B, B]));
  const mask: NegativeMask = { notNegative: tf.tensor2d(notNegative, [B, B]), validRows: tf.tensor1d(validNegativeRows(B, notNegative)) };
  return { images, tokens, randomSel, mask };
}

/** Loss and gradients by our parameter names; extra outputs are kept only if `keep` is set. */
function lossAndGrads(model: ClipModel, batch: TrainBatch, step: number, keep: boolean) {
  const { images, tokens, randomSel, mask } = uploadBatch(model, batch, stepRandom(model.config.seed, step));
  const names = new Map<string, string>();
  for (const [name, v] of model.trainableVariables()) names.set(v.name, name);
  let outputs: ObjectiveOutputs | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = objective(model, images, tokens, randomSel, mask);
    if (keep) {
      for (const t of Object.values(out)) if (t) tf.keep(t); // survive the tape's tidy; trainStep disposes them
      outputs = out;
    }
    return out.loss;
  }, [...model.trainableVariables().values()]);
  const named = new Map<string, tf.Tensor>();
  for (const [tfName, g] of Object.entries(grads)) named.set(names.get(tfName)!, g);
  return { value, grads: named, outputs: outputs as ObjectiveOutputs | null };
}

/**
 * One optimisation step at learning rate `lr`; `step` is the 0-based index of this step (its
 * randomness). With `read`, returns a packed [4 + B*B (+ (1 + K) B)] tensor for readStep(), else null.
 */
export function trainStep(
  model: ClipModel,
  optimizer: AdamW,
  batch: TrainBatch,
  opts: { lr: number; step: number; read: boolean },
): tf.Tensor1D | null {
  const packed = tf.tidy((): tf.Tensor1D | void => {
    const { value, grads, outputs } = lossAndGrads(model, batch, opts.step, opts.read);
    optimizer.apply(grads, opts.lr);
    model.clampLogitScale();
    if (!outputs) return;
    const o: ObjectiveOutputs = outputs;
    const parts = [value, o.clipLoss, o.matchLoss ?? tf.scalar(NaN), o.scale, o.sim, ...(o.matchLogits ? [o.matchLogits] : [])];
    const out = tf.concat(parts.map((t) => tf.reshape(t, [-1]))) as tf.Tensor1D;
    tf.dispose(Object.values(o).filter((t): t is tf.Tensor => t !== null));
    return out;
  });
  return packed ?? null;
}

/** Gradients of one batch without an update: compiles the step's shaders before timing starts. */
export async function warmupStep(model: ClipModel, batch: TrainBatch): Promise<void> {
  const loss = tf.tidy(() => lossAndGrads(model, batch, 0, false).value);
  await loss.data();
  loss.dispose();
}

/** Reads (and disposes) what trainStep packed. */
export async function readStep(packed: tf.Tensor1D, batchSize: number): Promise<StepReadout> {
  const data = (await packed.data()) as Float32Array;
  packed.dispose();
  const B = batchSize;
  const hasMatch = data.length > 4 + B * B;
  return {
    loss: data[0],
    clipLoss: data[1],
    matchLoss: hasMatch ? data[2] : null,
    logitScale: data[3],
    sim: data.slice(4, 4 + B * B),
    matchLogits: hasMatch ? data.slice(4 + B * B) : null,
  };
}

/** StepMetrics from a readout; `timing` is measured by the caller. */
export function summarizeStep(
  r: StepReadout,
  batchSize: number,
  info: { step: number; epoch: number; lr: number; msPerStep: number },
): StepMetrics {
  const B = batchSize;
  const { i2t, t2i } = inBatchAccuracy(r.sim, B);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) i === j ? (pos += r.sim[i * B + j]) : (neg += r.sim[i * B + j]);
  const labels = Float32Array.from({ length: r.matchLogits?.length ?? 0 }, (_, i) => (i < B ? 1 : 0));
  return {
    step: info.step,
    epoch: info.epoch,
    loss: r.loss,
    clipLoss: r.clipLoss,
    matchLoss: r.matchLoss,
    accI2T: i2t,
    accT2I: t2i,
    matchAcc: r.matchLogits ? balancedAccuracy(r.matchLogits, labels, 0) : null,
    posSim: pos / B,
    negSim: neg / (B * B - B),
    logitScale: r.logitScale,
    lr: info.lr,
    pairsPerSec: (1000 * B) / info.msPerStep,
    msPerStep: info.msPerStep,
  };
}
