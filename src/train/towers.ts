// The two image towers a run can train, behind one shape the training loop drives: the CNN from
// scratch on pixels (ClipModel, trainStep), or a frozen backbone's cached features through a
// trained head (FeatureClipModel, featureTrainStep). Each builds its batches from caption ids,
// steps, warms up, and embeds val images for evaluation. The text tower, losses, metrics,
// optimizer and checkpoint format are shared, under the same weight names.

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { hashString, mulberry32 } from '../data/random';
import { ClipModel } from '../model/clip';
import { FeatureClipModel } from '../model/featureClip';
import type { ConvImpl } from '../model/layers';
import type { Params, SerializedTensor } from '../model/params';
import type { EvalModel } from './evaluate';
import { featureTrainStep } from './featureStep';
import type { AdamW } from './optimizer';
import { gatherRows, imageBatch } from './pixels';
import { batchExtras, type PreparedData } from './prepare';
import { trainStep, warmupStep, type TrainBatch } from './step';
import { TrainError } from './types';

/** Backbone features of every image of the training set, in image order. */
export interface RunFeatures {
  featureSize: number; // F
  plain: Float32Array; // [N, F]
  flip: Float32Array | null; // [N, F] the mirrored images', when computed
}

export interface Tower {
  model: EvalModel & {
    trainableVariables(): Params;
    getWeights(): Promise<SerializedTensor[]>;
    setWeights(w: readonly SerializedTensor[]): void;
    dispose(): void;
  };
  /** One optimiser step on these captions; the packed readout for readStep when `read`. */
  step(optimizer: AdamW, captionIds: readonly number[], opts: { lr: number; step: number; read: boolean }): tf.Tensor1D | null;
  /** Compiles the step (gradients without an update) before timing starts. */
  warmup(captionIds: readonly number[]): Promise<void>;
  /** Unit image embeddings [ids.length, D] for evaluation; undefined: from the eval set's pixels. */
  embedImages?: (imageIds: readonly number[]) => Promise<Float32Array>;
}

/** The CNN trained from scratch on the prepared pixels. */
export function cnnTower(prep: PreparedData, cfg: TrainConfig, convImpl?: ConvImpl): Tower {
  const model = ClipModel.create(cfg, prep.tokenizer.size, { convImpl });
  const batchOf = (captionIds: readonly number[]): TrainBatch => ({
    size: captionIds.length,
    images: imageBatch(
      prep.pixels,
      cfg.imageSize,
      captionIds.map((id) => prep.captionImage[id]),
    ), // [B, S, S, 3]
    tokens: gatherRows(prep.tokens, cfg.maxTokens, captionIds), // [B, T]
    ...batchExtras(prep, captionIds), // same-text captions are not negatives; no flip when a caption names a side
  });
  return {
    model,
    step: (optimizer, ids, opts) => trainStep(model, optimizer, batchOf(ids), opts),
    warmup: (ids) => warmupStep(model, batchOf(ids)),
  };
}

/**
 * The frozen backbone's cached features through a trained head. With cfg.flipViews each sample
 * takes the flipped view's features half the time (seeded by step), never for a caption that
 * names a side (a mirror would falsify it).
 */
export function featureTower(prep: PreparedData, cfg: TrainConfig, features: RunFeatures): Tower {
  const F = features.featureSize;
  const N = prep.captionImage.reduce((n, i) => Math.max(n, i + 1), 0); // images that have captions
  if (cfg.backbone && cfg.backbone.featureSize !== F) {
    throw new TrainError('bad-data', `features: expected ${cfg.backbone.featureSize} per image (the backbone's), found ${F}`);
  }
  if (features.plain.length < N * F) {
    throw new TrainError('bad-data', `features: expected at least ${N} rows of ${F}, found ${features.plain.length / F}`);
  }
  const model = FeatureClipModel.create(
    cfg,
    { featureSize: F, hidden: cfg.headHidden, dropout: cfg.headDropout, embedDim: cfg.embedDim },
    prep.tokenizer.size,
  );
  const flip = cfg.flipViews ? features.flip : null;
  const batchOf = (captionIds: readonly number[], step: number) => {
    const pickView = mulberry32(hashString(`view:${cfg.seed}:${step}`));
    const rows = new Float32Array(captionIds.length * F); // [B, F]
    captionIds.forEach((id, k) => {
      const i = prep.captionImage[id];
      const src = flip && prep.sideWords[id] === 0 && pickView() < 0.5 ? flip : features.plain;
      rows.set(src.subarray(i * F, (i + 1) * F), k * F);
    });
    const { sameText } = batchExtras(prep, captionIds);
    return { size: captionIds.length, features: rows, tokens: gatherRows(prep.tokens, cfg.maxTokens, captionIds), sameText };
  };
  const embedImages = async (imageIds: readonly number[]): Promise<Float32Array> => {
    const D = cfg.embedDim;
    const out = new Float32Array(imageIds.length * D);
    for (let s = 0; s < imageIds.length; s += 512) {
      const ids = imageIds.slice(s, s + 512);
      const emb = tf.tidy(() => model.encodeImage(tf.tensor2d(gatherRows(features.plain, F, ids), [ids.length, F])));
      out.set((await emb.data()) as Float32Array, s * D);
      emb.dispose();
    }
    return out;
  };
  return {
    model,
    step: (optimizer, ids, opts) => featureTrainStep(model, optimizer, batchOf(ids, opts.step), opts),
    warmup: async () => {}, // a few small matMuls: nothing worth compiling ahead
    embedImages,
  };
}
