// The row-broadcast Add, Sub and Multiply for wasm (src/kernels/wasmBroadcast.ts) against tfjs-core's
// cpu kernels on seeded inputs: the row fast path both ways round, and cases that must fall through
// to tfjs-wasm's own kernels (same shapes, other broadcasts, int32). Forward values and gradients.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { registerWasmConvKernels } from '../../../src/kernels/wasmConv';

function seeded(shape: number[], seed: number, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  const random = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (dtype === 'int32' ? Math.floor(10 * random()) : 2 * random() - 1));
  return tf.tensor(values, shape, dtype);
}

const OPS = { add: tf.add, sub: tf.sub, mul: tf.mul } as const;
// op, a shape, b shape, dtype
const CASES: [keyof typeof OPS, number[], number[], 'float32' | 'int32'][] = [
  ['add', [8, 4, 4, 32], [32], 'float32'], // a conv bias
  ['sub', [4, 6, 6, 3], [3], 'float32'], // the image normalisation, 3 channels
  ['mul', [4, 6, 6, 3], [3], 'float32'],
  ['sub', [5], [7, 5], 'float32'], // the row first
  ['mul', [1, 1, 6], [9, 6], 'float32'],
  ['add', [3, 7], [1, 7], 'float32'],
  ['add', [3, 7], [3, 7], 'float32'], // not a row: tfjs-wasm's kernel
  ['sub', [3, 7], [3, 1], 'float32'],
  ['mul', [2, 3, 4], [3, 4], 'float32'],
  ['add', [6, 5], [5], 'int32'],
];

describe('wasm row-broadcast Add, Sub, Multiply', () => {
  beforeAll(async () => {
    setWasmPaths(`${path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
    expect(await tf.setBackend('wasm')).toBe(true);
    registerWasmConvKernels();
    registerWasmConvKernels(); // idempotent
  });
  afterAll(() => tf.setBackend('cpu'));

  it.each(CASES)('%s of %j and %j (%s) equals cpu, gradients included; numTensors unchanged', async (op, aShape, bShape, dtype) => {
    const compute = async () => {
      const a = seeded(aShape, 1, dtype);
      const b = seeded(bShape, 2, dtype);
      const before = tf.memory().numTensors;
      const y = OPS[op](a, b);
      const out = [y.shape, Array.from(await y.data())];
      if (dtype === 'float32') {
        const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(OPS[op](p, q), OPS[op](p, q))))([a, b]);
        out.push(Array.from(await ga.data()), Array.from(await gb.data()));
        tf.dispose([ga, gb]);
      }
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
      return out;
    };
    await tf.setBackend('cpu');
    const want = await compute();
    await tf.setBackend('wasm');
    const got = await compute();
    expect(got[0]).toEqual(want[0]);
    for (let k = 1; k < want.length; k++) {
      const [g, w] = [got[k] as number[], want[k] as number[]];
      expect(g.length).toBe(w.length);
      g.forEach((v, i) => expect(Math.abs(v - w[i])).toBeLessThan(1e-5 * (1 + Math.abs(w[i]))));
    }
  });
});
