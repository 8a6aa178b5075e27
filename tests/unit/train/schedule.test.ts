import { describe, expect, it } from 'vitest';
import { learningRateAt, type ScheduleOptions } from '../../../src/train/schedule';

const cosine: ScheduleOptions = { learningRate: 1e-3, warmupSteps: 10, totalSteps: 110, schedule: 'cosine' };

describe('learningRateAt', () => {
  it.each([
    [0, 1e-4], // (0 + 1) / 10 of the peak
    [4, 5e-4],
    [9, 1e-3], // warm-up ends at the peak
    [10, 1e-3], // cosine starts at the peak
    [60, 5e-4], // half-way through the decay
    [110, 0],
    [500, 0], // past the end stays at 0
  ])('cosine, step %i -> %f', (step, lr) => {
    expect(learningRateAt(step, cosine)).toBeCloseTo(lr, 12);
  });

  it('decreases monotonically after warm-up', () => {
    for (let s = 10; s < 110; s++) expect(learningRateAt(s + 1, cosine)).toBeLessThanOrEqual(learningRateAt(s, cosine));
  });

  it.each([[0], [7], [1000]])('constant without warm-up, step %i', (step) => {
    expect(learningRateAt(step, { ...cosine, warmupSteps: 0, schedule: 'constant' })).toBe(1e-3);
  });

  it('constant with warm-up ramps first', () => {
    expect(learningRateAt(1, { ...cosine, schedule: 'constant' })).toBeCloseTo(2e-4, 12);
  });
});
