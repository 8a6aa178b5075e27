// The one CPU resizer (src/data/rgb.ts) as the Node decoder uses it: centre crop at a fractional
// offset, area average when shrinking, bilinear when enlarging; and RGBA -> RGB.
import { describe, expect, it } from 'vitest';
import { centreCropResize, rgbaToRgb, type RgbImage } from '../../../src/data/rgb';

/** A w x h image whose pixel (x, y) is [x, y, 7]. */
function coords(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7], (y * w + x) * 3);
  return { width: w, height: h, data };
}

describe('centreCropResize', () => {
  it('keeps a flat colour flat and crops the centre square', () => {
    const img: RgbImage = { width: 6, height: 4, data: new Uint8Array(6 * 4 * 3).fill(90) };
    expect([...new Set(centreCropResize(img, 3))]).toEqual([90]);
    // 6x4 -> centre 4x4 starts at x = 1: a 4x4 -> 4x4 resample is the identity on that square.
    const out = centreCropResize(coords(6, 4), 4);
    expect([...out.subarray(0, 3)]).toEqual([1, 0, 7]);
    expect([...out.subarray((3 * 4 + 3) * 3, (3 * 4 + 3) * 3 + 3)]).toEqual([4, 3, 7]);
  });
  it('averages areas: 4x4 -> 2x2 takes the mean of each 2x2 block', () => {
    const out = centreCropResize(coords(4, 4), 2);
    expect([...out]).toEqual([1, 1, 7, 3, 1, 7, 1, 3, 7, 3, 3, 7].map((v) => v)); // means 0.5 -> round half up
  });
  it('handles an odd crop offset (fractional, as the canvas crop)', () => {
    // Square [0.5, 4.5) x [0, 4): x is half of pixel 0, pixels 1..3, half of pixel 4 -> mean 2; mean y 1.5 -> 2.
    expect([...centreCropResize(coords(5, 4), 1)]).toEqual([2, 2, 7]);
    expect([...centreCropResize(coords(6, 4), 1)]).toEqual([3, 2, 7]); // [1, 5): mean x = 2.5 -> 3
  });
  it('interpolates bilinearly when enlarging, clamped to the crop', () => {
    // 3x2 with pixel (x, y) = [100x, 100y, 7]: the centre 2x2 starts at x = 0.5. Enlarged to 4, the
    // sample centres x = 0.25, 0.75, 1.25, 1.75 clamp to [0.5, 1.5]; y = -0.25 .. 1.25 clamp to [0, 1].
    const img = coords(3, 2);
    img.data.forEach((v, i) => (img.data[i] = i % 3 === 2 ? v : v * 100));
    const out = centreCropResize(img, 4);
    expect([0, 1, 2, 3].map((x) => out[x * 3])).toEqual([50, 75, 125, 150]);
    expect([0, 1, 2, 3].map((y) => out[y * 4 * 3 + 1])).toEqual([0, 25, 75, 100]);
  });
});

describe('rgbaToRgb', () => {
  it('drops alpha', () => {
    expect([...rgbaToRgb(Uint8Array.from([1, 2, 3, 0, 4, 5, 6, 255]))]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
