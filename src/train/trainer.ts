// The training loop, flat from top to bottom: prepare data, build (or restore) the image tower
// (CNN or cached backbone features: towers.ts) and AdamW,
// warm up, then epochs of steps with warm-up + cosine LR, val evaluation at each epoch end and
// checkpoints. It reports through callbacks, stops on an AbortSignal and knows nothing of workers.

import { validateConfig, type TrainConfig } from '../config';
import { CaptionBatcher } from '../data/batches';
import type { TrainingSet } from '../data/types';
import type { ConvImpl } from '../model/layers';
import { latestCalibration } from './checkpointSelect';
import { evaluate } from './evaluate';
import { AdamW } from './optimizer';
import { evalInsights, type BatchSimilarity, type EvalEmbeddings } from './insights';
import { prepareData } from './prepare';
import { learningRateAt } from './schedule';
import { readStep, summarizeStep } from './step';
import { cnnTower, featureTower, type RunFeatures } from './towers';
import { CHECKPOINT_VERSION, TrainError, type Checkpoint, type MetricsHistory, type RunShape, type TrainCallbacks } from './types';

export interface TrainOptions {
  signal?: AbortSignal;
  callbacks: TrainCallbacks;
  resume?: Checkpoint;
  pause?: () => Promise<void>; // awaited between steps; resolve it on abort too
  convImpl?: ConvImpl; // default 'conv2d'; 'im2col' on wasm
  stepMetricsEvery?: number; // read metrics back every N steps (default 1)
  datasetName?: string; // default data.name
  maxSteps?: number; // the run's length in optimiser steps, instead of config.epochs (evaluates at the end)
  similarityEvery?: number; // onSimilarity at every Nth step whose metrics are read (default 10; the first read step too)
  features?: RunFeatures; // the cached backbone features: required when config.imageTower is 'backbone'
}

/**
 * Fields a resumed run may change: they decide how long and how often, not what is trained.
 * (More epochs also stretch the cosine schedule from the resumed step on: exact only when unchanged.)
 */
const RUN_LENGTH_FIELDS: readonly (keyof TrainConfig)[] = ['epochs', 'evalEveryEpoch', 'maxEvalImages', 'checkpointEverySteps'];

