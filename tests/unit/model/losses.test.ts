import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { clipLoss, matchLoss } from '../../../src/model/losses';

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
  it.each([[2, 1], [5, 2], [8, 3]])('B=%i seed %i: value and gradient equal the naive loop', (B, seed) => {
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
