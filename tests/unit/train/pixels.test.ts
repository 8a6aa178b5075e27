import { describe, expect, it } from 'vitest';
import { gatherRows, imageBatch, resizeImages } from '../../../src/train/pixels';

/** n images of side s where pixel (y, x) of image i has all channels f(i, y, x). */
function image(n: number, s: number, f: (i: number, y: number, x: number) => number): Uint8Array {
  const out = new Uint8Array(n * s * s * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) out.fill(f(i, y, x), ((i * s + y) * s + x) * 3, ((i * s + y) * s + x) * 3 + 3);
  return out;
}

const channel0 = (px: Uint8Array) => [...px].filter((_, k) => k % 3 === 0);

describe('resizeImages', () => {
  it('returns the input itself at the same size', () => {
    const px = image(1, 4, (_, y, x) => y * 4 + x);
    expect(resizeImages(px, 1, 4, 4)).toBe(px);
  });

  it('averages 2x2 blocks when halving', () => {
    const px = image(1, 4, (_, y, x) => (y * 4 + x) * 10);
    // block means: (0+10+40+50)/4 = 25, 45, 105, 125
    expect(channel0(resizeImages(px, 1, 4, 2))).toEqual([25, 45, 105, 125]);
  });

  it('averages with fractional coverage for non-integer ratios', () => {
    const px = image(1, 3, (_, __, x) => [0, 90, 180][x]);
    // out x=0 covers src [0, 1.5): (0*1 + 90*0.5) / 1.5 = 30; x=1 covers [1.5, 3): (90*0.5 + 180) / 1.5 = 150
    expect(channel0(resizeImages(px, 1, 3, 2))).toEqual([30, 150, 30, 150]);
  });

  it('interpolates bilinearly when enlarging', () => {
    const px = image(1, 2, (_, __, x) => [0, 200][x]);
    // centres at src -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    expect(channel0(resizeImages(px, 1, 2, 4)).slice(0, 4)).toEqual([0, 50, 150, 200]);
  });

  it.each([
    [8, 3],
    [5, 7],
    [6, 6],
  ])('keeps a constant image constant (%i -> %i) per image', (from, to) => {
    const out = resizeImages(
      image(2, from, (i) => 17 + i * 100),
      2,
      from,
      to,
    );
    expect(new Set(channel0(out.subarray(0, to * to * 3)))).toEqual(new Set([17]));
    expect(new Set(channel0(out.subarray(to * to * 3)))).toEqual(new Set([117]));
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => resizeImages(new Uint8Array(10), 1, 4, 2)).toThrow(/expected 1 x 4 x 4 x 3 = 48 bytes, found 10/);
  });
});

describe('batches of pixels and rows', () => {
  it('imageBatch picks images and scales to 0..1', () => {
    const px = image(3, 1, (i) => [0, 51, 255][i]);
    expect(imageBatch(px, 1, [2, 1])).toEqual(Float32Array.from([1, 1, 1, 0.2, 0.2, 0.2]));
  });

  it('gatherRows stacks rows', () => {
    expect([...gatherRows(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, [2, 0, 2])]).toEqual([5, 6, 1, 2, 5, 6]);
  });
});
