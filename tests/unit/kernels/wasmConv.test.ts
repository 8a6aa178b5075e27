// The wasm conv-gradient kernels (src/kernels/wasmConv.ts) against tfjs-core's own kernels on the
// cpu backend: each kernel on seeded inputs over a table of shapes, strides and paddings, with the
// lab's SIMD loops (src/kernels/convKernels.c) and with the JS ones, the bias-gradient Sum, then
// whole training runs with tf.conv2d on wasm against the same run on cpu.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOverrides, type TrainConfig } from '../../../src/config';
import { mulberry32 } from '../../../src/data/random';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvKernels, WasmKernelError } from '../../../src/kernels/wasmConv';
import { simdKernels, useSimdKernels } from '../../../src/kernels/wasmSimd';
import { ClipModel } from '../../../src/model/clip';
import type { SerializedTensor } from '../../../src/model/params';
import { AdamW } from '../../../src/train/optimizer';
import { readStep, trainStep, type TrainBatch } from '../../../src/train/step';

type Pad = 'same' | 'valid' | number;
// x shape [B, H, W, C], filter [fh, fw, C, O], stride, pad
const CASES: [number[], number[], number | [number, number], Pad][] = [
  [[2, 8, 8, 3], [3, 3, 3, 4], 2, 1], // the model's conv: 3x3, stride 2, padding 1
  [[3, 9, 7, 5], [3, 3, 5, 6], 2, 1], // odd sides
  [[2, 16, 16, 16], [3, 3, 16, 8], 2, 1], // C >= 16
  [[1, 40, 40, 2], [3, 3, 2, 3], 2, 1], // rows wider than one 16-output block
  [[2, 6, 6, 4], [3, 3, 4, 2], 1, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 2], 2, 'valid'],
  [[2, 5, 5, 3], [1, 1, 3, 4], 1, 0],
  [[1, 9, 9, 2], [5, 3, 2, 3], 2, 1], // non-square filter (tfjs-wasm's own forward Conv2D gets its output shape wrong)
  [[1, 9, 9, 2], [5, 5, 2, 3], 3, 2],
  [[2, 7, 9, 3], [3, 3, 3, 2], [2, 1], 1], // unequal strides
];

function seeded(shape: number[], seed: number): tf.Tensor {
  const random = mulberry32(seed);
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * random() - 1),
    shape,
  );
}

/** dx and dW from the two gradient kernels on the current backend, for seeded x, filter and dy. */
async function convGrads(xShape: number[], wShape: number[], stride: number | [number, number], pad: Pad): Promise<Float32Array[]> {
  const x = seeded(xShape, 1) as tf.Tensor4D;
  const w = seeded(wShape, 2) as tf.Tensor4D;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    wShape as [number, number, number, number],
    stride,
    1,
    pad,
  );
  const dy = seeded(info.outShape, 3);
  const attrs = { strides: stride, pad, dataFormat: 'NHWC' } as const;
  const before = tf.memory().numTensors;
  const dx = tf
    .engine()
    .runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: xShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const dw = tf
    .engine()
    .runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: wShape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  expect(dx.shape).toEqual(xShape);
  expect(dw.shape).toEqual(wShape);
  const out = [(await dx.data()) as Float32Array, (await dw.data()) as Float32Array];
  tf.dispose([dx, dw]);
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, w, dy]);
  return out;
}

function randomBatch(config: TrainConfig, B: number, vocabSize: number): TrainBatch {
  const random = mulberry32(3);
  const S = config.imageSize;
  const T = config.maxTokens;
  const images = Float32Array.from({ length: B * S * S * 3 }, () => random());
  const tokens = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = 3 + Math.floor(random() * (T - 2));
    for (let t = 0; t < n; t++) tokens[b * T + t] = 1 + Math.floor(random() * (vocabSize - 1));
  }
  return { size: B, images, tokens };
}

/** Losses of `steps` training steps with tf.conv2d from the given weights, and numTensors after each. */
async function run(config: TrainConfig, V: number, weights: SerializedTensor[], batch: TrainBatch, steps: number) {
  const model = ClipModel.create(config, V, { convImpl: 'conv2d' });
  model.setWeights(weights);
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: config.adamEpsilon, weightDecay: config.weightDecay });
  const losses: number[] = [];
  const numTensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const packed = trainStep(model, optimizer, batch, { lr: config.learningRate, step, read: true });
    losses.push((await readStep(packed!, batch.size)).loss);
    numTensors.push(tf.memory().numTensors);
  }
  model.dispose();
  optimizer.dispose();
  return { losses, numTensors };
}

