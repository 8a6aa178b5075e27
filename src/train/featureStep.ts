// One training step of the feature CLIP model (frozen backbone, cached features): CLIP loss
// (+ weighted match loss on hard/random negatives when the model has a classifier), gradients,
// the AdamW update and the logit_scale clamp in one tidy. Mirrors step.ts with features in place
// of pixels; dropout masks and negatives derive from (seed, step) alone.

import * as tf from '@tensorflow/tfjs';
import { bowCounts } from '../model/bagOfWords';
import { dropoutMasks } from '../model/featureHead';
import type { FeatureClipModel } from '../model/featureClip';
import { clipLoss, matchLoss } from '../model/losses';
import { negativeSelection, randomNegativeSelection } from '../model/negatives';
import type { AdamW } from './optimizer';
import { stepRandom } from './step';

/** One batch as uploaded: B feature rows and the B captions that match them, in order. */
export interface FeatureBatch {
  size: number; // B
  features: Float32Array; // [B, F] backbone features (plain or flipped view)
  tokens: Float32Array; // [B, T] token ids as float32
}

/** The captions as the text tower reads them: token ids [B, T], or for 'bow' the bowCounts() [B, V]. */
export type TextInput = { tokens: tf.Tensor2D } | { counts: tf.Tensor2D };

/** features [B, F], captions -> loss (and the CLIP part) with dropout from `random` */
export function featureObjective(
  model: FeatureClipModel,
  features: tf.Tensor2D,
  text: TextInput,
  random: () => number,
): { loss: tf.Scalar; clipLoss: tf.Scalar } {
  const B = features.shape[0];
  const img = model.encodeImage(features, dropoutMasks(model.head, B, random)); // [B, D]
  const txt = 'counts' in text ? model.encodeTextCounts(text.counts) : model.encodeText(text.tokens); // [B, D]
  const sim = tf.matMul(img, txt, false, true) as tf.Tensor2D; // [B, B] cosines
  const clip = clipLoss(tf.mul(tf.exp(model.logitScale), sim) as tf.Tensor2D);
  if (!model.hasMatchHead) return { loss: clip, clipLoss: clip };
  const randomSel = tf.tensor2d(randomNegativeSelection(B, random), [B, B]);
  const negTxt = tf.matMul(negativeSelection(sim, randomSel, Math.ceil(B / 2)), txt) as tf.Tensor2D; // [B, D]
  const logits = model.matchLogits(tf.concat([img, img]) as tf.Tensor2D, tf.concat([txt, negTxt]) as tf.Tensor2D); // [2B]
  const labels = tf.tensor1d(Float32Array.from({ length: 2 * B }, (_, i) => (i < B ? 1 : 0)));
  return { loss: tf.add(clip, tf.mul(matchLoss(logits, labels), model.config.matchLossWeight)) as tf.Scalar, clipLoss: clip };
}

/**
 * One optimisation step at learning rate `lr`; `step` is its 0-based index (its randomness).
 * Returns the loss as a scalar tensor for the caller to read (and dispose), or null when not `read`.
 */
export function featureTrainStep(
  model: FeatureClipModel,
  optimizer: AdamW,
  batch: FeatureBatch,
  opts: { lr: number; step: number; read: boolean },
): tf.Scalar | null {
  const { featureSize: F } = model.head;
  const T = model.config.maxTokens;
  const B = batch.size;
  const loss = tf.tidy((): tf.Scalar | void => {
    const features = tf.tensor2d(batch.features, [B, F]);
    // 'bow' pools on the JS side: the device one-hot [B*T, V] dominated the step on wasm.
    const text: TextInput =
      model.config.textEncoder === 'bow'
        ? { counts: tf.tensor2d(bowCounts(batch.tokens, B, T, model.vocabSize), [B, model.vocabSize]) }
        : { tokens: tf.tensor2d(batch.tokens, [B, T]) };
    const random = stepRandom(model.config.seed, opts.step);
    const names = new Map<string, string>();
    for (const [name, v] of model.trainableVariables()) names.set(v.name, name);
    const { value, grads } = tf.variableGrads(
      () => featureObjective(model, features, text, random).loss,
      [...model.trainableVariables().values()],
    );
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, g] of Object.entries(grads)) named.set(names.get(tfName)!, g);
    optimizer.apply(named, opts.lr);
    model.clampLogitScale();
    if (opts.read) return value;
  });
  return loss ?? null;
}
