import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides, type TrainConfig } from '../../../src/config';
import { BatchError } from '../../../src/data/batches';
import { ClipModel } from '../../../src/model/clip';
import { evaluate } from '../../../src/train/evaluate';
import { Tokenizer } from '../../../src/data/tokenizer';
import { runTraining } from '../../../src/train/trainer';
import {
  CHECKPOINT_VERSION,
  TrainError,
  type Checkpoint,
  type EvalMetrics,
  type StepMetrics,
  type TrainPhase,
} from '../../../src/train/types';
import type { BatchSimilarity, EvalInsights } from '../../../src/train/insights';
import { syntheticSet } from './fixtures';

/** A faster tiny model for loop mechanics: 16 px, two convs, batch 4. */
const small = (o: Partial<TrainConfig> = {}) =>
  withOverrides('tiny', { imageSize: 16, convChannels: [4, 8], embedDim: 16, textWidth: 16, matchHidden: 16, batchSize: 4, ...o });

async function train(data: ReturnType<typeof syntheticSet>, config: TrainConfig, extra: Partial<Parameters<typeof runTraining>[2]> = {}) {
  const steps: StepMetrics[] = [];
  const evals: EvalMetrics[] = [];
  const checkpoints: Checkpoint[] = [];
  const phases: [TrainPhase, string | undefined][] = [];
  const result = await runTraining(data, config, {
    ...extra,
    callbacks: {
      onStep: (m) => steps.push(m),
      onEval: (m) => evals.push(m),
      onCheckpoint: (c) => void checkpoints.push(c),
      onPhase: (p, d) => phases.push([p, d]),
      ...extra.callbacks,
    },
  });
  return { result, steps, evals, checkpoints, phases };
}

