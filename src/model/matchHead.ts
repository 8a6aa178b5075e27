// Match classifier: P(caption describes image) from a pair of normalised embeddings, an MLP over
// [u, v, u*v, |u - v|] (the InferSent / SBERT pair features). Variants (config.matchHead):
// 'mlp' the MLP alone; 'cosine-feature' the scaled cosine s·cos as one more input; 'residual'
// logit = s·cos + MLP(...), so an untrained head already ranks pairs as CLIP's cosine does.
// With `detach` the head reads the embeddings without sending gradient into the encoders.

import * as tf from '@tensorflow/tfjs';
import type { MatchHeadKind } from '../config';
import { dense } from './layers';
import { denseSpecs, type ParamSpec, type Params } from './params';

export interface MatchHeadOptions {
  kind: MatchHeadKind;
  detach: boolean; // stop-gradient on u and v
}

/** What models made before the variants existed compute. */
export const LEGACY_MATCH_HEAD: Readonly<MatchHeadOptions> = Object.freeze({ kind: 'mlp', detach: false });

/** The head's options from a config (fields absent in older configs read as the legacy head). */
export function matchHeadOptions(config: { matchHead?: MatchHeadKind; matchDetach?: boolean }): MatchHeadOptions {
  return { kind: config.matchHead ?? 'mlp', detach: config.matchDetach ?? false };
}

export function matchHeadSpecs(embedDim: number, hidden: number, kind: MatchHeadKind = 'mlp'): ParamSpec[] {
  if (hidden === 0) return [];
  const features = 4 * embedDim + (kind === 'cosine-feature' ? 1 : 0);
  return [...denseSpecs('match.fc0', features, hidden), ...denseSpecs('match.fc1', hidden, 1)];
}

// Identity forward, zero gradient: ops inside a customGrad are not taped.
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.mul(x, 1),
  gradFunc: () => [tf.zerosLike(x)],
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** u [N, D], v [N, D] -> match logits [N]; s = exp(logit_scale) enters without gradient. */
export function matchHeadForward(params: Params, u: tf.Tensor2D, v: tf.Tensor2D, opts: MatchHeadOptions = LEGACY_MATCH_HEAD): tf.Tensor1D {
  const p = (name: string) => params.get(name)!;
  if (opts.detach) {
    u = stopGradient(u) as tf.Tensor2D;
    v = stopGradient(v) as tf.Tensor2D;
  }
  const uv = tf.mul(u, v); // [N, D]
  const features = [u, v, uv, tf.abs(tf.sub(u, v))];
  let scaledCos: tf.Tensor2D | null = null; // [N, 1]
  if (opts.kind !== 'mlp') {
    scaledCos = tf.mul(stopGradient(tf.exp(p('logit_scale'))), tf.sum(uv, 1, true)) as tf.Tensor2D;
    if (opts.kind === 'cosine-feature') features.push(scaledCos);
  }
  const pair = tf.concat(features, 1) as tf.Tensor2D; // [N, 4D (+1)]
  const h = tf.relu(dense(pair, p('match.fc0.kernel'), p('match.fc0.bias'))); // [N, H]
  let logit = dense(h, p('match.fc1.kernel'), p('match.fc1.bias')); // [N, 1]
  if (opts.kind === 'residual') logit = tf.add(logit, scaledCos!);
  return tf.reshape(logit, [-1]); // [N]
}
