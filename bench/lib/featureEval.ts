// A feature CLIP model scored on a split of cached features by the lab's definitions
// (src/train/evaluate.ts): retrieval both ways with same-text captions relevant, and the match
// classifier on every positive plus each image's hardest and one random wrong caption (matchPairs),
// its AUC beside plain cosine's on the same pairs, ECE before and after cross-fitted Platt.

import * as tf from '@tensorflow/tfjs';
import type { FeatureClipModel } from '../../src/model/featureClip';
import { rocAuc } from '../../src/model/metrics';
import { matchEvalMetrics, matchPairs } from '../../src/train/evaluate';
import { gatherRows } from '../../src/train/pixels';
import type { QualityEval } from '../quality';
import { embedAll, embedTexts, retrieval, type FeatureSplit } from './featureTrain';

/** Image rows [N, D] as the normalised mean of two views' rows. */
function meanOfViews(a: Float32Array, b: Float32Array, D: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < a.length / D; r++) {
    let norm = 0;
    for (let d = 0; d < D; d++) norm += (out[r * D + d] = a[r * D + d] + b[r * D + d]) ** 2;
    const inv = 1 / Math.sqrt(norm + 1e-12);
    for (let d = 0; d < D; d++) out[r * D + d] *= inv;
  }
  return out;
}

/** Scores `model` on `split`; with `tta` and a flipped view, images are the mean of both views. */
export async function evaluateFeatureModel(
  model: FeatureClipModel,
  split: FeatureSplit,
  opts: { seed: number; tta?: boolean },
): Promise<QualityEval> {
  const F = split.featureSize;
  const D = model.config.embedDim;
  let img = await embedAll(split.plain, F, (x) => model.encodeImage(x));
  if (opts.tta && split.flip) img = meanOfViews(img, await embedAll(split.flip, F, (x) => model.encodeImage(x)), D);
  const txt = await embedTexts(model, split.tokens);
  const Ni = img.length / D;
  const Nt = txt.length / D;
  const { i2t, t2i, sim } = retrieval(img, txt, D, split.captionImage, split.captionGroups);
  if (!model.hasMatchHead) return { i2t, t2i, auc: null, match: null, images: Ni, captions: Nt };
  const pairs = matchPairs(sim, split.captionImage, split.captionGroups, Ni, opts.seed);
  const u = gatherRows(img, D, pairs.imageRows);
  const v = gatherRows(txt, D, pairs.captionRows);
  const logits = new Float32Array(pairs.labels.length);
  for (let s = 0; s < logits.length; s += 1024) {
    const n = Math.min(1024, logits.length - s);
    const out = tf.tidy(() =>
      model.matchLogits(tf.tensor2d(u.subarray(s * D, (s + n) * D), [n, D]), tf.tensor2d(v.subarray(s * D, (s + n) * D), [n, D])),
    );
    logits.set((await out.data()) as Float32Array, s);
    out.dispose();
  }
  const cosine = pairs.imageRows.map((i, n) => sim[i * Nt + pairs.captionRows[n]]);
  return { i2t, t2i, auc: rocAuc(logits, pairs.labels), match: matchEvalMetrics(logits, cosine, pairs), images: Ni, captions: Nt };
}