describe('runTraining', () => {
  it('the tiny preset overfits 32 pairs to in-batch accuracy 1', async () => {
    const data = syntheticSet({ images: 32 });
    const config = withOverrides('tiny', { epochs: 25, evalEveryEpoch: false });
    const { result, steps } = await train(data, config, { convImpl: 'im2col' });
    expect(steps).toHaveLength(50); // 32 captions / batch 16 = 2 steps per epoch
    const last = steps[steps.length - 1];
    expect([last.accI2T, last.accT2I]).toEqual([1, 1]);
    expect(last.clipLoss).toBeLessThan(steps[0].clipLoss / 5);
    expect(last.posSim - last.negSim).toBeGreaterThan(0.3); // not "everything scores alike"
    // The trained weights also retrieve every training pair among all 32.
    const model = ClipModel.create(result.config, result.vocab.length);
    model.setWeights(result.weights);
    const all = data.captions.map((_, i) => i); // caption i belongs to image i
    const tokens = Tokenizer.fromVocab(result.vocab).encodeBatch(
      data.captions.map((c) => c.text),
      config.maxTokens,
    );
    const evalSet = { pixels: data.pixels, imageIds: all, captionIds: all, captionImage: Int32Array.from(all), tokens };
    const m = await evaluate(model, evalSet, { step: 0, epoch: 0, batchSize: 16, seed: 1 });
    model.dispose();
    expect(m!.i2t.r1).toBeGreaterThanOrEqual(0.9);
    expect(m!.t2i.r1).toBeGreaterThanOrEqual(0.9);
    expect(m!.auc).toBeGreaterThan(0.5);
  });

  it('keeps tf.memory().numTensors flat across steps, evaluations and epochs, and frees everything', async () => {
    const before = tf.memory().numTensors;
    const data = syntheticSet({ images: 12, captionsPerImage: 2, val: 4 });
    const atEpochEnd: number[] = [];
    const sims: BatchSimilarity[] = [];
    const insights: EvalInsights[] = [];
    const { steps, evals } = await train(data, small({ epochs: 3, augment: true }), {
      similarityEvery: 2,
      callbacks: {
        onCheckpoint: () => void atEpochEnd.push(tf.memory().numTensors),
        onSimilarity: (s) => void sims.push(s), // the insight callbacks add no tensors either
        onInsights: (i) => void insights.push(i),
      },
    });
    expect(steps.length).toBeGreaterThanOrEqual(9);
    expect(evals).toHaveLength(3);
    expect(sims.length).toBeGreaterThanOrEqual(4);
    expect(insights).toHaveLength(3);
    expect(atEpochEnd).toHaveLength(3);
    expect(atEpochEnd[2]).toBe(atEpochEnd[0]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports the batch similarity every N read steps and the map and mistakes after each evaluation', async () => {
    const data = syntheticSet({ images: 16, val: 4 }); // 12 train captions / batch 4 = 3 steps per epoch
    const sims: BatchSimilarity[] = [];
    const insights: EvalInsights[] = [];
    const { steps, evals } = await train(data, small({ epochs: 2 }), {
      similarityEvery: 2,
      callbacks: { onSimilarity: (s) => void sims.push(s), onInsights: (i) => void insights.push(i) },
    });
    expect(sims.map((s) => s.step)).toEqual([1, 3, 5]);
    for (const s of sims) {
      const m = steps[s.step - 1];
      expect(s.size).toBe(4);
      expect(s.sim).toHaveLength(16);
      const diag = s.sim.filter((_, k) => k % 5 === 0).reduce((a, b) => a + b) / 4;
      expect(diag).toBeCloseTo(m.posSim, 5); // the same cosines the step's metrics came from
      s.images.forEach((image, i) => expect(data.captions.some((c) => c.image === image && c.text === s.captions[i])).toBe(true));
    }
    expect(insights.map((i) => [i.step, i.epoch])).toEqual(evals.map((e) => [e.step, e.epoch]));
    const last = insights[1];
    expect(last.map.images).toHaveLength(4);
    expect(last.map.captions.length).toBe(evals[1].captions);
    expect(last.mistakes.length).toBe(4);
    for (const m of last.mistakes) expect(data.imageSplit[m.image]).toBe(1); // val images only
  });

  it('resumes exactly from a checkpoint taken on abort: same losses, weights and history', async () => {
    const data = syntheticSet({ images: 16, val: 4 });
    const config = small({ epochs: 2, augment: true }); // 12 train captions / 4 = 3 steps per epoch
    const full = await train(data, config, { convImpl: 'im2col' });
    expect(full.steps).toHaveLength(6);

    const controller = new AbortController();
    const first = await train(data, config, {
      convImpl: 'im2col',
      signal: controller.signal,
      callbacks: { onStep: (m) => m.step === 4 && controller.abort() },
    });
    expect(first.result).toMatchObject({ step: 4, epoch: 1, batchInEpoch: 1 });
    expect(first.phases.at(-1)).toEqual(['done', 'stopped at step 4']);

    const second = await train(data, config, { convImpl: 'im2col', resume: first.result });
    expect(second.steps.map((m) => m.step)).toEqual([5, 6]);
    expect(second.steps.map((m) => m.loss)).toEqual(full.steps.slice(4).map((m) => m.loss));
    expect(second.result.weights).toEqual(full.result.weights);
    expect(second.result.optimizer).toEqual(full.result.optimizer);
    expect(second.result.history.steps.map((m) => m.loss)).toEqual(full.result.history.steps.map((m) => m.loss));
    expect(second.result.history.evals).toHaveLength(2);
  });

  it('checkpoints every N steps and at each epoch end with the data-order cursor', async () => {
    const data = syntheticSet({ images: 16, val: 4 });
    const { checkpoints, result } = await train(data, small({ epochs: 2, checkpointEverySteps: 2 }), { datasetName: 'shapes' });
    expect(checkpoints.map((c) => [c.step, c.epoch, c.batchInEpoch])).toEqual([
      [2, 0, 2],
      [3, 1, 0],
      [4, 1, 1],
      [6, 2, 0],
    ]);
    expect(result).toMatchObject({ version: CHECKPOINT_VERSION, step: 6, epoch: 2, batchInEpoch: 0, datasetName: 'shapes' });
    expect(result.vocab.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    expect(Number.isNaN(Date.parse(result.createdAt))).toBe(false);
    expect(result.history.evals.map((e) => e.epoch)).toEqual([0, 1]);
  });

  it('reports phases, step metrics and evaluation metrics', async () => {
    const data = syntheticSet({ images: 16, captionsPerImage: 2, val: 4 });
    let pauses = 0;
    const { phases, steps, evals } = await train(data, small({ epochs: 1 }), { pause: async () => void pauses++, stepMetricsEvery: 2 });
    expect(phases.map((p) => p[0])).toEqual(['preparing', 'warmup', 'training', 'evaluating', 'training', 'done']);
    expect(pauses).toBe(6); // 24 train captions / 4
    expect(steps.map((m) => m.step)).toEqual([2, 4, 6]);
    for (const m of steps) {
      expect(m.msPerStep).toBeGreaterThan(0);
      expect(m.pairsPerSec).toBeCloseTo((4 * 1000) / m.msPerStep, 6);
      expect(m.logitScale).toBeCloseTo(1 / 0.07, 0);
      expect(m.matchAcc).not.toBeNull();
      expect(m.loss).toBeCloseTo(m.clipLoss + m.matchLoss!, 5);
    }
    expect(evals).toHaveLength(1);
    const e = evals[0];
    expect(e).toMatchObject({ step: 6, epoch: 0, images: 4, captions: 8 });
    for (const v of [e.i2t.r1, e.i2t.r10, e.t2i.r5, e.matchAcc!, e.auc!]) expect(v >= 0 && v <= 1).toBe(true);
    expect(e.i2t.r10).toBe(1); // only 4 images, 8 captions
    expect(e.valLoss).toBeGreaterThan(0);
  });

  it.each<[string, () => Promise<unknown>, string]>([
    [
      'a resumed run that changes the model',
      async () => {
        const data = syntheticSet({ images: 8 });
        const c = new AbortController();
        const ckpt = await runTraining(data, small(), { signal: c.signal, callbacks: { onStep: () => c.abort() } });
        return runTraining(data, small({ embedDim: 8 }), { resume: ckpt, callbacks: {} });
      },
      'resume-mismatch',
    ],
    ['no train captions', () => runTraining(syntheticSet({ images: 4, val: 4 }), small(), { callbacks: {} }), 'no-train-data'],
    [
      'inconsistent pixels',
      () => runTraining({ ...syntheticSet({ images: 4 }), pixels: new Uint8Array(5) }, small(), { callbacks: {} }),
      'bad-data',
    ],
  ])('refuses %s with TrainError', async (_, run, code) => {
    await expect(run()).rejects.toBeInstanceOf(TrainError);
    await expect(run()).rejects.toMatchObject({ code });
  });

  it.each<[string, Partial<TrainConfig>, number | undefined, { totalSteps: number; end: [number, number, number]; evalSteps: number[] }]>([
    ['epochs alone', { epochs: 2, warmupSteps: 0 }, undefined, { totalSteps: 6, end: [6, 2, 0], evalSteps: [3, 6] }],
    [
      'maxSteps mid-epoch, past config.epochs',
      { epochs: 1, evalEveryEpoch: false, warmupSteps: 0 },
      4,
      { totalSteps: 4, end: [4, 1, 1], evalSteps: [4] },
    ],
    ['maxSteps at an epoch end', { epochs: 5, warmupSteps: 0 }, 3, { totalSteps: 3, end: [3, 1, 0], evalSteps: [3] }],
  ])('owns the run shape (%s): onStart once, exact step count, evaluation at the end', async (_, o, maxSteps, want) => {
    const data = syntheticSet({ images: 16, val: 4 }); // 12 train captions / batch 4: 3 steps per epoch
    const starts: unknown[] = [];
    const { result, steps, evals } = await train(data, small(o), { maxSteps, callbacks: { onStart: (s) => starts.push(s) } });
    expect(starts).toEqual([{ totalSteps: want.totalSteps, stepsPerEpoch: 3 }]);
    expect([result.step, result.epoch, result.batchInEpoch]).toEqual(want.end);
    expect(steps).toHaveLength(want.end[0]);
    expect(evals.map((e) => e.step)).toEqual(want.evalSteps);
    expect(steps.at(-1)!.lr).toBeLessThan(steps[1].lr); // the cosine schedule spans totalSteps
  });

  it.each([0, -1, 2.5])('refuses maxSteps %s with TrainError bad-option', async (maxSteps) => {
    await expect(runTraining(syntheticSet({ images: 8 }), small(), { maxSteps, callbacks: {} })).rejects.toMatchObject({
      name: 'TrainError',
      code: 'bad-option',
    });
  });

  it('refuses a batch larger than the number of train images', async () => {
    await expect(runTraining(syntheticSet({ images: 3 }), small(), { callbacks: {} })).rejects.toBeInstanceOf(BatchError);
  });
});
