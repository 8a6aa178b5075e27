// The CLIP dual encoder: encodeImage / encodeText into one L2-normalised space, a learnable
// logit_scale (log space, init ln(1/0.07), clamped at ln(100)), and an optional match classifier.
// Weights are explicit tf.Variables under stable readable names, identical on every backend.

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { imageEncoderForward, imageEncoderSpecs } from './imageEncoder';
import { l2Normalize, type ConvImpl } from './layers';
import { matchHeadForward, matchHeadOptions, matchHeadSpecs } from './matchHead';
import {
  constant, createParams, ModelError, readParams, writeParams,
  type ParamSpec, type Params, type SerializedTensor, type WeightSpec,
} from './params';
import { textEncoderForward, textEncoderSpecs } from './textEncoder';

export const LOGIT_SCALE_INIT = Math.log(1 / 0.07);
export const LOGIT_SCALE_MAX = Math.log(100);

export interface ClipModelOptions {
  convImpl?: ConvImpl; // default 'conv2d'; 'im2col' where Conv2DBackpropFilter is missing (wasm)
}

/** Every parameter of a model for `config` and a vocabulary of `vocabSize` words, in a fixed order. */
export function clipParamSpecs(config: TrainConfig, vocabSize: number): ParamSpec[] {
  return [
    ...imageEncoderSpecs(config),
    ...textEncoderSpecs(config, vocabSize),
    constant('logit_scale', [], LOGIT_SCALE_INIT),
    ...matchHeadSpecs(config.embedDim, config.matchHidden, config.matchHead),
  ];
}

export class ClipModel {
  /** Free to change between calls: both implementations share weights and results. */
  convImpl: ConvImpl;

  private constructor(
    readonly config: TrainConfig,
    readonly vocabSize: number,
    private readonly params: Map<string, tf.Variable>,
    convImpl: ConvImpl,
  ) {
    this.convImpl = convImpl;
  }

  /** Names, shapes and dtypes of exactly the tensors getWeights() returns, without building the model. */
  static weightSpecs(config: TrainConfig, vocabSize: number): WeightSpec[] {
    return clipParamSpecs(config, vocabSize).map(({ name, shape }) => ({ name, shape: [...shape], dtype: 'float32' }));
  }

  /** A freshly initialised model (seeded by config.seed). */
  static create(config: TrainConfig, vocabSize: number, opts: ClipModelOptions = {}): ClipModel {
    return new ClipModel(config, vocabSize, createParams(clipParamSpecs(config, vocabSize), config.seed), opts.convImpl ?? 'conv2d');
  }

  get logitScale(): tf.Variable {
    return this.params.get('logit_scale')!;
  }

  get hasMatchHead(): boolean {
    return this.config.matchHidden > 0;
  }

  /** images [B, S, S, 3] float in 0..1 -> [B, D] unit rows */
  encodeImage(images: tf.Tensor4D): tf.Tensor2D {
    const S = this.config.imageSize;
    if (images.rank !== 4 || images.shape[1] !== S || images.shape[2] !== S || images.shape[3] !== 3) {
      throw new ModelError('bad-input', `encodeImage: expected images [B, ${S}, ${S}, 3], found ${JSON.stringify(images.shape)}`);
    }
    return tf.tidy(() => l2Normalize(imageEncoderForward(this.params, this.config, images, this.convImpl)));
  }

  /** tokens [B, T] float32 token ids (PAD = 0) -> [B, D] unit rows */
  encodeText(tokens: tf.Tensor2D): tf.Tensor2D {
    const T = this.config.maxTokens;
    if (tokens.rank !== 2 || tokens.shape[1] !== T || tokens.dtype !== 'float32') {
      throw new ModelError('bad-input',
        `encodeText: expected float32 tokens [B, ${T}], found ${tokens.dtype} ${JSON.stringify(tokens.shape)}`);
    }
    return tf.tidy(() => l2Normalize(textEncoderForward(this.params, this.config, tokens)));
  }

  /** img [B, D], txt [N, D] unit rows -> logitsPerImage [B, N] = exp(logit_scale) * img @ txt^T, logitsPerText its transpose */
  logits(img: tf.Tensor2D, txt: tf.Tensor2D): { logitsPerImage: tf.Tensor2D; logitsPerText: tf.Tensor2D } {
    return tf.tidy(() => {
      const logitsPerImage = tf.mul(tf.exp(this.logitScale), tf.matMul(img, txt, false, true)) as tf.Tensor2D;
      return { logitsPerImage, logitsPerText: tf.transpose(logitsPerImage) };
    });
  }

  /** u [N, D] image embeddings, v [N, D] text embeddings -> match logits [N] */
  matchLogits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    if (!this.hasMatchHead) throw new ModelError('bad-input', 'matchLogits: this model has no match classifier (config.matchHidden = 0)');
    return tf.tidy(() => matchHeadForward(this.params, u, v, matchHeadOptions(this.config)));
  }

  /** P(match) [N] */
  matchProbability(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.sigmoid(this.matchLogits(u, v)));
  }

  /** CLIP's clamp after every optimiser step: logit_scale <= ln(100). */
  clampLogitScale(): void {
    tf.tidy(() => this.logitScale.assign(tf.minimum(this.logitScale, LOGIT_SCALE_MAX)));
  }

  /** The variables under their readable names, in weightSpecs order. */
  trainableVariables(): Params {
    return this.params;
  }

  getWeights(): Promise<SerializedTensor[]> {
    return readParams(this.params);
  }

  /** Replaces every weight; throws ModelError (and changes nothing) unless names and shapes all match. */
  setWeights(weights: readonly SerializedTensor[]): void {
    writeParams(this.params, weights, 'weights');
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
