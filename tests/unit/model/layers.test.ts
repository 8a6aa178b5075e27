import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import {
  conv1d3,
  conv3x3s2,
  convOutSize,
  im2colBySlices,
  im2colByTransposes,
  l2Normalize,
  maskedMean,
  oneHotFloat,
} from '../../../src/model/layers';

function random(shape: number[], seed: number): tf.Tensor {
  const r = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1),
    shape,
  );
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** PyTorch Conv2d(kernel 3, stride 2, padding 1) as loops. x [B,H,W,C], k [3,3,C,O]. */
function naiveConv(x: tf.Tensor, k: tf.Tensor, bias: tf.Tensor): number[] {
  const [B, H, W, C] = x.shape;
  const O = k.shape[3]!;
  const [xv, kv, bv] = [x.dataSync(), k.dataSync(), bias.dataSync()];
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let i = 0; i < convOutSize(H); i++)
      for (let j = 0; j < convOutSize(W); j++) {
        for (let o = 0; o < O; o++) {
          let s = bv[o];
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const [y, xx] = [2 * i + ky - 1, 2 * j + kx - 1];
              if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
              for (let c = 0; c < C; c++) s += xv[((b * H + y) * W + xx) * C + c] * kv[((ky * 3 + kx) * C + c) * O + o];
            }
          out.push(s);
        }
      }
  return out;
}

type Conv = (x: tf.Tensor4D, k: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;
const convs: [string, Conv][] = [
  ['conv2d', (x, k, b) => conv3x3s2(x, k, b, 'conv2d')],
  ['im2col', (x, k, b) => conv3x3s2(x, k, b, 'im2col')],
  ['im2col by slices', im2colBySlices],
  ['im2col by transposes', im2colByTransposes],
];

describe('conv3x3s2', () => {
  it.each([
    [8, 8, 3, 4],
    [7, 5, 2, 3],
    [2, 3, 4, 2],
    [1, 1, 3, 5],
    [16, 16, 8, 16],
  ])('H=%i W=%i Cin=%i Cout=%i: every implementation equals PyTorch-style loops', (H, W, C, O) => {
    const x = random([2, H, W, C], 1) as tf.Tensor4D;
    const k = random([3, 3, C, O], 2);
    const bias = random([O], 3);
    const expected = naiveConv(x, k, bias);
    for (const [, conv] of convs) {
      const y = conv(x, k, bias);
      expect(y.shape).toEqual([2, convOutSize(H), convOutSize(W), O]);
      const got = y.dataSync();
      expected.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5));
    }
  });

  it.each([
    [8, 8],
    [7, 5],
    [3, 4],
  ])('H=%i W=%i: every implementation gives the gradients of conv2d for x, kernel and bias', (H, W) => {
    const x = random([2, H, W, 3], 4);
    const k = random([3, 3, 3, 4], 5);
    const bias = random([4], 6);
    const upstream = random([2, convOutSize(H), convOutSize(W), 4], 7);
    const grads = (conv: Conv) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b, c), upstream)))([x, k, bias]);
    const reference = grads(convs[0][1]);
    expect(tf.tidy(() => tf.max(tf.abs(reference[1])).dataSync()[0])).toBeGreaterThan(0.1); // not trivially zero
    for (const [, conv] of convs.slice(1)) grads(conv).forEach((g, i) => expect(maxAbsDiff(g, reference[i])).toBeLessThan(1e-5));
  });
});

describe('conv1d3', () => {
  it('equals a loop with zero padding 1', () => {
    const [B, T, C, O] = [2, 5, 3, 4];
    const x = random([B, T, C], 8) as tf.Tensor3D;
    const k = random([3, C, O], 9);
    const bias = random([O], 10);
    const [xv, kv, bv] = [x.dataSync(), k.dataSync(), bias.dataSync()];
    const got = conv1d3(x, k, bias).dataSync();
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let o = 0; o < O; o++) {
          let s = bv[o];
          for (let dk = 0; dk < 3; dk++) {
            const p = t + dk - 1;
            if (p < 0 || p >= T) continue;
            for (let c = 0; c < C; c++) s += xv[(b * T + p) * C + c] * kv[(dk * C + c) * O + o];
          }
          expect(Math.abs(got[(b * T + t) * O + o] - s)).toBeLessThan(1e-5);
        }
  });
});

describe('small layers', () => {
  it('oneHotFloat gives exact one-hot rows from float ids', () => {
    expect(oneHotFloat(tf.tensor1d([0, 2, 4]), 5).arraySync()).toEqual([
      [1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 0, 1],
    ]);
  });

  it('maskedMean averages unmasked positions and gives 0 for an all-masked row', () => {
    const x = tf.tensor3d([
      [
        [1, 10],
        [3, 30],
        [100, 100],
      ],
      [
        [5, 5],
        [6, 6],
        [7, 7],
      ],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [0, 0, 0],
    ]);
    expect(maskedMean(x, mask).arraySync()).toEqual([
      [2, 20],
      [0, 0],
    ]);
  });

  it('l2Normalize gives unit rows and leaves a zero row finite', () => {
    const y = l2Normalize(
      tf.tensor2d([
        [3, 4],
        [0, 0],
      ]),
    ).arraySync();
    expect(y[0][0]).toBeCloseTo(0.6, 6);
    expect(y[0][1]).toBeCloseTo(0.8, 6);
    expect(y[1]).toEqual([0, 0]);
  });
});
