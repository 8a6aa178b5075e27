// The CLIP dual encoder over a frozen backbone: the image tower is the feature head
// (featureHead.ts) on cached backbone features [B, F]; the text tower, logit_scale and match
// classifier are the lab's own (clip.ts's text tower, matchHead.ts) under the same weight names as
// ClipModel, so losses, metrics and the optimizer apply unchanged; what both models do alike
// (logit scale, match classifier, weights in and out) is clip.ts's ParamModel.

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { declareTextWeights, LOGIT_SCALE_INIT, ParamModel, textTower, type TextWeights } from './clip';
import { bowTextForward } from './bagOfWords';
import { featureHeadForward, featureHeadSpecs, type DropoutMasks, type FeatureHeadConfig } from './featureHead';
import { l2Normalize } from './layers';
import { matchHeadOptions, matchHeadSpecs } from './matchHead';
import { constant, createVariable, ModelError, type ParamSpec } from './params';

/** What the feature CLIP model reads from a TrainConfig: text tower, joint space, match head, seed. */
export type FeatureClipTextConfig = Pick<
  TrainConfig,
  'textEncoder' | 'maxTokens' | 'textWidth' | 'textLayers' | 'textHeads' | 'embedDim' | 'matchHidden' | 'matchLossWeight' | 'seed'
> &
  Partial<Pick<TrainConfig, 'matchHead' | 'matchDetach'>>;

/** Declares every parameter in stored order through `param`; returns the text tower's weights. */
function declare<W>(
  config: FeatureClipTextConfig,
  head: FeatureHeadConfig,
  vocabSize: number,
  param: (spec: ParamSpec) => W,
): TextWeights<W> {
  featureHeadSpecs(head).forEach(param);
  const text = declareTextWeights(config, vocabSize, param);
  param(constant('logit_scale', [], LOGIT_SCALE_INIT));
  matchHeadSpecs(config.embedDim, config.matchHidden, matchHeadOptions(config).kind).forEach(param);
  return text;
}

/** Every parameter, in a fixed order: feature head, text tower, logit_scale, match classifier. */
export function featureClipParamSpecs(config: FeatureClipTextConfig, head: FeatureHeadConfig, vocabSize: number): ParamSpec[] {
  if (head.embedDim !== config.embedDim) {
    throw new ModelError('bad-input', `feature head: expected embedDim ${config.embedDim} (the config's), found ${head.embedDim}`);
  }
  const specs: ParamSpec[] = [];
  declare(config, head, vocabSize, (spec) => specs.push(spec));
  return specs;
}

export class FeatureClipModel extends ParamModel<FeatureClipTextConfig> {
  private constructor(
    config: FeatureClipTextConfig,
    readonly head: FeatureHeadConfig,
    readonly vocabSize: number,
    params: Map<string, tf.Variable>,
    private readonly text: TextWeights<tf.Variable>,
  ) {
    super(config, params);
  }

  /** A freshly initialised model (seeded by config.seed). */
  static create(config: FeatureClipTextConfig, head: FeatureHeadConfig, vocabSize: number): FeatureClipModel {
    if (head.embedDim !== config.embedDim) {
      throw new ModelError('bad-input', `feature head: expected embedDim ${config.embedDim} (the config's), found ${head.embedDim}`);
    }
    const params = new Map<string, tf.Variable>();
    const text = declare(config, head, vocabSize, (spec) => {
      const v = createVariable(spec, config.seed);
      params.set(spec.name, v);
      return v;
    });
    return new FeatureClipModel(config, head, vocabSize, params, text);
  }

  /** features [B, F] backbone features -> [B, D] unit rows; `masks` only while training */
  encodeImage(features: tf.Tensor2D, masks: DropoutMasks | null = null): tf.Tensor2D {
    return tf.tidy(() => l2Normalize(featureHeadForward(this.params, this.head, features, masks)));
  }

  /** tokens [B, T] float32 token ids (PAD = 0) -> [B, D] unit rows */
  encodeText(tokens: tf.Tensor2D): tf.Tensor2D {
    const T = this.config.maxTokens;
    if (tokens.rank !== 2 || tokens.shape[1] !== T || tokens.dtype !== 'float32') {
      throw new ModelError(
        'bad-input',
        `encodeText: expected float32 tokens [B, ${T}], found ${tokens.dtype} ${JSON.stringify(tokens.shape)}`,
      );
    }
    return tf.tidy(() => l2Normalize(textTower(this.text, tokens, this.config.textHeads)));
  }

  /** 'bow' only: counts [B, V] from bowCounts() -> [B, D] unit rows, as encodeText on the same captions */
  encodeTextCounts(counts: tf.Tensor2D): tf.Tensor2D {
    if (this.config.textEncoder !== 'bow' || counts.rank !== 2 || counts.shape[1] !== this.vocabSize) {
      throw new ModelError(
        'bad-input',
        `encodeTextCounts: expected a 'bow' model and counts [B, ${this.vocabSize}], found '${this.config.textEncoder}' and ${JSON.stringify(counts.shape)}`,
      );
    }
    return tf.tidy(() => l2Normalize(bowTextForward(this.params, counts)));
  }
}
