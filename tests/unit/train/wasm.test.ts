// The wasm backend (no Conv2DBackpropFilter, no UnsortedSegmentSum kernels) trains the same model
// as the cpu backend: same weights and batch give the same losses, step after step, with im2col.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withOverrides, type TrainConfig } from '../../../src/config';
import { mulberry32 } from '../../../src/data/random';
import { ClipModel } from '../../../src/model/clip';
import type { SerializedTensor } from '../../../src/model/params';
import { AdamW } from '../../../src/train/optimizer';
import { readStep, trainStep, type TrainBatch } from '../../../src/train/step';

function randomBatch(config: TrainConfig, B: number, vocabSize: number): TrainBatch {
  const random = mulberry32(3);
  const S = config.imageSize;
  const T = config.maxTokens;
  const images = Float32Array.from({ length: B * S * S * 3 }, () => random());
  // 3..T words per caption, then PAD
  const tokens = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = 3 + Math.floor(random() * (T - 2));
    for (let t = 0; t < n; t++) tokens[b * T + t] = 1 + Math.floor(random() * (vocabSize - 1));
  }
  return { size: B, images, tokens };
}

/** Losses of `steps` consecutive training steps on the current backend, from the given weights. */
async function losses(
  config: TrainConfig,
  vocabSize: number,
  weights: SerializedTensor[],
  batch: TrainBatch,
  steps: number,
): Promise<number[]> {
  const model = ClipModel.create(config, vocabSize, { convImpl: 'im2col' });
  model.setWeights(weights);
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: config.adamEpsilon, weightDecay: config.weightDecay });
  const out: number[] = [];
  for (let step = 0; step < steps; step++) {
    const packed = trainStep(model, optimizer, batch, { lr: config.learningRate, step, read: true });
    out.push((await readStep(packed!, batch.size)).loss);
  }
  model.dispose();
  optimizer.dispose();
  return out;
}

const cases: [string, TrainConfig, number, number, number][] = [
  // name, config, batch size, vocabulary size, steps
  ['tiny (conv text, match head, augmentation)', withOverrides('tiny', { augment: true }), 16, 60, 3],
  [
    'tiny with a transformer text encoder',
    withOverrides('tiny', { textEncoder: 'transformer', textLayers: 1, textHeads: 2, weightDecay: 0.1 }),
    8,
    60,
    3,
  ],
  ['bench (embedding 5000 x 128, batch 4)', withOverrides('bench', { batchSize: 4 }), 4, 5000, 2],
];

describe('wasm backend', () => {
  beforeAll(() => setWasmPaths(`${path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`));
  afterAll(() => tf.setBackend('cpu'));

  it.each(cases)('%s: the same losses as the cpu backend (1e-4), step after step', async (_, config, B, V, steps) => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const model = ClipModel.create(config, V);
    const weights = await model.getWeights();
    model.dispose();
    const batch = randomBatch(config, B, V);
    const expected = await losses(config, V, weights, batch, steps);
    expect(expected[steps - 1]).not.toBeCloseTo(expected[0], 3); // the steps do change the weights

    expect(await tf.setBackend('wasm')).toBe(true);
    const got = await losses(config, V, weights, batch, steps);
    expect(got).toHaveLength(steps);
    got.forEach((loss, i) => expect(Math.abs(loss - expected[i])).toBeLessThan(1e-4));
  });
});
