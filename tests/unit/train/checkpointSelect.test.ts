import { describe, expect, it } from 'vitest';
import { bestEval, detectOverfitting, latestCalibration, metricValue } from '../../../src/train/checkpointSelect';
import type { EvalMetrics, MatchEvalMetrics, MetricsHistory, StepMetrics } from '../../../src/train/types';

function ev(step: number, valLoss: number, r5: [number, number], auc: number | null = 0.7): EvalMetrics {
  const scores = (r: number) => ({ r1: r / 4, r5: r, r10: Math.min(1, r * 1.5), medianRank: 10 });
  return {
    step,
    epoch: step / 100 - 1,
    valLoss,
    i2t: scores(r5[0]),
    t2i: scores(r5[1]),
    matchAcc: null,
    auc,
    match: null,
    images: 50,
    captions: 250,
  };
}

function st(step: number, loss: number): StepMetrics {
  return {
    step,
    epoch: 0,
    loss,
    clipLoss: loss,
    matchLoss: null,
    accI2T: 0,
    accT2I: 0,
    matchAcc: null,
    posSim: 0,
    negSim: 0,
    logitScale: 14,
    lr: 1e-3,
    pairsPerSec: 1,
    msPerStep: 1,
  };
}

describe('bestEval', () => {
  const evals = [ev(100, 2.0, [0.1, 0.1]), ev(200, 1.8, [0.3, 0.2]), ev(300, 1.9, [0.2, 0.3]), ev(400, 2.5, [0.2, 0.1])];

  it.each([
    ['meanR5', 1, 0.25], // 200 and 300 tie at 0.25: the lower val loss (200) wins
    ['valLoss', 1, 1.8],
    ['meanR1', 1, 0.0625],
  ] as const)('by %s: eval %i (value %f)', (metric, index, value) => {
    const best = bestEval(evals, metric)!;
    expect(best.index).toBe(index);
    expect(best.step).toBe(evals[index].step);
    expect(best.value).toBeCloseTo(value, 12);
    expect(best.isLast).toBe(false);
  });

  it('says why in one line and marks the last eval when it is the best', () => {
    expect(bestEval(evals)!.reason).toBe('step 200 (epoch 2): best mean R@5 (image→text, text→image) 0.250, val loss 1.800');
    expect(bestEval(evals.slice(0, 2))!.isLast).toBe(true);
    expect(bestEval([])).toBeNull();
  });

  it('an exact tie on metric and val loss goes to the later step; NaN metrics lose', () => {
    expect(bestEval([ev(100, 1, [0.2, 0.2]), ev(200, 1, [0.2, 0.2])])!.step).toBe(200);
    expect(bestEval([ev(100, 1, [0.2, 0.2], null), ev(200, 3, [0.1, 0.1], 0.6)], 'auc')!.step).toBe(200);
    expect(metricValue(ev(1, 1, [0, 0], null), 'auc')).toBeNaN();
  });
});

describe('detectOverfitting', () => {
  const steps = Array.from({ length: 400 }, (_, k) => st(k + 1, 3 - k / 200)); // train loss falls all along

  it.each([
    ['val loss rises twice while train loss falls', [2.0, 1.8, 1.9, 2.1], 2, true],
    ['one rise is not enough for patience 2', [2.0, 1.8, 1.7, 1.9], 2, false],
    ['patience 1 warns on one rise', [2.0, 1.8, 1.7, 1.9], 1, true],
    ['a flat val loss is not a rise', [2.0, 1.8, 1.8, 1.9], 2, false],
    ['too few evaluations', [2.0, 2.1], 2, false],
  ])('%s', (_name, losses, patience, warns) => {
    const history: MetricsHistory = { steps, evals: losses.map((l, k) => ev(100 * (k + 1), l, [0.1, 0.1])) };
    const w = detectOverfitting(history, patience);
    expect(w !== null).toBe(warns);
    if (w) {
      expect(w.code).toBe('overfitting');
      expect(w.evaluations).toBe(patience);
      expect(w.valLoss.to).toBe(losses[losses.length - 1]);
      expect(w.trainLoss.to).toBeLessThan(w.trainLoss.from);
      expect(w.message).toMatch(/val loss rose/);
      expect(w.suggestion).toMatch(/best checkpoint/);
    }
  });

  it('does not warn when the training loss rises too (divergence, not overfitting)', () => {
    const rising = Array.from({ length: 400 }, (_, k) => st(k + 1, 1 + k / 200));
    const history: MetricsHistory = { steps: rising, evals: [2.0, 1.8, 1.9, 2.1].map((l, k) => ev(100 * (k + 1), l, [0.1, 0.1])) };
    expect(detectOverfitting(history, 2)).toBeNull();
  });

  it('refuses a patience below 1', () => {
    expect(() => detectOverfitting({ steps: [], evals: [] }, 0)).toThrow(/expected patience an integer >= 1, found 0/);
  });
});

describe('latestCalibration', () => {
  const match = (plattA: number, plattB: number): MatchEvalMetrics => ({
    aucRandom: 0.9,
    aucHard: 0.7,
    cosineAuc: 0.8,
    cosineAucRandom: 0.85,
    cosineAucHard: 0.6,
    ece: 0.1,
    eceCalibrated: 0.03,
    plattA,
    plattB,
    binCount: [],
    binConfidence: [],
    binAccuracy: [],
  });
  const stacked = (wz: number, wc: number, b: number): MatchEvalMetrics => ({ ...match(1.5, -0.5), stackWz: wz, stackWc: wc, stackB: b });
  const withMatch = (step: number, m: MatchEvalMetrics | null): EvalMetrics => ({ ...ev(step, 1, [0.1, 0.1]), match: m });

  it.each([
    ['no evaluations', [], null],
    ['evaluations without a classifier', [withMatch(100, null)], null],
    [
      'the latest fitted one',
      [withMatch(100, match(1.5, -0.5)), withMatch(200, match(2, 0.25))],
      { method: 'platt', a: 2, b: 0.25, step: 200, eceCalibrated: 0.03 },
    ],
    [
      'an earlier one when the latest has none',
      [withMatch(100, match(1.5, -0.5)), withMatch(200, null)],
      { method: 'platt', a: 1.5, b: -0.5, step: 100, eceCalibrated: 0.03 },
    ],
    [
      'a finite one past a non-finite fit',
      [withMatch(100, match(1.5, -0.5)), withMatch(200, match(NaN, 0))],
      { method: 'platt', a: 1.5, b: -0.5, step: 100, eceCalibrated: 0.03 },
    ],
    [
      'the stacked one over Platt when the evaluation fitted both',
      [withMatch(100, match(1.5, -0.5)), withMatch(200, stacked(-0.1, 0.7, -2.5))],
      { method: 'stacked', wz: -0.1, wc: 0.7, b: -2.5, step: 200, eceCalibrated: 0.03 },
    ],
    [
      'Platt of a history saved before the stacked one existed, when it is the latest',
      [withMatch(100, stacked(0.2, 0.5, 1)), withMatch(200, match(2, 0.25))],
      { method: 'platt', a: 2, b: 0.25, step: 200, eceCalibrated: 0.03 },
    ],
    [
      'Platt of the same evaluation when the stacked fit is not finite',
      [withMatch(200, stacked(NaN, 0.5, 1))],
      { method: 'platt', a: 1.5, b: -0.5, step: 200, eceCalibrated: 0.03 },
    ],
  ])('%s', (_what, evals, expected) => {
    expect(latestCalibration(evals as EvalMetrics[])).toEqual(expected);
  });
});
