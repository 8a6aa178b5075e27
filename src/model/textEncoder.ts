// Text encoder: token ids (float32 whole numbers, PAD = 0) -> embedding as a one-hot matMul ->
// 'bow' (mean of embeddings), 'conv' (residual 1-D convs, reads word order) or 'transformer'
// -> mean over non-PAD positions -> projection to the joint space (not yet normalised).

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { conv1d3, dense, maskedMean, oneHotFloat, tokenMask } from './layers';
import { constant, denseSpecs, glorot, type ParamSpec, type Params } from './params';
import { transformerForward, transformerSpecs } from './textTransformer';

type TextShape = Pick<TrainConfig, 'textEncoder' | 'maxTokens' | 'textWidth' | 'textLayers' | 'textHeads' | 'embedDim'>;

export function textEncoderSpecs(config: TextShape, vocabSize: number): ParamSpec[] {
  const C = config.textWidth;
  const specs: ParamSpec[] = [glorot('text.embedding', [vocabSize, C], vocabSize, C)];
  if (config.textEncoder === 'conv') {
    for (let i = 0; i < config.textLayers; i++) {
      specs.push(glorot(`text.conv${i}.kernel`, [3, C, C], 3 * C, 3 * C), constant(`text.conv${i}.bias`, [C], 0));
    }
  } else if (config.textEncoder === 'transformer') {
    specs.push(...transformerSpecs(config));
  }
  specs.push(...denseSpecs('proj.text', C, config.embedDim));
  return specs;
}

/** tokens [B, T] float ids -> [B, D] projected, not normalised */
export function textEncoderForward(params: Params, config: TextShape, tokens: tf.Tensor2D): tf.Tensor2D {
  const p = (name: string) => params.get(name)!;
  const [B, T] = tokens.shape;
  const embedding = p('text.embedding'); // [V, C]
  const [V, C] = embedding.shape;
  const mask = tokenMask(tokens); // [B, T]
  const oneHot = oneHotFloat(tf.reshape(tokens, [B * T]), V); // [B*T, V]
  let pooled: tf.Tensor2D; // [B, C]
  if (config.textEncoder === 'bow') {
    // Mean of embeddings = (mean of one-hots) @ E: one [B, V] x [V, C] matMul instead of [B*T, V] x [V, C].
    const counts = maskedMean(tf.reshape(oneHot, [B, T, V]), mask); // [B, V]
    pooled = tf.matMul(counts, embedding as tf.Tensor2D);
  } else {
    const m3 = tf.expandDims(mask, 2); // [B, T, 1]
    let h = tf.mul(tf.reshape(tf.matMul(oneHot, embedding as tf.Tensor2D), [B, T, C]), m3) as tf.Tensor3D; // [B, T, C], PAD rows 0
    if (config.textEncoder === 'conv') {
      for (let i = 0; i < config.textLayers; i++) {
        // PAD positions stay 0, so a caption reads the same whatever padding follows it.
        h = tf.add(h, tf.mul(tf.relu(conv1d3(h, p(`text.conv${i}.kernel`), p(`text.conv${i}.bias`))), m3));
      }
    } else {
      h = transformerForward(params, config, h, mask);
    }
    pooled = maskedMean(h, mask);
  }
  return dense(pooled, p('proj.text.kernel'), p('proj.text.bias')); // [B, D]
}
