// The 'bow' text tower's pooling done on the JS side: each caption's mean of one-hot rows over its
// non-PAD tokens, [B, V], built from the token ids directly. On wasm, building the one-hot
// [B*T, V] on the device (textEncoder.ts) cost more than the rest of a feature-head step; the
// result is the same: counts @ embedding = the masked mean of the caption's word embeddings.

import * as tf from '@tensorflow/tfjs';
import { dense } from './layers';
import type { Params } from './params';

/** tokens [B, T] whole-number ids (PAD = 0) -> counts [B, V]: row b = (1/n_b) * sum of one-hots of its n_b non-PAD ids (0 for an empty caption). */
export function bowCounts(tokens: ArrayLike<number>, B: number, T: number, V: number): Float32Array {
  const counts = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) if (tokens[b * T + t] !== 0) n++;
    for (let t = 0; t < T; t++) {
      const id = tokens[b * T + t];
      if (id !== 0) counts[b * V + id] += 1 / n;
    }
  }
  return counts;
}

/** counts [B, V] -> [B, D] projected, not normalised: textEncoderForward's 'bow' branch after its pooling. */
export function bowTextForward(params: Params, counts: tf.Tensor2D): tf.Tensor2D {
  const p = (name: string) => params.get(name)!;
  const pooled = tf.matMul(counts, p('text.embedding') as tf.Tensor2D); // [B, C]
  return dense(pooled as tf.Tensor2D, p('proj.text.kernel'), p('proj.text.bias')); // [B, D]
}
