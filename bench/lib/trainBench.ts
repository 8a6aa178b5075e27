// Training throughput with the app's own loop: runTraining on a synthetic set, warm-up (gradients,
// shader compile) and the first optimiser step timed apart, then N timed steps or until a time
// budget runs out. Backend-agnostic: the caller has already chosen and initialised the backend.

import * as tf from '@tensorflow/tfjs';
import { withOverrides, type PresetName } from '../../src/config';
import type { ConvImpl } from '../../src/model/layers';
import { runTraining } from '../../src/train/trainer';
import { summarize, type Summary } from './stats';
import { syntheticTrainingSet } from './synthetic';

export interface TrainBenchOptions {
  preset: PresetName;
  convImpl: ConvImpl;
  timedSteps: number; // steps timed after the first
  maxSeconds: number; // stop timing once the next step would pass this (at least one timed step when the first fits)
}

export interface TrainBenchResult {
  preset: PresetName;
  convImpl: ConvImpl;
  batchSize: number;
  prepareMs: number; // tokenizer, token ids, pixel layout
  warmupMs: number; // runTraining's warm-up: forward + backward once (compiles shaders on GPU backends)
  firstStepMs: number; // the first optimiser step (its update kernels compile here)
  stepMs: number[]; // each timed step, read-back of the step's metrics included
  cpuMs: number[]; // this process's CPU time over each timed step (Node only: process.cpuUsage; empty in a page)
  step: Summary;
  pairsPerSec: number; // batchSize / median step
  numTensors: number[]; // tf.memory().numTensors after each step (flat = no leak)
  losses: number[];
  stoppedBy: 'steps' | 'time';
}

export async function benchTraining(opts: TrainBenchOptions): Promise<TrainBenchResult> {
  const config = withOverrides(opts.preset, { epochs: 1, evalEveryEpoch: false });
  // 64 images per batch slot and 5 captions each: an epoch holds far more steps than are timed.
  const data = syntheticTrainingSet(config, { images: Math.max(256, 4 * config.batchSize), captionsPerImage: 5 });
  const abort = new AbortController();
  const marks: Record<string, number> = {};
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  const cpuNow = () => {
    const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage?.();
    return usage ? (usage.user + usage.system) / 1000 : NaN;
  };
  let cpuMark = NaN;
  const numTensors: number[] = [];
  const losses: number[] = [];
  let firstStepMs = NaN;
  let stoppedBy: TrainBenchResult['stoppedBy'] = 'steps';
  await runTraining(data, config, {
    signal: abort.signal,
    convImpl: opts.convImpl,
    stepMetricsEvery: 1,
    callbacks: {
      onPhase: (phase) => (marks[phase] ??= performance.now()),
      onStep: (m) => {
        numTensors.push(tf.memory().numTensors);
        losses.push(m.loss);
        const cpu = cpuNow();
        if (m.step === 1) firstStepMs = m.msPerStep;
        else {
          stepMs.push(m.msPerStep);
          if (Number.isFinite(cpu - cpuMark)) cpuMs.push(cpu - cpuMark);
        }
        cpuMark = cpu;
        const spent = stepMs.reduce((a, b) => a + b, 0) + firstStepMs;
        const next = stepMs.at(-1) ?? firstStepMs;
        if (stepMs.length >= opts.timedSteps) abort.abort();
        else if (spent + next > opts.maxSeconds * 1000 && (stepMs.length > 0 || firstStepMs > opts.maxSeconds * 1000)) {
          stoppedBy = 'time';
          abort.abort();
        }
      },
    },
  }).catch((err: unknown) => {
    if (!abort.signal.aborted) throw err; // after the abort only the final snapshot is left, and it is not used
  });
  const step = summarize(stepMs);
  return {
    preset: opts.preset,
    convImpl: opts.convImpl,
    batchSize: config.batchSize,
    prepareMs: marks.warmup - marks.preparing,
    warmupMs: marks.training - marks.warmup,
    firstStepMs,
    stepMs,
    cpuMs,
    step,
    pairsPerSec: (1000 * config.batchSize) / (stepMs.length ? step.median : firstStepMs),
    numTensors,
    losses,
    stoppedBy,
  };
}
