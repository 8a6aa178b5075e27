import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { clipLoss, matchLoss } from '../../../src/model/losses';
import { notNegativeMask } from '../../../src/train/step';

function randomMatrix(n: number, seed: number, scale = 5): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => Array.from({ length: n }, () => (random() * 2 - 1) * scale));
}

/** Naive float64 symmetric InfoNCE and its gradient; mask[i][j] = 1 drops (i, j != i) from both softmaxes. */
function naiveClip(L: number[][], mask?: number[][]): { loss: number; grad: number[][] } {
  const B = L.length;
  const allowed = (i: number, j: number) => i === j || !mask || mask[i][j] === 0;
  const grad = L.map((row) => row.map(() => 0));
  let loss = 0;
  for (const direction of ['rows', 'cols'] as const) {
    for (let a = 0; a < B; a++) {
      const entry = (k: number) => (direction === 'rows' ? [a, k] : [k, a]);
      let z = 0;
      for (let k = 0; k < B; k++) {
        const [i, j] = entry(k);
        if (allowed(i, j)) z += Math.exp(L[i][j]);
      }
      loss += (Math.log(z) - L[a][a]) / (2 * B);
      for (let k = 0; k < B; k++) {
        const [i, j] = entry(k);
        if (allowed(i, j)) grad[i][j] += (Math.exp(L[i][j]) / z - (k === a ? 1 : 0)) / (2 * B);
      }
    }
  }
  return { loss, grad };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol);
}

describe('clipLoss', () => {
  it.each([
    [2, 1],
    [5, 2],
    [8, 3],
  ])('B=%i seed %i: value and gradient equal the naive loop', (B, seed) => {
    const L = randomMatrix(B, seed);
    const ref = naiveClip(L);
    const logits = tf.tensor2d(L);
    const loss = clipLoss(logits);
    expect(Math.abs(loss.dataSync()[0] - ref.loss)).toBeLessThan(1e-5);
    const grad = tf.grad((x: tf.Tensor) => clipLoss(x as tf.Tensor2D))(logits);
    expectClose(grad.dataSync(), ref.grad.flat(), 1e-6);
    tf.dispose([logits, loss, grad]);
  });

  it('masks other captions of the same image out of both directions', () => {
    const B = 6;
    const L = randomMatrix(B, 9);
    const mask = L.map((row, i) => row.map((_, j) => (i === j || (i < 2 && j < 2) || (i === 3 && j === 5) ? 1 : 0)));
    mask[5][3] = 1;
    const ref = naiveClip(L, mask);
    const unmasked = naiveClip(L);
    expect(Math.abs(ref.loss - unmasked.loss)).toBeGreaterThan(1e-3); // the mask matters here
    const [logits, m] = [tf.tensor2d(L), tf.tensor2d(mask)];
    expect(Math.abs(clipLoss(logits, m).dataSync()[0] - ref.loss)).toBeLessThan(1e-5);
    const grad = tf.grad((x: tf.Tensor) => clipLoss(x as tf.Tensor2D, m))(logits);
    expectClose(grad.dataSync(), ref.grad.flat(), 1e-6);
  });

  it('is ln(B) for constant logits and near 0 for a strong diagonal', () => {
    expect(clipLoss(tf.zeros([4, 4]) as tf.Tensor2D).dataSync()[0]).toBeCloseTo(Math.log(4), 5);
    expect(clipLoss(tf.mul(tf.eye(4), 100) as tf.Tensor2D).dataSync()[0]).toBeLessThan(1e-6);
  });
});

describe('matchLoss', () => {
  const naive = (x: number[], y: number[]) => {
    const s = x.map((v) => 1 / (1 + Math.exp(-v)));
    const loss = -s.reduce((acc, p, i) => acc + (y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p)), 0) / x.length;
    return { loss, grad: s.map((p, i) => (p - y[i]) / x.length) };
  };

  it.each([[1], [2], [3]])('seed %i: value and gradient equal the naive loop', (seed) => {
    const random = mulberry32(seed);
    const x = Array.from({ length: 10 }, () => (random() * 2 - 1) * 8);
    const y = x.map(() => (random() < 0.5 ? 1 : 0));
    const ref = naive(x, y);
    const [logits, labels] = [tf.tensor1d(x), tf.tensor1d(y)];
    expect(Math.abs(matchLoss(logits, labels).dataSync()[0] - ref.loss)).toBeLessThan(1e-5);
    const grad = tf.grad((t: tf.Tensor) => matchLoss(t as tf.Tensor1D, labels))(logits);
    expectClose(grad.dataSync(), ref.grad, 1e-6);
  });

  it('stays finite and exact for large logits (the stable form)', () => {
    const loss = matchLoss(tf.tensor1d([80, -80, 80, -80]), tf.tensor1d([1, 0, 0, 1])).dataSync()[0];
    expect(loss).toBeCloseTo(40, 4); // two confident right (≈0) and two confident wrong (80 each)
  });
});

