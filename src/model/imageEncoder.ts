// Image encoder: pixels in 0..1 -> CLIP mean/std normalisation -> conv3x3/2 + ReLU stack ->
// global average pool -> [dense + ReLU] -> projection to the joint space (not yet normalised).

import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import { conv3x3s2, dense, type ConvImpl } from './layers';
import { constant, denseSpecs, glorot, type ParamSpec, type Params } from './params';

// openai/CLIP's preprocessing constants (RGB).
export const IMAGE_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const IMAGE_STD = [0.26862954, 0.26130258, 0.27577711];

type ImageShape = Pick<TrainConfig, 'convChannels' | 'imageWidth' | 'embedDim'>;

/** Width of the features fed to the projection. */
export function imageFeatureWidth(config: ImageShape): number {
  return config.imageWidth > 0 ? config.imageWidth : config.convChannels[config.convChannels.length - 1];
}

export function imageEncoderSpecs(config: ImageShape): ParamSpec[] {
  const specs: ParamSpec[] = [];
  let cin = 3;
  config.convChannels.forEach((cout, i) => {
    specs.push(glorot(`image.conv${i}.kernel`, [3, 3, cin, cout], 9 * cin, 9 * cout));
    specs.push(constant(`image.conv${i}.bias`, [cout], 0));
    cin = cout;
  });
  if (config.imageWidth > 0) specs.push(...denseSpecs('image.fc', cin, config.imageWidth));
  specs.push(...denseSpecs('proj.image', imageFeatureWidth(config), config.embedDim));
  return specs;
}

/** images [B, S, S, 3] in 0..1 -> [B, D] projected, not normalised */
export function imageEncoderForward(
  params: Params,
  config: ImageShape,
  images: tf.Tensor4D,
  impl: ConvImpl,
): tf.Tensor2D {
  const p = (name: string) => params.get(name)!;
  const mean = tf.tensor1d(IMAGE_MEAN);
  const invStd = tf.tensor1d(IMAGE_STD.map((s) => 1 / s));
  let x = tf.mul(tf.sub(images, mean), invStd) as tf.Tensor4D; // [B, S, S, 3]
  config.convChannels.forEach((_, i) => {
    x = tf.relu(conv3x3s2(x, p(`image.conv${i}.kernel`), p(`image.conv${i}.bias`), impl)); // [B, S/2^(i+1), .., C_i]
  });
  let h = tf.mean(x, [1, 2]) as tf.Tensor2D; // [B, C_last] global average pool
  if (config.imageWidth > 0) h = tf.relu(dense(h, p('image.fc.kernel'), p('image.fc.bias'))); // [B, imageWidth]
  return dense(h, p('proj.image.kernel'), p('proj.image.bias')); // [B, D]
}
