import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { expectedCalibrationError } from '../../../src/model/calibration';
import { rocAuc } from '../../../src/model/metrics';
import { applyStacked, fitStackedCalibration, PAIR_KIND, stackedProbability } from '../../../src/model/stackedCalibration';

/** Standard normal by Box–Muller from a seeded uniform source. */
function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Per image a positive, its hardest wrong caption and a random one, each with a latent match
 * strength (1, 0.7, 0); cos sees it through noise, z sees it with weight `zSignal` (0: pure noise)
 * through its own noise, shifted by +3 as an uncalibrated head's logit is.
 */
function pairs(images: number, seed: number, zSignal: number, strengths: readonly [number, number, number] = [1, 0.7, 0]) {
  const random = mulberry32(seed);
  const z: number[] = [];
  const cos: number[] = [];
  const labels: number[] = [];
  const kinds: number[] = [];
  const image: number[] = [];
  for (let i = 0; i < images; i++) {
    for (const [kind, strength] of [
      [PAIR_KIND.positive, strengths[0]],
      [PAIR_KIND.hard, strengths[1]],
      [PAIR_KIND.random, strengths[2]],
    ]) {
      image.push(i);
      kinds.push(kind);
      labels.push(kind === PAIR_KIND.positive ? 1 : 0);
      cos.push(0.1 + 0.3 * strength + 0.15 * gaussian(random));
      z.push(3 + 4 * zSignal * strength + 2 * gaussian(random));
    }
  }
  return { z, cos, labels, kinds, image };
}

type Pairs = ReturnType<typeof pairs>;

/** Fits on even images, scores odd ones: AUC vs random wrong captions of the calibrated P, cosine and z, and ECE on all odd pairs. */
function heldOut(d: Pairs) {
  const take = (odd: boolean) => d.image.map((i, n) => ((i % 2 === 1) === odd ? n : -1)).filter((n) => n >= 0);
  const fitOn = take(false);
  const testOn = take(true);
  const pick = <T>(xs: T[], ns: number[]) => ns.map((n) => xs[n]);
  const fit = fitStackedCalibration(pick(d.z, fitOn), pick(d.cos, fitOn), pick(d.labels, fitOn), pick(d.kinds, fitOn));
  const p = applyStacked(pick(d.z, testOn), pick(d.cos, testOn), fit);
  const vsRandom = testOn.map((n, m) => [n, m]).filter(([n]) => d.kinds[n] !== PAIR_KIND.hard);
  const auc = (score: (n: number, m: number) => number) =>
    rocAuc(
      vsRandom.map(([n, m]) => score(n, m)),
      vsRandom.map(([n]) => d.labels[n]),
    );
  return {
    fit,
    calibrated: auc((_, m) => p[m]),
    cosine: auc((n) => d.cos[n]),
    z: auc((n) => d.z[n]),
    ece: expectedCalibrationError(p, pick(d.labels, testOn)),
  };
}

