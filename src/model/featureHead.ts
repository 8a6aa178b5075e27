// The trainable image tower on cached backbone features: features [N, F] -> (dropout) ->
// [dense + ReLU -> dropout] -> projection into the joint space [N, D], not yet normalised.
// A linear projection when hidden = 0. Dropout masks are built on the JS side from a seeded
// random source, so a step is reproducible and the same on every backend.

import * as tf from '@tensorflow/tfjs';
import { dense } from './layers';
import { denseSpecs, ModelError, type ParamSpec, type Params } from './params';

export interface FeatureHeadConfig {
  featureSize: number; // F: the backbone's pooled feature width
  hidden: number; // 0 = linear projection; else one dense + ReLU layer of this width first
  dropout: number; // rate in [0, 1) on the features (and the hidden layer), training only
  embedDim: number; // D
}

/** The head's parameters: 'image.head.fc.*' (when hidden > 0) and 'proj.image.*', as the CNN tower names its projection. */
export function featureHeadSpecs(cfg: FeatureHeadConfig): ParamSpec[] {
  if (!Number.isInteger(cfg.featureSize) || cfg.featureSize < 1) {
    throw new ModelError('bad-input', `feature head: expected featureSize a whole number >= 1, found ${cfg.featureSize}`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) {
    throw new ModelError('bad-input', `feature head: expected dropout in [0, 1), found ${cfg.dropout}`);
  }
  const specs: ParamSpec[] = [];
  if (cfg.hidden > 0) specs.push(...denseSpecs('image.head.fc', cfg.featureSize, cfg.hidden));
  specs.push(...denseSpecs('proj.image', cfg.hidden > 0 ? cfg.hidden : cfg.featureSize, cfg.embedDim));
  return specs;
}

/** Inverted-dropout masks for one training batch of `rows`: 0 or 1/(1-rate) per unit. */
export interface DropoutMasks {
  input: tf.Tensor2D; // [B, F]
  hidden: tf.Tensor2D | null; // [B, H]
}

/** Seeded inverted-dropout mask [rows, cols] as plain data: each entry 0 (prob. rate) or 1/(1 - rate). */
export function dropoutMaskData(rows: number, cols: number, rate: number, random: () => number): Float32Array {
  const keep = 1 / (1 - rate);
  const mask = new Float32Array(rows * cols);
  for (let i = 0; i < mask.length; i++) mask[i] = random() < rate ? 0 : keep;
  return mask;
}

/** Masks for a batch of B (null when the head has no dropout). */
export function dropoutMasks(cfg: FeatureHeadConfig, B: number, random: () => number): DropoutMasks | null {
  if (cfg.dropout === 0) return null;
  return {
    input: tf.tensor2d(dropoutMaskData(B, cfg.featureSize, cfg.dropout, random), [B, cfg.featureSize]),
    hidden: cfg.hidden > 0 ? tf.tensor2d(dropoutMaskData(B, cfg.hidden, cfg.dropout, random), [B, cfg.hidden]) : null,
  };
}

/** features [B, F] -> [B, D] projected, not normalised. With `masks` (training) dropout applies. */
export function featureHeadForward(
  params: Params,
  cfg: FeatureHeadConfig,
  features: tf.Tensor2D,
  masks: DropoutMasks | null = null,
): tf.Tensor2D {
  if (features.rank !== 2 || features.shape[1] !== cfg.featureSize) {
    throw new ModelError('bad-input', `feature head: expected features [B, ${cfg.featureSize}], found ${JSON.stringify(features.shape)}`);
  }
  const p = (name: string) => params.get(name)!;
  let h: tf.Tensor2D = masks ? tf.mul(features, masks.input) : features; // [B, F]
  if (cfg.hidden > 0) {
    h = tf.relu(dense(h, p('image.head.fc.kernel'), p('image.head.fc.bias'))); // [B, H]
    if (masks?.hidden) h = tf.mul(h, masks.hidden);
  }
  return dense(h, p('proj.image.kernel'), p('proj.image.bias')); // [B, D]
}
