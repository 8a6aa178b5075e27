// ingest/batches: the ramped, tail-balanced batch sizes of an import.
import { describe, expect, it } from 'vitest';
import { batchSizes, cutBatches } from '../../../src/ingest/batches';

describe('batchSizes', () => {
  it.each([
    { total: 0, workers: 2, sizes: [] },
    { total: 1, workers: 2, sizes: [1] },
    { total: 3, workers: 2, sizes: [2, 1] },
    { total: 16, workers: 2, sizes: [8, 8] },
    { total: 17, workers: 2, sizes: [8, 8, 1] },
    { total: 120, workers: 2, sizes: [8, 8, 16, 16, 32, 32, 4, 4] },
    { total: 121, workers: 2, sizes: [8, 8, 16, 16, 32, 32, 5, 4] },
    { total: 300, workers: 2, sizes: [8, 8, 16, 16, 32, 32, 48, 48, 46, 46] },
    { total: 100, workers: 1, sizes: [8, 16, 32, 44] },
    { total: 100, workers: 4, sizes: [8, 8, 8, 8, 16, 16, 16, 16, 1, 1, 1, 1] },
  ])('$total images over $workers workers: $sizes', ({ total, workers, sizes }) => {
    expect(batchSizes(total, workers)).toEqual(sizes);
  });

  it.each([1, 2, 3, 4])('covers every image once, each batch 1..48, each round equal to ±1 image (%i workers)', (workers) => {
    for (let total = 0; total <= 2000; total += 37) {
      const sizes = batchSizes(total, workers);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
      expect(sizes.every((n) => n >= 1 && n <= 48)).toBe(true);
      for (let r = 0; r < sizes.length; r += workers) {
        const round = sizes.slice(r, r + workers);
        expect(Math.max(...round) - Math.min(...round)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('keeps the first batch small and reaches the largest batch on a big import', () => {
    const sizes = batchSizes(7000, 2);
    expect(sizes.slice(0, 6)).toEqual([8, 8, 16, 16, 32, 32]);
    expect(sizes.filter((n) => n === 48).length).toBeGreaterThan(140);
  });

  it.each([
    { total: -1, workers: 2, re: /images ≥ 0, found -1/ },
    { total: 1.5, workers: 2, re: /found 1.5/ },
    { total: 10, workers: 0, re: /≥ 1 worker, found 0/ },
  ])('rejects $total images over $workers workers', ({ total, workers, re }) => {
    expect(() => batchSizes(total, workers)).toThrow(re);
  });
});

describe('cutBatches', () => {
  it('cuts items in plan order', () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    const batches = cutBatches(items, 2);
    expect(batches.map((b) => b.length)).toEqual([8, 8, 12, 12]);
    expect(batches.flat()).toEqual(items);
  });
});
