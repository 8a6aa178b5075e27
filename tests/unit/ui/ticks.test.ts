// Chart tick labels: neighbouring ticks read differently, tiny values use exponent form.
import { describe, expect, it } from 'vitest';
import { plural, tickLabel } from '../../../src/ui/train/ticks';

describe('tickLabel', () => {
  it.each([
    [14.2, 0.2, '14.2'],
    [14.4, 0.2, '14.4'],
    [0.5, 0.1, '0.5'],
    [0.00075, 0.00025, '7.5e-4'],
    [0.00075, 0, '7.5e-4'],
    [0.001, 0.0005, '0.001'],
    [3, 1, '3'],
    [1234, 100, '1200'],
    [250000, 50000, '2.5e5'],
    [0, 1, '0'],
    [-0.25, 0.05, '-0.25'],
  ])('%d (ticks %d apart) → %s', (v, step, label) => {
    expect(tickLabel(v, step)).toBe(label);
  });

  it('keeps a logit-scale axis from repeating labels', () => {
    const ticks = [14, 14.25, 14.5, 14.75, 15];
    const labels = ticks.map((t) => tickLabel(t, 0.25));
    expect(new Set(labels).size).toBe(ticks.length);
  });
});

describe('plural', () => {
  it.each([
    [1, '1 image'],
    [2, '2 images'],
    [0, '0 images'],
    [2000, '2,000 images'],
  ])('%d', (n, s) => {
    expect(plural(n, 'image')).toBe(s);
  });
});
