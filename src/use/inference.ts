// Embedding and scoring with a trained model, in batches, every tensor disposed: image pixels
// or texts in, plain Float32Array embeddings (unit rows) and scores out.

import * as tf from '@tensorflow/tfjs';
import type { Tokenizer } from '../data/tokenizer';
import { sigmoid } from '../model/calibration';
import type { ClipModel } from '../model/clip';
import { imageBatch, resizeImages } from '../train/pixels';

/** Embeddings [n, D] of the first n images of pixels [n, size, size, 3] uint8 (resized to the model's side). */
export async function embedImages(model: ClipModel, pixels: Uint8Array, size: number, n: number, batchSize = 64): Promise<Float32Array> {
  const S = model.config.imageSize;
  const source = size === S ? pixels : resizeImages(pixels.subarray(0, n * size * size * 3), n, size, S);
  const D = model.config.embedDim;
  const out = new Float32Array(n * D);
  for (let start = 0; start < n; start += batchSize) {
    const ids = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const emb = tf.tidy(() => model.encodeImage(tf.tensor4d(imageBatch(source, S, ids), [ids.length, S, S, 3])));
    out.set((await emb.data()) as Float32Array, start * D);
    emb.dispose();
  }
  return out;
}

/** Embeddings [n, D] of token rows [n, T] (float32 ids). */
export async function embedTokens(
  model: Pick<ClipModel, 'encodeText'> & { config: Pick<ClipModel['config'], 'maxTokens' | 'embedDim'> },
  tokens: Float32Array,
  n: number,
  batchSize = 256,
): Promise<Float32Array> {
  const T = model.config.maxTokens;
  const D = model.config.embedDim;
  const out = new Float32Array(n * D);
  for (let start = 0; start < n; start += batchSize) {
    const rows = Math.min(batchSize, n - start);
    const emb = tf.tidy(() => model.encodeText(tf.tensor2d(tokens.subarray(start * T, (start + rows) * T), [rows, T])));
    out.set((await emb.data()) as Float32Array, start * D);
    emb.dispose();
  }
  return out;
}

/** What embedding texts and scoring read of a model: a ClipModel or the feature CLIP model. */
type TextModel = Pick<ClipModel, 'encodeText' | 'hasMatchHead' | 'matchLogits'> & {
  config: Pick<ClipModel['config'], 'maxTokens' | 'embedDim'>;
};

/** Embeddings [texts.length, D]. */
export function embedTexts(model: TextModel, tokenizer: Tokenizer, texts: readonly string[], batchSize = 256): Promise<Float32Array> {
  return embedTokens(model, tokenizer.encodeBatch(texts, model.config.maxTokens), texts.length, batchSize);
}

/**
 * Scores of rows of u [N, D] against rows of v [N, D]: cosine, the classifier's raw logit and
 * sigmoid(logit) (uncalibrated; the caller applies the calibration); null without a classifier.
 */
export async function scoreEmbeddings(
  model: TextModel,
  u: Float32Array,
  v: Float32Array,
): Promise<{ probability: Float32Array | null; logit: Float32Array | null; cosine: Float32Array }> {
  const D = model.config.embedDim;
  const N = u.length / D;
  const [cos, logits] = tf.tidy(() => {
    const ut = tf.tensor2d(u, [N, D]);
    const vt = tf.tensor2d(v, [N, D]);
    return [tf.sum(tf.mul(ut, vt), 1), model.hasMatchHead ? model.matchLogits(ut, vt) : null] as const;
  });
  const cosine = (await cos.data()) as Float32Array;
  const logit = logits ? ((await logits.data()) as Float32Array) : null;
  tf.dispose([cos, ...(logits ? [logits] : [])]);
  const probability = logit ? Float32Array.from(logit, sigmoid) : null;
  return { probability, logit, cosine };
}

/** How well one caption fits one image (pixels [size, size, 3] uint8). */
export async function scorePair(
  model: ClipModel,
  tokenizer: Tokenizer,
  pixels: Uint8Array,
  size: number,
  text: string,
): Promise<{ probability: number | null; cosine: number }> {
  const u = await embedImages(model, pixels, size, 1);
  const v = await embedTexts(model, tokenizer, [text]);
  const { probability, cosine } = await scoreEmbeddings(model, u, v);
  return { probability: probability ? probability[0] : null, cosine: cosine[0] };
}
