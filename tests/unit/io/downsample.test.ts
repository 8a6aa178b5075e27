// downsample bounds exported histories and the page's charts: evenly spaced, ends kept, never over max.
import { describe, expect, it } from 'vitest';
import { downsample } from '../../../src/io/modelFileMetadata';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('downsample', () => {
  it.each([
    [range(5), 10, [0, 1, 2, 3, 4]],
    [range(10), 4, [0, 3, 6, 9]],
    [range(11), 3, [0, 5, 10]],
    [range(10), 2, [0, 9]],
    [range(10), 1, [9]],
    [range(10), 0, []],
  ])('%j to at most %i -> %j', (items, max, expected) => {
    expect(downsample(items, max)).toEqual(expected);
  });

  it('returns a copy when nothing is dropped', () => {
    const items = range(3);
    expect(downsample(items, 3)).not.toBe(items);
  });
});