describe('fitStackedCalibration', () => {
  it.each([11, 12, 13])('z is noise (seed %i): the held-out AUC vs random is cosine’s, not z’s, and calibrated', (seed) => {
    const r = heldOut(pairs(3000, seed, 0));
    expect(r.fit.fallback).toBeNull();
    expect(r.z).toBeLessThan(0.55);
    expect(Math.abs(r.calibrated - r.cosine)).toBeLessThan(0.003);
    expect(r.ece).toBeLessThan(0.05);
    expect(Math.abs(r.fit.wz) * 2).toBeLessThan(0.1 * Math.abs(r.fit.wc) * 0.15); // per unit of spread, z weighs < 1/10 of cosine
  });

  it.each([21, 22])('z carries signal beyond cosine (seed %i): it is used, and the AUC beats both', (seed) => {
    const r = heldOut(pairs(3000, seed, 1));
    expect(r.fit.wz).toBeGreaterThan(0);
    expect(r.fit.wc).toBeGreaterThan(0);
    expect(r.calibrated).toBeGreaterThan(r.cosine + 0.01);
    expect(r.calibrated).toBeGreaterThan(r.z + 0.01);
    expect(r.ece).toBeLessThan(0.05);
  });

  it.each([31, 32])(
    'a weak model whose hardest wrong captions outscore the positives (seed %i): P(match) still rises with cosine',
    (seed) => {
      // Over all pairs the score then falls with the truth (AUC < 0.5): a Platt step fitted there has a
      // negative slope and turned the ranking upside down (dev features of 128-px copies: AUC 0.18).
      const d = pairs(3000, seed, 0, [1, 2, 0.6]);
      const all = rocAuc(d.cos, d.labels);
      expect(all).toBeLessThan(0.47);
      const r = heldOut(d);
      expect(r.fit.fallback).toBeNull();
      expect(r.fit.wc).toBeGreaterThan(0);
      expect(Math.abs(r.calibrated - r.cosine)).toBeLessThan(0.005);
    },
  );

  it('the final score is one linear form: P = sigmoid(wz·z + wc·cos + b)', () => {
    const d = pairs(200, 5, 1);
    const fit = fitStackedCalibration(d.z, d.cos, d.labels, d.kinds);
    const p = applyStacked(d.z, d.cos, fit);
    expect(p[7]).toBeCloseTo(1 / (1 + Math.exp(-(fit.wz * d.z[7] + fit.wc * d.cos[7] + fit.b))), 12);
    expect(stackedProbability(d.z[7], d.cos[7], fit)).toBe(p[7]);
  });

  it.each([
    ['one class only', [1, 1, 1], [0, 0, 0], [0.1, 0.2, 0.3], [1, 2, 3], 'one-class'],
    ['a non-finite logit', [1, 0, 0], [0, 1, 2], [0.1, 0.2, 0.3], [1, Number.NaN, 3], 'non-finite'],
    ['a non-finite cosine', [1, 0, 0], [0, 1, 2], [0.1, Number.POSITIVE_INFINITY, 0.3], [1, 2, 3], 'non-finite'],
  ])('%s falls back to the raw head', (_name, labels, kinds, cos, z, fallback) => {
    expect(fitStackedCalibration(z, cos, labels, kinds)).toEqual({ wz: 1, wc: 0, b: 0, fallback });
  });

  it('all-equal inputs: no weight on them, P is the share of matches', () => {
    const labels = [1, 0, 0, 1, 0, 0];
    const fit = fitStackedCalibration([2, 2, 2, 2, 2, 2], [0.4, 0.4, 0.4, 0.4, 0.4, 0.4], labels, [0, 1, 2, 0, 1, 2]);
    expect(fit.fallback).toBeNull();
    expect(fit.wz).toBe(0);
    expect(fit.wc).toBe(0);
    expect(stackedProbability(2, 0.4, fit)).toBeCloseTo(1 / 3, 3);
  });

  it('a handful of pairs that separate (two val images): moderate weights, no P(match) of 0 or 1', () => {
    // Per image 5 positives, a hard and a random wrong caption; cosine and z both separate them perfectly.
    const cos = [0.6, 0.62, 0.58, 0.61, 0.59, 0.3, 0.1, 0.55, 0.57, 0.56, 0.6, 0.54, 0.35, 0.05];
    const z = cos.map((c, n) => 10 * c + (n % 3) * 0.01);
    const labels = [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0];
    const kinds = labels.map((l, n) => (l ? PAIR_KIND.positive : n % 7 === 5 ? PAIR_KIND.hard : PAIR_KIND.random));
    const fit = fitStackedCalibration(z, cos, labels, kinds);
    expect(fit.fallback).toBeNull();
    for (const p of applyStacked(z, cos, fit)) expect(p).toBeGreaterThan(0.02), expect(p).toBeLessThan(0.98);
    expect(Math.abs(fit.wz) + Math.abs(fit.wc)).toBeLessThan(100);
  });

  it('without random wrong captions it fits on every pair', () => {
    const d = pairs(300, 7, 1);
    const keep = d.kinds.map((k, n) => (k !== PAIR_KIND.random ? n : -1)).filter((n) => n >= 0);
    const fit = fitStackedCalibration(
      keep.map((n) => d.z[n]),
      keep.map((n) => d.cos[n]),
      keep.map((n) => d.labels[n]),
      keep.map((n) => d.kinds[n]),
    );
    expect(fit.fallback).toBeNull();
    expect(fit.wc).toBeGreaterThan(0);
  });

  it('refuses inputs of different lengths, saying which', () => {
    expect(() => fitStackedCalibration([1, 2], [0.1], [1, 0], [0, 2])).toThrow(/expected as many .* \(2\), found 1, 2, 2/);
  });
});