/** The config a resumed run uses; throws TrainError unless `config` matches the checkpoint's. */
export function resumeConfig(resume: Checkpoint, config: TrainConfig): TrainConfig {
  if (resume.version !== CHECKPOINT_VERSION) {
    throw new TrainError('bad-checkpoint', `checkpoint: expected format version ${CHECKPOINT_VERSION}, found ${String(resume.version)}`);
  }
  const saved = validateConfig(resume.config);
  const wanted = validateConfig(config);
  for (const key of Object.keys(saved) as (keyof TrainConfig)[]) {
    if (RUN_LENGTH_FIELDS.includes(key) || JSON.stringify(saved[key]) === JSON.stringify(wanted[key])) continue;
    throw new TrainError(
      'resume-mismatch',
      `config.${key}: the checkpoint was trained with ${JSON.stringify(saved[key])}, this run asks for ${JSON.stringify(wanted[key])}`,
    );
  }
  return wanted;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Trains on `data` (or continues `opts.resume` exactly: same batch order, weights, optimizer
 * state and history) and resolves with the final state as a Checkpoint. On abort it resolves
 * promptly with the state after the last completed step.
 */
export async function runTraining(data: TrainingSet, config: TrainConfig, opts: TrainOptions): Promise<Checkpoint> {
  const { signal, resume, callbacks: cb } = opts;
  const cfg = resume ? resumeConfig(resume, config) : validateConfig(config);
  const every = opts.stepMetricsEvery ?? 1;
  cb.onPhase?.('preparing', `${data.captions.length} captions, ${data.imageNames.length} images at ${cfg.imageSize}px`);
  const prep = prepareData(data, cfg, resume?.vocab);
  const batcher = new CaptionBatcher(prep.captionImage, prep.trainIds, cfg.batchSize, cfg.seed);
  const maxSteps = opts.maxSteps;
  if (maxSteps !== undefined && !(Number.isInteger(maxSteps) && maxSteps >= 1)) {
    throw new TrainError('bad-option', `maxSteps: expected a whole number ≥ 1, found ${maxSteps}`);
  }
  // The run's shape, computed here only: the LR schedule, the UI's progress and the CLI read it.
  const shape: RunShape = {
    stepsPerEpoch: batcher.nominalBatchesPerEpoch,
    totalSteps: maxSteps ?? cfg.epochs * batcher.nominalBatchesPerEpoch,
  };
  const { totalSteps } = shape;
  if (cfg.imageTower === 'backbone' && !opts.features) {
    throw new TrainError('bad-option', "features: expected the backbone's cached features for an imageTower 'backbone' run, found none");
  }
  const tower = cfg.imageTower === 'backbone' ? featureTower(prep, cfg, opts.features!) : cnnTower(prep, cfg, opts.convImpl);
  const { model } = tower;
  cb.onStart?.(shape);
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: cfg.adamEpsilon, weightDecay: cfg.weightDecay });
  try {
    if (resume) {
      model.setWeights(resume.weights);
      optimizer.setState(resume.optimizer);
    }
    let step = resume?.step ?? 0;
    let epoch = resume?.epoch ?? 0;
    let batchInEpoch = resume?.batchInEpoch ?? 0;
    const history: MetricsHistory = { steps: [...(resume?.history.steps ?? [])], evals: [...(resume?.history.evals ?? [])] };
    const snapshot = async (): Promise<Checkpoint> => {
      const calibration = latestCalibration(history.evals); // P(match) as Use shows it: sigmoid(wz · logit + wc · cosine + b)
      return {
        version: CHECKPOINT_VERSION,
        config: cfg,
        vocab: [...prep.tokenizer.vocab],
        step,
        epoch,
        batchInEpoch,
        weights: await model.getWeights(),
        optimizer: await optimizer.getState(),
        history: { steps: history.steps.slice(), evals: history.evals.slice() },
        datasetName: opts.datasetName ?? data.name,
        createdAt: new Date().toISOString(),
        ...(calibration ? { calibration } : {}),
      };
    };
    const stopped = async (): Promise<Checkpoint> => {
      cb.onPhase?.('done', `stopped at step ${step}`);
      return snapshot();
    };

    // With maxSteps the run ends at that step, in whichever epoch; otherwise after cfg.epochs epochs.
    const more = () => (maxSteps !== undefined ? step < maxSteps : epoch < cfg.epochs);
    if (more()) {
      cb.onPhase?.('warmup', 'compiling the training step');
      await tower.warmup(batcher.plan(epoch)[0]); // a plan always holds a batch
      cb.onPhase?.('training', maxSteps !== undefined ? `${totalSteps} steps` : `${totalSteps} steps in ${cfg.epochs} epochs`);
    }
    let clock = { time: performance.now(), step };
    let reads = 0; // steps read back in this call: the similarity matrix goes out at every simEvery-th
    const simEvery = Math.max(1, opts.similarityEvery ?? 10);
    // The batch's cosines were read back with the step's metrics: no extra device work.
    const batchSimilarity = (at: number, sim: Float32Array, ids: readonly number[]): BatchSimilarity => ({
      step: at,
      size: ids.length,
      sim: Array.from(sim),
      images: ids.map((id) => prep.captionImage[id]),
      captions: ids.map((id) => data.captions[id].text),
    });
    while (more()) {
      const plan = batcher.plan(epoch);
      while (batchInEpoch < plan.length && more()) {
        if (signal?.aborted) return await stopped();
        const pausedAt = performance.now();
        await opts.pause?.();
        clock.time += performance.now() - pausedAt; // time spent paused is not step time
        if (signal?.aborted) return await stopped();
        const lr = learningRateAt(step, {
          learningRate: cfg.learningRate,
          warmupSteps: cfg.warmupSteps,
          totalSteps,
          schedule: cfg.lrSchedule,
        });
        const read = (step + 1) % every === 0;
        const captionIds = plan[batchInEpoch];
        const packed = tower.step(optimizer, captionIds, { lr, step, read });
        step++;
        batchInEpoch++;
        if (packed) {
          const readout = await readStep(packed, cfg.batchSize);
          if (!Number.isFinite(readout.loss)) throw new TrainError('not-finite', `step ${step}: the loss became ${readout.loss}`);
          const now = performance.now();
          const m = summarizeStep(readout, cfg.batchSize, { step, epoch, lr, msPerStep: (now - clock.time) / (step - clock.step) });
          clock = { time: now, step };
          history.steps.push(m);
          cb.onStep?.(m);
          if (cb.onSimilarity && reads++ % simEvery === 0) cb.onSimilarity(batchSimilarity(step, readout.sim, captionIds));
        }
        if (step % cfg.checkpointEverySteps === 0 && batchInEpoch < plan.length && more()) {
          await cb.onCheckpoint?.(await snapshot()); // at an epoch's end the epoch checkpoint follows instead
          clock = { time: performance.now(), step };
        }
        await yieldToEventLoop(); // let a worker receive pause / stop messages
      }
      const epochEnded = batchInEpoch >= plan.length; // else maxSteps ended the run mid-epoch
      const last = maxSteps !== undefined ? step >= maxSteps : epoch === cfg.epochs - 1;
      if (cfg.evalEveryEpoch || last) {
        cb.onPhase?.('evaluating', `epoch ${epoch + 1}: ${prep.evalSet.imageIds.length} val images`);
        const { imageIds, captionIds } = prep.evalSet;
        const labels = { images: imageIds, captions: captionIds.map((id) => data.captions[id].text) };
        const onEmbeddings = cb.onInsights && ((e: EvalEmbeddings) => cb.onInsights!(evalInsights(e, labels, { step, epoch })));
        const metrics = await evaluate(model, prep.evalSet, {
          step,
          epoch,
          batchSize: cfg.batchSize,
          seed: cfg.seed,
          signal,
          onEmbeddings: onEmbeddings || undefined,
          embedImages: tower.embedImages,
        });
        if (signal?.aborted) return await stopped(); // the cursor still points past this epoch's last batch: resume evaluates again
        if (metrics) {
          history.evals.push(metrics);
          cb.onEval?.(metrics);
        }
        cb.onPhase?.('training', metrics ? undefined : 'no val images with captions: evaluation skipped');
      }
      if (epochEnded) {
        epoch++;
        batchInEpoch = 0;
      }
      await cb.onCheckpoint?.(await snapshot());
      clock = { time: performance.now(), step };
    }
    cb.onPhase?.('done', `${step} steps`);
    return await snapshot();
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
