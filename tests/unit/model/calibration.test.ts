import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import {
  applyPlatt,
  expectedCalibrationError,
  fitPlatt,
  matchVerdict,
  plattNll,
  reliabilityBins,
  sigmoid,
} from '../../../src/model/calibration';

/** n pairs whose true P(match) is sigmoid(trueA·z + trueB), z ~ U(-4, 4): labels drawn from it. */
function plattData(n: number, seed: number, trueA: number, trueB: number) {
  const random = mulberry32(seed);
  const logits: number[] = [];
  const labels: number[] = [];
  for (let k = 0; k < n; k++) {
    const z = random() * 8 - 4;
    logits.push(z);
    labels.push(random() < sigmoid(trueA * z + trueB) ? 1 : 0);
  }
  return { logits, labels };
}

describe('fitPlatt', () => {
  it.each([
    [1, 0.5, -1.5], // over-confident and shifted
    [2, 2, 1], // under-confident and shifted
    [3, 0.3, 0], // far over-confident
  ])('seed %i: a miscalibrated set (true a %f, b %f): the fit lowers NLL and recovers a, b', (seed, trueA, trueB) => {
    const { logits, labels } = plattData(4000, seed, trueA, trueB);
    const fit = fitPlatt(logits, labels);
    expect(fit.nllBefore).toBeCloseTo(plattNll(logits, labels), 12);
    expect(fit.nll).toBeLessThan(fit.nllBefore - 0.01);
    expect(fit.nll).toBeLessThanOrEqual(plattNll(logits, labels, { a: trueA, b: trueB }) + 1e-9); // the MLE beats the truth in-sample
    expect(Math.abs(fit.a - trueA)).toBeLessThan(0.15 * Math.max(1, trueA));
    expect(Math.abs(fit.b - trueB)).toBeLessThan(0.2);
    // ECE drops too.
    const before = expectedCalibrationError(logits.map(sigmoid), labels);
    const after = expectedCalibrationError(applyPlatt(logits, fit), labels);
    expect(after).toBeLessThan(before);
  });

  it('is a stationary point: the NLL gradient is ~0 at the fit', () => {
    const { logits, labels } = plattData(500, 7, 1.3, -0.4);
    const fit = fitPlatt(logits, labels);
    let ga = 0;
    let gb = 0;
    logits.forEach((z, i) => {
      const r = sigmoid(fit.a * z + fit.b) - labels[i];
      ga += (r * z) / logits.length;
      gb += r / logits.length;
    });
    expect(Math.abs(ga)).toBeLessThan(1e-7);
    expect(Math.abs(gb)).toBeLessThan(1e-7);
  });

  it('leaves the identity for one-class data and stays finite on separable data', () => {
    expect(fitPlatt([1, 2, 3], [1, 1, 1])).toMatchObject({ a: 1, b: 0, iterations: 0 });
    const sep = fitPlatt([-2, -1, 1, 2], [0, 0, 1, 1]);
    expect(Number.isFinite(sep.a) && Number.isFinite(sep.b)).toBe(true);
    expect(sep.nll).toBeLessThan(sep.nllBefore);
  });

  it('refuses mismatched lengths', () => {
    expect(() => fitPlatt([1, 2], [1])).toThrow(/expected as many labels as logits \(2\), found 1/);
  });
});

describe('reliabilityBins and ECE (hand-worked)', () => {
  // 4 bins of width 0.25. Bin 0: 0.1, 0.2 (labels 0, 1): conf 0.15, acc 0.5. Bin 1: empty.
  // Bin 2: 0.6 (label 1): conf 0.6, acc 1. Bin 3: 0.8, 0.9, 1.0 (labels 1, 1, 0): conf 0.9, acc 2/3.
  const probs = [0.1, 0.2, 0.6, 0.8, 0.9, 1.0];
  const labels = [0, 1, 1, 1, 1, 0];

  it('bins by equal width, 1.0 in the last bin; empty bins count 0 with NaN means', () => {
    const bins = reliabilityBins(probs, labels, 4);
    expect(bins.map((b) => b.count)).toEqual([2, 0, 1, 3]);
    expect(bins.map((b) => [b.lower, b.upper])).toEqual([
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ]);
    expect(bins[0].meanConfidence).toBeCloseTo(0.15, 12);
    expect(bins[0].accuracy).toBe(0.5);
    expect(bins[1].meanConfidence).toBeNaN();
    expect(bins[1].accuracy).toBeNaN();
    expect(bins[2]).toMatchObject({ meanConfidence: 0.6, accuracy: 1 });
    expect(bins[3].meanConfidence).toBeCloseTo(0.9, 12);
    expect(bins[3].accuracy).toBeCloseTo(2 / 3, 12);
  });

  it('ECE = Σ count/N · |acc − conf|', () => {
    const expected = (2 / 6) * Math.abs(0.5 - 0.15) + (1 / 6) * Math.abs(1 - 0.6) + (3 / 6) * Math.abs(2 / 3 - 0.9);
    expect(expectedCalibrationError(probs, labels, 4)).toBeCloseTo(expected, 12);
  });

  it.each([
    [[0.5, 0.5], [1, 0], 0], // perfectly calibrated coin
    [[1, 1], [1, 1], 0],
    [[0.9, 0.9, 0.9, 0.9], [0, 0, 0, 0], 0.9],
    [[], [], NaN],
  ])('ECE(%j, %j) = %f', (p, y, expected) => {
    const ece = expectedCalibrationError(p, y, 10);
    if (Number.isNaN(expected)) expect(ece).toBeNaN();
    else expect(ece).toBeCloseTo(expected, 12);
  });
});

describe('matchVerdict', () => {
  it.each([
    [0.95, 'match', 'Match'],
    [0.7, 'match', 'Match'],
    [0.69, 'unsure', 'Unsure'],
    [0.5, 'unsure', 'Unsure'],
    [0.31, 'unsure', 'Unsure'],
    [0.3, 'no-match', 'No match'],
    [0, 'no-match', 'No match'],
  ])('P %f -> %s', (p, kind, label) => {
    const v = matchVerdict(p);
    expect(v.kind).toBe(kind);
    expect(v.label).toBe(label);
    expect(v.explanation).not.toMatch(/\n/);
    expect(v.explanation).toContain(`about ${Math.round(p * 100)} in 100`);
  });

  it('says when the probability is uncalibrated, and refuses values outside [0, 1]', () => {
    expect(matchVerdict(0.8, false).explanation).toMatch(/uncalibrated/);
    expect(matchVerdict(0.8, null).explanation).toMatch(/uncalibrated/);
    expect(matchVerdict(0.83, 'stacked').explanation).toBe(
      'P(match) 0.83 weighs the classifier and the cosine, calibrated on the validation split: ' +
        'of held-out pairs scored like this, about 83 in 100 truly matched (Match ≥ 0.7, No match ≤ 0.3).',
    );
    expect(matchVerdict(0.2, 'platt').explanation).toMatch(
      /^P\(match\) 0.20 is the classifier, calibrated on the validation split: .*about 20 in 100/,
    );
    expect(() => matchVerdict(1.2)).toThrow(/expected a probability in \[0, 1\], found 1.2/);
    expect(() => matchVerdict(NaN)).toThrow(RangeError);
  });
});
