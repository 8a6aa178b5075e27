// Training losses as pure tensor functions: CLIP's symmetric InfoNCE over in-batch pairs, and
// binary cross-entropy on match-classifier logits in the numerically stable form.

import * as tf from '@tensorflow/tfjs';

/** Identity [n, n] built on the JS side (float32). */
export function eye(n: number): tf.Tensor2D {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return tf.tensor2d(data, [n, n]);
}

/**
 * Symmetric cross-entropy of logitsPerImage [B, B] against the diagonal (image i <-> caption i):
 * (CE over rows + CE over columns) / 2. If sameImageMask [B, B] is given (1 where caption j
 * belongs to image i), those off-diagonal entries are not negatives: they drop out of both softmaxes.
 */
export function clipLoss(logitsPerImage: tf.Tensor2D, sameImageMask?: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const B = logitsPerImage.shape[0];
    const diag = eye(B);
    let logits: tf.Tensor2D = logitsPerImage;
    if (sameImageMask) logits = tf.sub(logits, tf.mul(tf.relu(tf.sub(sameImageMask, diag)), 1e9));
    const nll = (l: tf.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(l), diag), 1))); // mean -log p(diag)
    return tf.div(tf.add(nll(logits), nll(tf.transpose(logits))), 2) as tf.Scalar;
  });
}

/**
 * Mean binary cross-entropy of logits [N] against labels [N] in {0, 1}: max(x, 0) - x*y + log(1 + exp(-|x|)).
 * With weights [N] (e.g. 0 for a pair that has no real negative), the weighted mean.
 */
export function matchLoss(logits: tf.Tensor1D, labels: tf.Tensor1D, weights?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const bce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    if (!weights) return tf.mean(bce) as tf.Scalar;
    return tf.div(tf.sum(tf.mul(bce, weights)), tf.maximum(tf.sum(weights), 1e-12)) as tf.Scalar;
  });
}