describe('wasm conv-gradient kernels', () => {
  beforeAll(async () => {
    setWasmPaths(`${path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
    expect(await tf.setBackend('wasm')).toBe(true);
    registerWasmConvKernels();
    registerWasmConvKernels(); // idempotent
  });
  afterAll(() => tf.setBackend('cpu'));

  it('loads the SIMD loops into the wasm backend it runs on', () => {
    expect(simdKernels(tf.backend() as BackendWasm)).not.toBeNull();
  });

  const loops = ['SIMD', 'JS'] as const;
  it.each(CASES.flatMap((c) => loops.map((l) => [l, ...c] as const)))(
    "%s loops: x %j, filter %j, stride %s, pad %s: dW and dx equal tfjs-core's cpu kernels",
    async (loop, xShape, wShape, stride, pad) => {
      await tf.setBackend('cpu');
      const [wantDx, wantDw] = await convGrads(xShape, wShape, stride, pad);
      await tf.setBackend('wasm');
      useSimdKernels(loop === 'SIMD');
      const [gotDx, gotDw] = await convGrads(xShape, wShape, stride, pad).finally(() => useSimdKernels(true));
      for (const [got, want] of [
        [gotDx, wantDx],
        [gotDw, wantDw],
      ]) {
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
        expect(worst).toBeLessThan(1e-5);
      }
    },
  );

  // x shape, axis, keepDims: bias gradients (every axis but the last) take the SIMD pass, the rest tfjs-wasm's Sum
  it.each([
    [[64, 32, 32, 32], [0, 1, 2], false],
    [[3, 5, 7, 6], [2, 0, 1], true],
    [[1000, 5], 0, false],
    [[7, 3], -2, true],
    [[4, 5, 6], [1, 2], false],
    [[4, 5, 6], 2, true],
    [[4, 5, 6], [0, 1, 2], false],
  ] as [number[], number | number[], boolean][])(
    'Sum of x %j over axis %j (keepDims %s) equals cpu; numTensors unchanged',
    async (shape, axis, keepDims) => {
      const reduce = async () => {
        const x = seeded(shape, 4);
        const before = tf.memory().numTensors;
        const y = tf.sum(x, axis, keepDims);
        const out = { shape: y.shape, values: (await y.data()) as Float32Array };
        y.dispose();
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
        return out;
      };
      await tf.setBackend('cpu');
      const want = await reduce();
      await tf.setBackend('wasm');
      const got = await reduce();
      expect(got.shape).toEqual(want.shape);
      got.values.forEach((v, i) => expect(Math.abs(v - want.values[i])).toBeLessThan(1e-4 * (1 + Math.abs(want.values[i]))));
    },
  );

  it.each([[[2, 9, 7, 5]], [[1, 25, 25, 8]], [[2, 3, 3, 2]]])(
    'x %j: the forward tf.conv2d (3x3, stride 2, padding 1) on wasm equals cpu, odd sides included',
    async (xShape) => {
      const forward = () =>
        tf.tidy(() => tf.conv2d(seeded(xShape, 1) as tf.Tensor4D, seeded([3, 3, xShape[3], 6], 2) as tf.Tensor4D, 2, 1).dataSync());
      await tf.setBackend('cpu');
      const want = forward();
      await tf.setBackend('wasm');
      const got = forward();
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    },
  );

  it.each([
    ['dilations 2', { strides: 1, pad: 'valid', dilations: 2 }, [1, 2, 2, 3], /expected dilations 1, found 2/],
    ['NCHW', { strides: 1, pad: 'valid', dataFormat: 'NCHW' }, [1, 3, 3, 3], /expected dataFormat NHWC, found NCHW/],
    ['dy of the wrong shape', { strides: 1, pad: 'valid' }, [1, 3, 2, 3], /expected dy of shape \[1,3,3,3\], found \[1,3,2,3\]/],
  ])('rejects %s, naming expected and found, before touching memory', async (_, attrs, dyShape, message) => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 4, 4, 2]);
    const w = tf.ones([2, 2, 2, 3]);
    const dy = tf.ones(dyShape);
    const all = { dataFormat: 'NHWC', ...attrs, filterShape: [2, 2, 2, 3], inputShape: [1, 4, 4, 2] } as unknown as tf.NamedAttrMap;
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, all)).toThrow(WasmKernelError);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, all)).toThrow(message);
    expect(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, all)).toThrow(message);
    tf.dispose([x, w, dy]);
  });

  // conv: the tiny preset's text tower; bow: the bench preset's (wasm pools it with one scatter)
  it.each(['conv', 'bow'] as const)(
    "text tower %s: losses equal to tfjs-core's kernels to 1e-4 over 20 steps; numTensors flat",
    async (textEncoder) => {
      const config = withOverrides('tiny', { augment: true, textEncoder });
      const V = 60;
      await tf.setBackend('cpu');
      const model = ClipModel.create(config, V);
      const weights = await model.getWeights();
      model.dispose();
      const batch = randomBatch(config, 8, V);
      const want = await run(config, V, weights, batch, 20);
      expect(want.losses[19]).toBeLessThan(want.losses[0] - 0.1); // the steps do train
      await tf.setBackend('wasm');
      const got = await run(config, V, weights, batch, 20);
      got.losses.forEach((loss, i) => expect(Math.abs(loss - want.losses[i])).toBeLessThan(1e-4));
      expect(new Set(got.numTensors.slice(1)).size).toBe(1);
    },
  );
});
