// rgbToBmp against Pillow-independent facts of the format: header fields, bottom-up BGR rows,
// 4-byte row padding; and a refused size mismatch.
import { describe, expect, it } from 'vitest';
import { rgbToBmp } from '../../../src/data/bmp';

/** Reads pixel (x, y) (top row = 0) back out of a 24-bit bottom-up BMP. */
function pixelAt(bmp: Uint8Array, x: number, y: number): number[] {
  const v = new DataView(bmp.buffer);
  const w = v.getInt32(18, true);
  const h = v.getInt32(22, true);
  const stride = (w * 3 + 3) & ~3;
  const o = v.getUint32(10, true) + (h - 1 - y) * stride + 3 * x;
  return [bmp[o + 2], bmp[o + 1], bmp[o]];
}

describe('rgbToBmp', () => {
  it.each([
    [1, 1],
    [2, 3],
    [3, 2], // row of 9 bytes padded to 12
    [128, 128],
  ])('%ix%i: header, size and every pixel read back', (w, h) => {
    let seed = w * 31 + h;
    const rgb = Uint8Array.from({ length: w * h * 3 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 255);
    const bmp = rgbToBmp(rgb, w, h);
    const v = new DataView(bmp.buffer);
    const stride = (w * 3 + 3) & ~3;
    expect(String.fromCharCode(bmp[0], bmp[1])).toBe('BM');
    expect(v.getUint32(2, true)).toBe(bmp.length);
    expect(bmp.length).toBe(54 + stride * h);
    expect([v.getInt32(18, true), v.getInt32(22, true), v.getUint16(28, true), v.getUint32(30, true)]).toEqual([w, h, 24, 0]);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) expect(pixelAt(bmp, x, y)).toEqual([...rgb.subarray(3 * (y * w + x), 3 * (y * w + x) + 3)]);
  });

  it('refuses pixels that do not match the size, saying both', () => {
    expect(() => rgbToBmp(new Uint8Array(10), 2, 2)).toThrow(/expected 2x2x3 = 12 bytes, found 10/);
  });
});
