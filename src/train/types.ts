// What the training loop reports and saves: per-step and per-evaluation metrics, their history,
// and the versioned Checkpoint (config, vocab, data-order cursor, weights, optimizer state).
import { LabError } from '../errors';
import type { TrainConfig } from '../config';
import type { RetrievalMetrics } from '../model/metrics';
import type { SerializedTensor } from '../model/params';
import type { BatchSimilarity, EvalInsights } from './insights';

export type { SerializedTensor } from '../model/params';

export interface StepMetrics {
  step: number; // optimiser steps completed, 1-based
  epoch: number; // 0-based epoch the step ran in
  loss: number; // clipLoss + matchLossWeight * matchLoss
  clipLoss: number;
  matchLoss: number | null; // null without a match classifier
  accI2T: number; // in-batch: image finds its caption (strict argmax)
  accT2I: number;
  matchAcc: number | null; // classifier accuracy on the batch's positives and negatives (balanced)
  posSim: number; // mean cosine of matching pairs
  negSim: number; // mean cosine of non-matching in-batch pairs; the gap to posSim is what matters
  logitScale: number; // exp(logit_scale): the multiplier, at most 100
  lr: number;
  pairsPerSec: number;
  msPerStep: number; // wall time per step over the steps since the last report
}

/**
 * The match classifier on val pairs (each image's own captions vs one hard and one random wrong
 * caption per image; wrong = no caption of the image has the same text), beside plain cosine on
 * the very same pairs, and its calibration.
 */
export interface MatchEvalMetrics {
  aucRandom: number; // classifier ROC AUC: positives vs random wrong captions
  aucHard: number; // positives vs each image's most similar wrong caption
  cosineAuc: number; // plain cosine on all the pairs `auc` uses; a classifier below it is broken
  cosineAucRandom: number;
  cosineAucHard: number;
  ece: number; // expected calibration error of sigmoid(logit), 10 equal-width bins
  eceCalibrated: number; // ECE of the calibrated P, 2-fold cross-fitted by image (held out); stacked, or Platt in older histories
  plattA: number; // Platt scaling of the logit alone, fitted on all val pairs: P = sigmoid(plattA * logit + plattB)
  plattB: number;
  // The stacked calibration (model/stackedCalibration.ts), fitted on all val pairs: P = sigmoid(stackWz·logit + stackWc·cosine + stackB).
  // It and the AUCs below are absent in histories saved before it existed.
  stackWz?: number;
  stackWc?: number;
  stackB?: number;
  calibratedAucRandom?: number; // ROC AUC of the calibrated P, held out as eceCalibrated: positives vs random wrong captions
  calibratedAucHard?: number; // … vs each image's hardest wrong caption
  binCount: number[]; // reliability bins of the calibrated P (10 equal-width bins over [0, 1])
  binConfidence: (number | null)[]; // mean calibrated P per bin (null when empty)
  binAccuracy: (number | null)[]; // share of true matches per bin (null when empty)
}

export interface EvalMetrics {
  step: number;
  epoch: number; // the epoch that just ended, 0-based
  valLoss: number; // clipLoss over val batches (one caption per image per batch)
  i2t: RetrievalMetrics; // image query: a hit when ANY of its captions is retrieved
  t2i: RetrievalMetrics; // caption query: its one image
  matchAcc: number | null; // balanced, threshold P = 0.5; null without a match classifier
  auc: number | null; // classifier ROC AUC on all val pairs (positives vs hard and random wrong captions)
  match: MatchEvalMetrics | null; // null without a match classifier (and in histories saved before it existed)
  images: number; // val images evaluated
  captions: number;
}

export interface MetricsHistory {
  steps: StepMetrics[];
  evals: EvalMetrics[];
}

/**
 * The match classifier's calibration, fitted on val pairs at one evaluation: 'stacked' weighs the
 * raw logit and the plain cosine, P(match) = sigmoid(wz · logit + wc · cosine + b); 'platt' (older
 * checkpoints and files) is P(match) = sigmoid(a · logit + b). Without one: uncalibrated.
 */
export type Calibration = ({ method: 'stacked'; wz: number; wc: number; b: number } | { method: 'platt'; a: number; b: number }) & {
  step: number; // the evaluation it was fitted at
  eceCalibrated: number; // held-out ECE after calibration at that evaluation (NaN when unknown)
};

/** Format version of Checkpoint; a new layout gets a new number, this one is never changed in place. */
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  version: typeof CHECKPOINT_VERSION;
  config: TrainConfig;
  vocab: string[];
  step: number; // optimiser steps completed
  epoch: number; // data-order cursor: the next batch is plan(epoch)[batchInEpoch]
  batchInEpoch: number;
  weights: SerializedTensor[];
  optimizer: SerializedTensor[]; // AdamW moments 'm/<name>', 'v/<name>' and 'step'
  history: MetricsHistory;
  datasetName: string;
  createdAt: string; // ISO 8601
  calibration?: Calibration | null; // the latest evaluation's; absent in older checkpoints: uncalibrated
}

export type TrainPhase = 'preparing' | 'warmup' | 'training' | 'evaluating' | 'done';

/** How long a run is, decided by the trainer once its data is prepared. */
export interface RunShape {
  totalSteps: number; // the LR schedule's length and the progress bar's end
  stepsPerEpoch: number; // nominal: an epoch's plan may hold one batch fewer
}

export interface TrainCallbacks {
  onStart?(shape: RunShape): void;
  onPhase?(phase: TrainPhase, detail?: string): void;
  onStep?(m: StepMetrics): void;
  onEval?(m: EvalMetrics): void;
  onSimilarity?(s: BatchSimilarity): void; // the batch's cosine matrix, every similarityEvery read steps
  onInsights?(i: EvalInsights): void; // embedding map and worst mistakes, after each evaluation
  onCheckpoint?(c: Checkpoint): void | Promise<void>;
}

// 'device-lost': the WebGPU device was lost mid-run; 'bad-option': a runTraining option out of range.
export type TrainErrorCode =
  | 'no-train-data'
  | 'bad-data'
  | 'bad-option'
  | 'resume-mismatch'
  | 'bad-checkpoint'
  | 'not-finite'
  | 'device-lost';

export class TrainError extends LabError<TrainErrorCode> {
  override readonly name = 'TrainError';
}
