// Training-time image augmentation with tensor ops: random crop (pad by reflection, then a
// shifted window), horizontal flip and brightness/contrast jitter, per image. All random
// choices come from the given seeded source, so a step's augmentation is reproducible.

import * as tf from '@tensorflow/tfjs';

export interface AugmentDraw {
  pad: number; // reflection padding on each side, pixels
  offsets: [number, number][]; // per image: crop corner (y, x) in the padded image, 0..2*pad
  flips: boolean[]; // per image: mirror left-right
  brightness: Float32Array; // per image: added, in 0..1 pixel units
  contrast: Float32Array; // per image: scale around the image mean
}

/**
 * The random choices for a batch of B images of side S (pure JS, seeded). Image b is never flipped
 * when noFlip[b] is set (its caption says left or right: model/captionText hasSideWords); the
 * random stream is the same either way.
 */
export function drawAugmentation(batchSize: number, imageSize: number, random: () => number, noFlip?: readonly boolean[]): AugmentDraw {
  const pad = Math.max(1, Math.round(imageSize / 8));
  const draw: AugmentDraw = {
    pad,
    offsets: [],
    flips: [],
    brightness: new Float32Array(batchSize),
    contrast: new Float32Array(batchSize),
  };
  for (let b = 0; b < batchSize; b++) {
    draw.offsets.push([Math.floor(random() * (2 * pad + 1)), Math.floor(random() * (2 * pad + 1))]);
    draw.flips.push(random() < 0.5 && !noFlip?.[b]);
    draw.brightness[b] = (random() * 2 - 1) * 0.1;
    draw.contrast[b] = 1 + (random() * 2 - 1) * 0.2;
  }
  return draw;
}

/** images [B, S, S, 3] in 0..1 -> augmented [B, S, S, 3] in 0..1 */
export function applyAugmentation(images: tf.Tensor4D, draw: AugmentDraw): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, S, , C] = images.shape;
    const { pad } = draw;
    const padded = tf.mirrorPad(
      images,
      [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ],
      'reflect',
    );
    const mirrored = tf.reverse(padded, 2);
    const crops = draw.offsets.map(([y, x], b) => tf.slice(draw.flips[b] ? mirrored : padded, [b, y, x, 0], [1, S, S, C]));
    const cropped = tf.concat(crops, 0) as tf.Tensor4D; // [B, S, S, 3]
    const mean = tf.mean(cropped, [1, 2, 3], true); // [B, 1, 1, 1]
    const contrast = tf.tensor4d(draw.contrast, [B, 1, 1, 1]);
    const brightness = tf.tensor4d(draw.brightness, [B, 1, 1, 1]);
    const jittered = tf.add(tf.add(tf.mul(tf.sub(cropped, mean), contrast), mean), brightness);
    return tf.clipByValue(jittered, 0, 1) as tf.Tensor4D;
  });
}

/** Draw and apply in one go. */
export function augmentImages(images: tf.Tensor4D, random: () => number, noFlip?: readonly boolean[]): tf.Tensor4D {
  return applyAugmentation(images, drawAugmentation(images.shape[0], images.shape[1], random, noFlip));
}
