import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { applyAugmentation, augmentImages, drawAugmentation, type AugmentDraw } from '../../../src/model/augment';

const images = () => tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 11) as tf.Tensor4D;

function identityDraw(B: number, pad: number, flip: boolean): AugmentDraw {
  return {
    pad,
    offsets: Array.from({ length: B }, () => [pad, pad] as [number, number]),
    flips: Array.from({ length: B }, () => flip),
    brightness: new Float32Array(B),
    contrast: new Float32Array(B).fill(1),
  };
}

/** Equal up to float rounding of the (x - mean) * 1 + mean jitter. */
function expectClose(a: tf.Tensor, b: tf.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-6);
}

describe('augmentation', () => {
  it('a centred crop without flip or jitter is the identity', () => {
    const x = images();
    expectClose(applyAugmentation(x, identityDraw(3, 2, false)), x);
  });

  it('a flip mirrors left-right', () => {
    const x = images();
    const y = applyAugmentation(x, identityDraw(3, 2, true));
    expectClose(y, tf.reverse(x, 2));
  });

  it('a shifted crop moves the content', () => {
    const x = images();
    const draw = identityDraw(3, 2, false);
    draw.offsets[0] = [3, 2]; // one row down
    const y = applyAugmentation(x, draw);
    expectClose(tf.slice(y, [0, 0, 0, 0], [1, 15, 16, 3]), tf.slice(x, [0, 1, 0, 0], [1, 15, 16, 3]));
  });

  it('is reproducible from the seed, varies with it, and stays in 0..1', () => {
    const x = images();
    const a = augmentImages(x, mulberry32(1));
    expect(a.shape).toEqual(x.shape);
    expect(augmentImages(x, mulberry32(1)).arraySync()).toEqual(a.arraySync());
    expect(augmentImages(x, mulberry32(2)).arraySync()).not.toEqual(a.arraySync());
    const [min, max] = [tf.min(a).dataSync()[0], tf.max(a).dataSync()[0]];
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
  });

  it('draws offsets within the padding', () => {
    const draw = drawAugmentation(50, 32, mulberry32(5));
    expect(draw.pad).toBe(4);
    draw.offsets.flat().forEach((o) => expect(o >= 0 && o <= 8).toBe(true));
    expect(draw.flips.some((f) => f) && draw.flips.some((f) => !f)).toBe(true);
  });

  it('leaks no tensors', () => {
    const x = images();
    const before = tf.memory().numTensors;
    augmentImages(x, mulberry32(1)).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('never flips an image whose caption names a side; the random stream is unchanged', () => {
    const free = drawAugmentation(64, 16, mulberry32(5));
    const noFlip = Array.from({ length: 64 }, (_, b) => b % 2 === 0);
    const held = drawAugmentation(64, 16, mulberry32(5), noFlip);
    expect(free.flips.some((f, b) => f && b % 2 === 0)).toBe(true); // the draw would have flipped some of them
    held.flips.forEach((f, b) => expect(f).toBe(b % 2 === 0 ? false : free.flips[b]));
    expect(held.offsets).toEqual(free.offsets);
    expect(held.brightness).toEqual(free.brightness);
  });
});
