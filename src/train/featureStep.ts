// One training step of the feature CLIP model (frozen backbone, cached features): CLIP loss
// (+ weighted match loss on hard/random negatives when the model has a classifier), gradients,
// the AdamW update and the logit_scale clamp in one tidy. Mirrors step.ts with features in place
// of pixels (same negatives rule: a caption with the text of one of an image's own is never its
// negative; same packed readout for readStep); dropout masks and negatives derive from (seed, step).

import * as tf from '@tensorflow/tfjs';
import { bowCounts } from '../model/bagOfWords';
import { dropoutMasks } from '../model/featureHead';
import type { FeatureClipModel } from '../model/featureClip';
import { clipLoss, matchLoss } from '../model/losses';
import { negativeSelection, randomNegativeSelection, validNegativeRows } from '../model/negatives';
import type { AdamW } from './optimizer';
import { notNegativeMask, stepRandom } from './step';

/** One batch as uploaded: B feature rows and the B captions that match them, in order. */
export interface FeatureBatch {
  size: number; // B
  features: Float32Array; // [B, F] backbone features (plain or flipped view)
  tokens: Float32Array; // [B, T] token ids as float32
  sameText?: Float32Array; // [B, B] as TrainBatch.sameText: caption j reads like one of image i's
}

/** The captions as the text tower reads them: token ids [B, T], or for 'bow' the bowCounts() [B, V]. */
export type TextInput = { tokens: tf.Tensor2D } | { counts: tf.Tensor2D };

interface FeatureOutputs {
  loss: tf.Scalar;
  clipLoss: tf.Scalar;
  matchLoss: tf.Scalar | null;
  scale: tf.Scalar;
  sim: tf.Tensor2D; // [B, B]
  matchLogits: tf.Tensor1D | null; // [2B]: B positives, then B negatives
}

/** features [B, F], captions -> losses and what the metrics need, with dropout from `random` */
export function featureObjective(
  model: FeatureClipModel,
  features: tf.Tensor2D,
  text: TextInput,
  random: () => number,
  notNegative?: Float32Array, // [B * B] from notNegativeMask
): FeatureOutputs {
  const B = features.shape[0];
  const img = model.encodeImage(features, dropoutMasks(model.head, B, random)); // [B, D]
  const txt = 'counts' in text ? model.encodeTextCounts(text.counts) : model.encodeText(text.tokens); // [B, D]
  const sim = tf.matMul(img, txt, false, true) as tf.Tensor2D; // [B, B] cosines
  const scale = tf.exp(model.logitScale) as tf.Scalar;
  const mask = notNegative ? tf.tensor2d(notNegative, [B, B]) : undefined;
  const clip = clipLoss(tf.mul(scale, sim) as tf.Tensor2D, mask);
  if (!model.hasMatchHead) return { loss: clip, clipLoss: clip, matchLoss: null, scale, sim, matchLogits: null };
  const randomSel = tf.tensor2d(randomNegativeSelection(B, random, notNegative), [B, B]);
  const negTxt = tf.matMul(negativeSelection(sim, randomSel, Math.ceil(B / 2), mask), txt) as tf.Tensor2D; // [B, D]
  const matchLogits = model.matchLogits(tf.concat([img, img]) as tf.Tensor2D, tf.concat([txt, negTxt]) as tf.Tensor2D); // [2B]
  const labels = tf.tensor1d(Float32Array.from({ length: 2 * B }, (_, i) => (i < B ? 1 : 0)));
  const valid = notNegative ? tf.tensor1d(validNegativeRows(B, notNegative)) : null; // an image with no negative in the batch
  const weights = valid ? (tf.concat([tf.onesLike(valid), valid]) as tf.Tensor1D) : undefined;
  const match = matchLoss(matchLogits, labels, weights);
  return {
    loss: tf.add(clip, tf.mul(match, model.config.matchLossWeight)) as tf.Scalar,
    clipLoss: clip,
    matchLoss: match,
    scale,
    sim,
    matchLogits,
  };
}

/**
 * One optimisation step at learning rate `lr`; `step` is its 0-based index (its randomness).
 * With `read`, returns trainStep's packed readout [loss, clipLoss, matchLoss, scale, sim (B*B),
 * match logits (2B)] for readStep() (element 0 is the loss), else null.
 */
export function featureTrainStep(
  model: FeatureClipModel,
  optimizer: AdamW,
  batch: FeatureBatch,
  opts: { lr: number; step: number; read: boolean },
): tf.Tensor1D | null {
  const { featureSize: F } = model.head;
  const T = model.config.maxTokens;
  const B = batch.size;
  const notNegative = notNegativeMask({ size: B, tokens: batch.tokens, sameText: batch.sameText }, T);
  const packed = tf.tidy((): tf.Tensor1D | void => {
    const features = tf.tensor2d(batch.features, [B, F]);
    // 'bow' pools on the JS side: the device one-hot [B*T, V] dominated the step on wasm.
    const text: TextInput =
      model.config.textEncoder === 'bow'
        ? { counts: tf.tensor2d(bowCounts(batch.tokens, B, T, model.vocabSize), [B, model.vocabSize]) }
        : { tokens: tf.tensor2d(batch.tokens, [B, T]) };
    const random = stepRandom(model.config.seed, opts.step);
    const names = new Map<string, string>();
    for (const [name, v] of model.trainableVariables()) names.set(v.name, name);
    let kept: FeatureOutputs | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const out = featureObjective(model, features, text, random, notNegative);
      if (opts.read) {
        for (const t of Object.values(out)) if (t) tf.keep(t); // survive the tape's tidy; disposed below
        kept = out;
      }
      return out.loss;
    }, [...model.trainableVariables().values()]);
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(names.get(tfName)!, g);
    optimizer.apply(named, opts.lr);
    model.clampLogitScale();
    if (!kept) return;
    const o: FeatureOutputs = kept;
    const parts = [value, o.clipLoss, o.matchLoss ?? tf.scalar(NaN), o.scale, o.sim, ...(o.matchLogits ? [o.matchLogits] : [])];
    const out = tf.concat(parts.map((t) => tf.reshape(t, [-1]))) as tf.Tensor1D;
    tf.dispose(Object.values(o).filter((t): t is tf.Tensor => t !== null));
    return out;
  });
  return packed ?? null;
}
