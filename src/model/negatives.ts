// Negative captions for the match classifier: for each image in a batch, a "hard" one (the
// most similar wrong caption, chosen without gradient) or a random wrong one. Selections are
// float matrices applied with a matMul, so no gather and no int32 tensor is needed.

import * as tf from '@tensorflow/tfjs';
import { eye } from './losses';

/**
 * Row i picks one caption j != i uniformly: [B * B] row-major one-hot rows. Seeded via `random`.
 * With `excluded` [B * B] (1 where caption j is not a negative for image i, e.g. the same text),
 * only j with excluded 0 are drawn; a row with none left stays all zeros (see validNegativeRows).
 */
export function randomNegativeSelection(batchSize: number, random: () => number, excluded?: ArrayLike<number>): Float32Array {
  const B = batchSize;
  const sel = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    if (!excluded) {
      sel[i * B + ((i + 1 + Math.floor(random() * (B - 1))) % B)] = 1;
      continue;
    }
    const allowed: number[] = [];
    for (let j = 0; j < B; j++) if (j !== i && excluded[i * B + j] === 0) allowed.push(j);
    const r = random(); // drawn even for a row without choices, so later rows see the same stream
    if (allowed.length > 0) sel[i * B + allowed[Math.floor(r * allowed.length)]] = 1;
  }
  return sel;
}

/** [B]: 1 where image i has at least one caption j != i that is not excluded (a negative exists), else 0. */
export function validNegativeRows(batchSize: number, excluded: ArrayLike<number>): Float32Array {
  const B = batchSize;
  return Float32Array.from({ length: B }, (_, i) => {
    for (let j = 0; j < B; j++) if (j !== i && excluded[i * B + j] === 0) return 1;
    return 0;
  });
}

/** One-hot (ties shared) of each row's largest entry not excluded.  sim, excluded [B, B] -> [B, B] */
function rowArgmax(sim: tf.Tensor, excluded: tf.Tensor): tf.Tensor2D {
  const masked = tf.sub(sim, tf.mul(excluded, 1e9));
  // masked - rowMax is 0 at the max and < 0 elsewhere; tf.step is 1 only for x > 0, hence the 1e-12.
  const hits = tf.step(tf.add(tf.sub(masked, tf.max(masked, 1, true)), 1e-12));
  return tf.div(hits, tf.sum(hits, 1, true));
}

// A stop-gradient: the ops inside a customGrad are not taped, so backprop neither differentiates
// the choice nor runs max/equal gradient kernels (bool tensors) for it.
const rowArgmaxNoGrad = tf.customGrad(((sim: tf.Tensor, excluded: tf.Tensor) => ({
  value: rowArgmax(sim, excluded),
  gradFunc: () => [tf.zerosLike(sim), tf.zerosLike(excluded)],
})) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Row i picks the caption j != i (and not of image i, per sameImageMask) with the highest
 * similarity; exact ties share the row. No gradient flows through the choice.
 * sim [B, B] -> [B, B]
 */
export function hardNegativeSelection(sim: tf.Tensor2D, sameImageMask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => rowArgmaxNoGrad(sim, sameImageMask ?? eye(sim.shape[0])) as tf.Tensor2D);
}

/**
 * The negative caption of each image: rows [0, hardCount) hard, the rest random.
 * sim [B, B], randomSel [B, B] -> selection [B, B] (negTxt = selection @ txt)
 */
export function negativeSelection(sim: tf.Tensor2D, randomSel: tf.Tensor2D, hardCount: number, sameImageMask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const B = sim.shape[0];
    const isHard = tf.tensor2d(
      Float32Array.from({ length: B }, (_, i) => (i < hardCount ? 1 : 0)),
      [B, 1],
    );
    const hard = hardNegativeSelection(sim, sameImageMask);
    return tf.add(tf.mul(isHard, hard), tf.mul(tf.sub(1, isHard), randomSel));
  });
}
