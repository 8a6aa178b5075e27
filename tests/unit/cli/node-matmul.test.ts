// The explicit-transpose BatchMatMul gradient against tfjs-core's own, on seeded random inputs:
// every transpose combination, rank 2 and rank 3, on cpu and on wasm.
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { setupNodeBackend } from '../../../cli/backend';
import { useExplicitTransposeMatMulGrad, useStockMatMulGrad } from '../../../src/train/matMulGrad';

afterAll(async () => {
  useStockMatMulGrad();
  await tf.setBackend('cpu');
});

const CASES: [number[], number[], boolean, boolean][] = [
  [[5, 3], [3, 4], false, false],
  [[5, 3], [4, 3], false, true],
  [[3, 5], [3, 4], true, false],
  [[3, 5], [4, 3], true, true],
  [[2, 5, 3], [2, 3, 4], false, false],
  [[2, 3, 5], [2, 4, 3], true, true],
];

async function grads(a: number[], b: number[], ta: boolean, tb: boolean): Promise<Float32Array[]> {
  tf.randomNormal([1], 0, 1, 'float32', 1).dispose();
  const x = tf.randomUniform(a, -1, 1, 'float32', 11);
  const y = tf.randomUniform(b, -1, 1, 'float32', 12);
  const outShape = tf.tidy(() => tf.matMul(x, y, ta, tb).shape);
  const w = tf.randomUniform(outShape, -1, 1, 'float32', 13); // a random linear read-out of the product
  const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, ta, tb), w)))([x, y]);
  const out = await Promise.all(g.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([x, y, w, ...g]);
  return out;
}

describe.each(['cpu', 'wasm'])('explicit-transpose matMul gradient on %s', (backend) => {
  it.each(CASES)('a %j, b %j, transposeA %s, transposeB %s: same gradients as tfjs-core', async (a, b, ta, tb) => {
    await setupNodeBackend(backend);
    useStockMatMulGrad();
    const [refA, refB] = await grads(a, b, ta, tb);
    useExplicitTransposeMatMulGrad();
    const before = tf.memory().numTensors;
    const [gA, gB] = await grads(a, b, ta, tb);
    expect(tf.memory().numTensors).toBe(before);
    useStockMatMulGrad();
    for (const [got, want] of [
      [gA, refA],
      [gB, refB],
    ]) {
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
  });
});

it('is the gradient in use after installing it (the backward pass transposes explicitly)', async () => {
  await setupNodeBackend('cpu');
  const x = tf.ones([4, 3]);
  const y = tf.ones([3, 2]);
  const kernels = async () =>
    (
      await tf.profile(() => {
        tf.dispose(tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.matMul(p, q)))([x, y]));
      })
    ).kernelNames;
  useStockMatMulGrad();
  expect(await kernels()).not.toContain('Transpose');
  useExplicitTransposeMatMulGrad();
  expect(await kernels()).toContain('Transpose');
  useStockMatMulGrad();
  tf.dispose([x, y]);
});