describe('clipLoss with same-text captions of other images (issue 9)', () => {
  it.each([
    [6, 4],
    [8, 5],
  ])('B=%i seed %i: same-text pairs leave both softmaxes; value and gradient equal the naive loop', (B, seed) => {
    const T = 3;
    // Captions 0, 2 and 4 read the same; so do 1 and 5 (as token rows); 3 and the rest are unique.
    const rows = [
      [5, 6, 0],
      [7, 8, 9],
      [5, 6, 0],
      [10, 0, 0],
      [5, 6, 0],
      [7, 8, 9],
      [11, 12, 0],
      [13, 0, 0],
    ].slice(0, B);
    const tokens = Float32Array.from(rows.flat());
    const maskFlat = notNegativeMask({ size: B, images: new Float32Array(0), tokens }, T);
    const mask = Array.from({ length: B }, (_, i) => Array.from(maskFlat.subarray(i * B, (i + 1) * B)));
    expect(mask[0][2]).toBe(1);
    expect(mask[4][0]).toBe(1);
    expect(mask[1][5]).toBe(1);
    expect(mask[0][1]).toBe(0);
    expect(mask[3].reduce((a, b) => a + b, 0)).toBe(1); // only its own caption
    const L = randomMatrix(B, seed);
    const ref = naiveClip(L, mask);
    expect(Math.abs(ref.loss - naiveClip(L).loss)).toBeGreaterThan(1e-3);
    const [logits, m] = [tf.tensor2d(L), tf.tensor2d(maskFlat, [B, B])];
    expect(Math.abs(clipLoss(logits, m).dataSync()[0] - ref.loss)).toBeLessThan(1e-5);
    const grad = tf.grad((x: tf.Tensor) => clipLoss(x as tf.Tensor2D, m))(logits);
    expectClose(grad.dataSync(), ref.grad.flat(), 1e-6);
    // No gradient pushes a same-text pair apart.
    for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) if (i !== j && mask[i][j] === 1) expect(grad.dataSync()[i * B + j]).toBe(0);
    tf.dispose([logits, m, grad]);
  });

  it('ORs in a same-text mask that knows captions outside the batch', () => {
    const sameText = new Float32Array(9);
    sameText[0 * 3 + 2] = 1; // caption 2 reads like another caption of image 0
    const mask = notNegativeMask({ size: 3, images: new Float32Array(0), tokens: Float32Array.from([1, 2, 3]), sameText }, 1);
    expect(Array.from(mask)).toEqual([1, 0, 1, 0, 1, 0, 0, 0, 1]);
  });
});

describe('matchLoss with weights', () => {
  it('is the weighted mean of the per-pair BCE; zero-weight pairs get no gradient', () => {
    const x = [2, -1, 0.5, 3];
    const y = [1, 0, 0, 0];
    const w = [1, 1, 0, 1];
    const bce = x.map((v, i) => Math.max(v, 0) - v * y[i] + Math.log1p(Math.exp(-Math.abs(v))));
    const expected = (bce[0] + bce[1] + bce[3]) / 3;
    const [logits, labels, weights] = [tf.tensor1d(x), tf.tensor1d(y), tf.tensor1d(w)];
    expect(matchLoss(logits, labels, weights).dataSync()[0]).toBeCloseTo(expected, 5);
    const grad = tf
      .grad((t: tf.Tensor) => matchLoss(t as tf.Tensor1D, labels, weights))(logits)
      .dataSync();
    expect(grad[2]).toBe(0);
    expect(grad[0]).toBeCloseTo((1 / (1 + Math.exp(-2)) - 1) / 3, 6);
  });
});
