import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { fitPlatt, sigmoid } from '../../../src/model/calibration';
import { fitLogistic, logisticNll } from '../../../src/model/logistic';

/** n rows of p inputs ~ U(-2, 2) · scales, labels drawn from sigmoid(truth · x + bias). */
function logisticData(n: number, seed: number, truth: number[], bias: number, scales = truth.map(() => 1)) {
  const random = mulberry32(seed);
  const p = truth.length;
  const rows = new Float64Array(n * p);
  const labels: number[] = [];
  for (let r = 0; r < n; r++) {
    let s = bias;
    for (let k = 0; k < p; k++) s += truth[k] * (rows[r * p + k] = (random() * 4 - 2) * scales[k]);
    labels.push(random() < sigmoid(s) ? 1 : 0);
  }
  return { rows, labels };
}

describe('fitLogistic', () => {
  it.each([
    [1, [2, -3], 0.5],
    [2, [0.5, 1.5, -1], -1],
    [3, [3, 0, 0], 0], // two inputs carry nothing
  ])('seed %i: recovers weights %j and bias %f, and beats the truth in-sample', (seed, truth, bias) => {
    const { rows, labels } = logisticData(6000, seed, truth, bias);
    const fit = fitLogistic(rows, labels, truth.length, { l2: 0 });
    truth.forEach((w, k) => expect(Math.abs(fit.weights[k] - w)).toBeLessThan(0.25 * Math.max(1, Math.abs(w))));
    expect(Math.abs(fit.bias - bias)).toBeLessThan(0.2);
    expect(fit.nll).toBeLessThanOrEqual(logisticNll({ weights: truth, bias }, rows, labels) + 1e-9);
  });

  it('lowers NLL below Platt on the first input when the other inputs matter', () => {
    const { rows, labels } = logisticData(4000, 11, [1.5, -2, 1], 0.3);
    const first = Array.from({ length: labels.length }, (_, r) => rows[r * 3]);
    const platt = fitPlatt(first, labels);
    const stacked = fitLogistic(rows, labels, 3);
    expect(stacked.nll).toBeLessThan(platt.nll - 0.05);
  });

  it.each([1, 2, 3])('seed %i: with one input it is Platt scaling (same a, b, NLL)', (seed) => {
    const { rows, labels } = logisticData(3000, seed, [0.7], -1.2, [3]);
    const platt = fitPlatt(rows, labels);
    const fit = fitLogistic(rows, labels, 1, { l2: 0 });
    expect(fit.weights[0]).toBeCloseTo(platt.a, 5);
    expect(fit.bias).toBeCloseTo(platt.b, 5);
    expect(fit.nll).toBeCloseTo(platt.nll, 9);
  });

  it('does not depend on an input’s units (standardised penalty)', () => {
    const { rows, labels } = logisticData(2000, 5, [1, -1], 0);
    const scaled = rows.map((x, t) => (t % 2 === 1 ? x * 1000 : x));
    const a = fitLogistic(rows, labels, 2, { l2: 0.01 });
    const b = fitLogistic(scaled, labels, 2, { l2: 0.01 });
    expect(b.weights[1] * 1000).toBeCloseTo(a.weights[1], 6);
    expect(b.nll).toBeCloseTo(a.nll, 9);
  });

  it('stays finite when the data separate, and when every label is equal', () => {
    const separable = fitLogistic([-2, -1, 1, 2], [0, 0, 1, 1], 1);
    expect(Number.isFinite(separable.weights[0]) && separable.weights[0] > 0).toBe(true);
    const constant = fitLogistic([1, 2, 3, 4, 5, 6], [1, 1, 1], 2);
    expect(constant.weights.every(Number.isFinite) && Number.isFinite(constant.bias)).toBe(true);
    expect(constant.nll).toBeLessThan(0.01);
  });

  it('a constant input gets weight 0', () => {
    const fit = fitLogistic([1, 5, 2, 5, 3, 5, 4, 5], [0, 1, 0, 1], 2);
    expect(fit.weights[1]).toBe(0);
  });

  it('throws a RangeError naming expected vs found sizes', () => {
    expect(() => fitLogistic([1, 2, 3], [0, 1], 2)).toThrow(/expected 2 rows of 2 inputs \(4 numbers\), found 3/);
  });
});
