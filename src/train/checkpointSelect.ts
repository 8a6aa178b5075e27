// Which evaluation of a run is best, and whether the run is overfitting: pure functions over the
// metrics history, so the trainer can keep the best checkpoint beside the last and the Train tab
// can warn while it happens.

import type { Calibration, EvalMetrics, MetricsHistory, StepMetrics } from './types';

export type SelectionMetric = 'meanR5' | 'meanR1' | 'meanR10' | 'valLoss' | 'auc';

/** Readable names of the metrics, for a line like "best by mean R@5 (both ways)". */
export const SELECTION_METRIC_LABEL: Readonly<Record<SelectionMetric, string>> = Object.freeze({
  meanR5: 'mean R@5 (image→text, text→image)',
  meanR1: 'mean R@1 (image→text, text→image)',
  meanR10: 'mean R@10 (image→text, text→image)',
  valLoss: 'val loss',
  auc: 'classifier ROC AUC',
});

/** The value of `metric` in one evaluation (higher is better, except valLoss); NaN when missing. */
export function metricValue(e: EvalMetrics, metric: SelectionMetric): number {
  switch (metric) {
    case 'meanR1':
      return (e.i2t.r1 + e.t2i.r1) / 2;
    case 'meanR5':
      return (e.i2t.r5 + e.t2i.r5) / 2;
    case 'meanR10':
      return (e.i2t.r10 + e.t2i.r10) / 2;
    case 'valLoss':
      return e.valLoss;
    case 'auc':
      return e.auc ?? NaN;
  }
}

export interface BestEval {
  index: number; // into the evals list
  step: number;
  epoch: number;
  metric: SelectionMetric;
  value: number;
  isLast: boolean; // the last evaluation is the best: the last checkpoint is the best one
  reason: string; // one line for the UI, e.g. "step 900 (epoch 3): best mean R@5 … 0.212"
}

/**
 * The best evaluation by `metric` (higher is better; for valLoss lower); ties, and NaN values of
 * the metric, are decided by the lower val loss, then by the later step. null for no evaluations.
 */
export function bestEval(evals: readonly EvalMetrics[], metric: SelectionMetric = 'meanR5'): BestEval | null {
  if (evals.length === 0) return null;
  const sign = metric === 'valLoss' ? -1 : 1;
  const key = (e: EvalMetrics) => {
    const v = sign * metricValue(e, metric);
    return Number.isNaN(v) ? -Infinity : v;
  };
  const loss = (e: EvalMetrics) => (Number.isNaN(e.valLoss) ? Infinity : e.valLoss);
  let best = 0;
  evals.forEach((e, i) => {
    const b = evals[best];
    if (key(e) > key(b) || (key(e) === key(b) && loss(e) <= loss(b))) best = i;
  });
  const e = evals[best];
  const value = metricValue(e, metric);
  return {
    index: best,
    step: e.step,
    epoch: e.epoch,
    metric,
    value,
    isLast: best === evals.length - 1,
    reason:
      `step ${e.step} (epoch ${e.epoch + 1}): best ${SELECTION_METRIC_LABEL[metric]} ${value.toFixed(3)}` +
      (metric === 'valLoss' ? '' : `, val loss ${e.valLoss.toFixed(3)}`),
  };
}

export interface OverfittingWarning {
  code: 'overfitting';
  sinceStep: number; // the evaluation after which val loss began to rise
  evaluations: number; // consecutive rising evaluations
  valLoss: { from: number; to: number };
  trainLoss: { from: number; to: number };
  message: string;
  suggestion: string;
}

/** Mean training loss of the steps in (afterStep, upToStep]; NaN when none was recorded. */
function meanTrainLoss(steps: readonly StepMetrics[], afterStep: number, upToStep: number): number {
  let sum = 0;
  let n = 0;
  for (const s of steps) {
    if (s.step > afterStep && s.step <= upToStep && Number.isFinite(s.loss)) (sum += s.loss), n++;
  }
  return n ? sum / n : NaN;
}

/**
 * Warns when val loss rose at each of the last `patience` evaluations while the training loss
 * (mean over the steps between evaluations) fell over the same span; null otherwise.
 */
export function detectOverfitting(history: MetricsHistory, patience = 2): OverfittingWarning | null {
  if (!Number.isInteger(patience) || patience < 1)
    throw new RangeError(`detectOverfitting: expected patience an integer >= 1, found ${patience}`);
  const { evals, steps } = history;
  if (evals.length < patience + 1) return null;
  const span = evals.slice(-(patience + 1)); // patience rises need patience + 1 evaluations
  for (let k = 1; k < span.length; k++) if (!(span[k].valLoss > span[k - 1].valLoss)) return null;
  const first = span[0];
  const last = span[span.length - 1];
  const before = evals.length > patience + 1 ? evals[evals.length - patience - 2].step : 0;
  const trainFrom = meanTrainLoss(steps, before, first.step);
  const trainTo = meanTrainLoss(steps, span[span.length - 2].step, last.step);
  if (!(trainTo < trainFrom)) return null;
  return {
    code: 'overfitting',
    sinceStep: first.step,
    evaluations: patience,
    valLoss: { from: first.valLoss, to: last.valLoss },
    trainLoss: { from: trainFrom, to: trainTo },
    message:
      `Overfitting: val loss rose ${patience} evaluations in a row (${first.valLoss.toFixed(3)} → ${last.valLoss.toFixed(3)}) ` +
      `while the training loss fell (${trainFrom.toFixed(3)} → ${trainTo.toFixed(3)}).`,
    suggestion:
      'The model is memorising the training pairs: use the best checkpoint, train fewer epochs, turn augmentation on, ' +
      'or use a pretrained image tower.',
  };
}

/**
 * The calibration of the latest evaluation that fitted one: its stacked calibration (finite wz,
 * wc, b), else (histories from before it) its Platt scaling (finite a, b); null when none did.
 */
export function latestCalibration(evals: readonly EvalMetrics[]): Calibration | null {
  for (let k = evals.length - 1; k >= 0; k--) {
    const m = evals[k].match;
    if (!m) continue;
    const { step } = evals[k];
    const { stackWz: wz, stackWc: wc, stackB: b, eceCalibrated } = m;
    if (Number.isFinite(wz) && Number.isFinite(wc) && Number.isFinite(b)) {
      return { method: 'stacked', wz: wz!, wc: wc!, b: b!, step, eceCalibrated };
    }
    if (Number.isFinite(m.plattA) && Number.isFinite(m.plattB)) return { method: 'platt', a: m.plattA, b: m.plattB, step, eceCalibrated };
  }
  return null;
}
