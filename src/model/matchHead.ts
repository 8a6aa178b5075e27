// Match classifier: P(caption describes image) from a pair of normalised embeddings,
// MLP over [u, v, u*v, |u - v|] (the InferSent / SBERT pair features).

import * as tf from '@tensorflow/tfjs';
import { dense } from './layers';
import { denseSpecs, type ParamSpec, type Params } from './params';

export function matchHeadSpecs(embedDim: number, hidden: number): ParamSpec[] {
  if (hidden === 0) return [];
  return [...denseSpecs('match.fc0', 4 * embedDim, hidden), ...denseSpecs('match.fc1', hidden, 1)];
}

/** u [N, D], v [N, D] -> match logits [N] */
export function matchHeadForward(params: Params, u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  const p = (name: string) => params.get(name)!;
  const pair = tf.concat([u, v, tf.mul(u, v), tf.abs(tf.sub(u, v))], 1) as tf.Tensor2D; // [N, 4D]
  const h = tf.relu(dense(pair, p('match.fc0.kernel'), p('match.fc0.bias'))); // [N, H]
  return tf.reshape(dense(h, p('match.fc1.kernel'), p('match.fc1.bias')), [-1]); // [N]
}
