// runTraining with the backbone image tower: cached features (here the synthetic images' block
// colours, 48 per image, and their mirror) through the trained head. The loss falls and the
// train pairs are retrieved; tensors stay flat across steps and epochs; val evaluation runs on
// features; checkpoints carry the head's weights and the backbone identity; resuming continues
// exactly; a run without its features is refused.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides, type BackboneIdentity, type TrainConfig } from '../../../src/config';
import type { TrainingSet } from '../../../src/data/types';
import { runTraining } from '../../../src/train/trainer';
import type { RunFeatures } from '../../../src/train/towers';
import type { Checkpoint, EvalMetrics, StepMetrics } from '../../../src/train/types';
import { syntheticSet } from './fixtures';

const F = 48;
const backbone: BackboneIdentity = {
  name: 'blocks',
  kind: 'layers',
  sha256: '0'.repeat(64),
  inputSize: 32,
  range: '0,1',
  outputNode: 'pool',
  featureSize: F,
};

/** Each image's 4 x 4 block colours (0..1), and the same of the left-right mirrored image. */
function blockFeatures(data: TrainingSet): RunFeatures {
  const R = data.imageSize;
  const N = data.imageNames.length;
  const plain = new Float32Array(N * F);
  const flip = new Float32Array(N * F);
  for (let i = 0; i < N; i++) {
    for (let by = 0; by < 4; by++) {
      for (let bx = 0; bx < 4; bx++) {
        const px = (x: number) => ((i * R + (by * R) / 4) * R + x) * 3;
        for (let c = 0; c < 3; c++) {
          plain[i * F + (by * 4 + bx) * 3 + c] = data.pixels[px((bx * R) / 4) + c] / 255;
          flip[i * F + (by * 4 + bx) * 3 + c] = data.pixels[px(((3 - bx) * R) / 4) + c] / 255;
        }
      }
    }
  }
  return { featureSize: F, plain, flip };
}

const cfg = (o: Partial<TrainConfig> = {}) =>
  withOverrides('tiny', {
    imageTower: 'backbone',
    backbone,
    headDropout: 0.1,
    textEncoder: 'bow',
    embedDim: 16,
    textWidth: 16,
    matchHidden: 16,
    batchSize: 8,
    learningRate: 1e-2,
    ...o,
  });

async function train(data: TrainingSet, config: TrainConfig, extra: Partial<Parameters<typeof runTraining>[2]> = {}) {
  const steps: StepMetrics[] = [];
  const evals: EvalMetrics[] = [];
  const checkpoints: Checkpoint[] = [];
  const tensors: number[] = [];
  const result = await runTraining(data, config, {
    features: blockFeatures(data),
    ...extra,
    callbacks: {
      onStep: (m) => (steps.push(m), tensors.push(tf.memory().numTensors)),
      onEval: (m) => evals.push(m),
      onCheckpoint: (c) => void checkpoints.push(c),
    },
  });
  return { result, steps, evals, checkpoints, tensors };
}

describe('runTraining on backbone features', () => {
  it('learns the train pairs, leaks no tensor, evaluates on val features and checkpoints the head with the backbone', async () => {
    const data = syntheticSet({ images: 40, val: 8 });
    const { result, steps, evals, tensors } = await train(data, cfg({ epochs: 30 }));
    expect(steps).toHaveLength(30 * 4); // 32 train captions / batch 8
    const mean = (ms: StepMetrics[], f: (m: StepMetrics) => number) => ms.reduce((s, m) => s + f(m), 0) / ms.length;
    const [first, last] = [steps.slice(0, 8), steps.slice(-8)]; // two epochs each: one batch of 8 is noisy
    expect(mean(last, (m) => m.clipLoss)).toBeLessThan(mean(first, (m) => m.clipLoss) / 2);
    expect(mean(last, (m) => (m.accI2T + m.accT2I) / 2)).toBeGreaterThanOrEqual(0.6);
    expect(tensors[tensors.length - 1]).toBe(tensors[4]); // flat across steps and epochs (after the first epoch)
    expect(evals).toHaveLength(30);
    expect(evals[29]).toMatchObject({ images: 8, captions: 8 });
    expect(evals[29].match?.aucRandom).toBeGreaterThan(0);
    expect(result.config).toMatchObject({ imageTower: 'backbone', backbone });
    const names = result.weights.map((w) => w.name);
    expect(names).toContain('proj.image.kernel');
    expect(names.some((n) => n.startsWith('image.conv'))).toBe(false);
    expect(result.weights.find((w) => w.name === 'proj.image.kernel')?.shape).toEqual([F, 16]);
  });

  it('resumes from a checkpoint to the same weights as an uninterrupted run', async () => {
    const data = syntheticSet({ images: 24, val: 8 });
    const config = cfg({ epochs: 3, evalEveryEpoch: false });
    const straight = await train(data, config);
    const partial = await train(data, config, { maxSteps: 2 });
    const resumed = await train(data, config, { resume: partial.result });
    expect(resumed.result.step).toBe(straight.result.step);
    const w = (c: Checkpoint) => c.weights.find((x) => x.name === 'proj.image.kernel')!.data as Float32Array;
    expect(Math.max(...w(resumed.result).map((v, k) => Math.abs(v - w(straight.result)[k])))).toBeLessThan(1e-6);
  });

  it('refuses a backbone run without its features', async () => {
    await expect(runTraining(syntheticSet({ images: 8 }), cfg(), { callbacks: {} })).rejects.toThrow(
      /expected the backbone's cached features for an imageTower 'backbone' run, found none/,
    );
  });

  it('refuses features of another width than the backbone', async () => {
    const data = syntheticSet({ images: 8 });
    const f = blockFeatures(data);
    await expect(runTraining(data, cfg(), { callbacks: {}, features: { ...f, featureSize: 24 } })).rejects.toThrow(
      /features: expected 48 per image \(the backbone's\), found 24/,
    );
  });
});
