// Node image decoding for the headless trainer: EXIF orientation, centre crop + area resize,
// JPEG and PNG decoding, and the refusals (same ImageDecodeError codes as the browser path).
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../../src/data/decode';
import { applyOrientation, decodeImageFile, decodeRgb, jpegOrientation } from '../../../cli/image';
import type { RgbImage } from '../../../src/data/rgb';

/** A w x h image whose pixel (x, y) is [x, y, 7]. */
function coords(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7], (y * w + x) * 3);
  return { width: w, height: h, data };
}
const at = (img: RgbImage, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

/** A minimal JPEG header: SOI, APP1 Exif with IFD0 holding only the orientation tag, then SOS. */
function exifJpeg(orientation: number, little: boolean): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const v = new DataView(tiff.buffer);
  v.setUint16(0, little ? 0x4949 : 0x4d4d);
  v.setUint16(2, 42, little);
  v.setUint32(4, 8, little);
  v.setUint16(8, 1, little);
  v.setUint16(10, 0x0112, little);
  v.setUint16(12, 3, little);
  v.setUint32(14, 1, little);
  v.setUint16(18, orientation, little);
  const app1 = [0xff, 0xe1, 0, 2 + 6 + tiff.length, 0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  return Uint8Array.from([0xff, 0xd8, ...app1, 0xff, 0xda, 0, 2]);
}

describe('jpegOrientation', () => {
  it.each([
    [1, true],
    [3, false],
    [6, true],
    [8, false],
  ])('reads orientation %i (little-endian %s)', (o, little) => {
    expect(jpegOrientation(exifJpeg(o, little))).toBe(o);
  });
  it('is 1 without EXIF, and for an out-of-range value', () => {
    expect(jpegOrientation(Uint8Array.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toBe(1);
    expect(jpegOrientation(exifJpeg(9, true))).toBe(1);
  });
});

describe('applyOrientation', () => {
  // Image 3 wide, 2 tall; where the source's top-left (0,0) and top-right (2,0) land.
  it.each([
    [1, [3, 2], [0, 0], [2, 0]],
    [2, [3, 2], [2, 0], [0, 0]], // mirrored
    [3, [3, 2], [2, 1], [0, 1]], // rotated 180
    [4, [3, 2], [0, 1], [2, 1]], // flipped vertically
    [5, [2, 3], [0, 0], [0, 2]], // transposed
    [6, [2, 3], [1, 0], [1, 2]], // rotated 90 clockwise to display
    [7, [2, 3], [1, 2], [1, 0]],
    [8, [2, 3], [0, 2], [0, 0]], // rotated 90 counter-clockwise to display
  ])('orientation %i', (o, size, topLeftAt, topRightAt) => {
    const out = applyOrientation(coords(3, 2), o);
    expect([out.width, out.height]).toEqual(size);
    expect(at(out, topLeftAt[0], topLeftAt[1])).toEqual([0, 0, 7]);
    expect(at(out, topRightAt[0], topRightAt[1])).toEqual([2, 0, 7]);
  });
});

describe('decodeRgb / decodeImageFile', () => {
  it('decodes a PNG exactly (alpha dropped)', () => {
    const png = new pngjs.PNG({ width: 3, height: 2 });
    for (let i = 0; i < 6; i++) png.data.set([10 * i, 100, 200 - i, i === 0 ? 0 : 255], 4 * i);
    const bytes = new Uint8Array(pngjs.PNG.sync.write(png));
    const img = decodeRgb(bytes, 'a.png');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect([...img.data.subarray(0, 6)]).toEqual([0, 100, 200, 10, 100, 199]);
  });
  it('decodes a JPEG to about the encoded colours and preprocesses it to the stored side', () => {
    const w = 40,
      h = 30;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([200, 60, 30, 255], 4 * i);
    const bytes = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const out = decodeImageFile(bytes, 'a.jpg', 16);
    expect([out.width, out.height, out.pixels.length]).toEqual([40, 30, 16 * 16 * 3]);
    for (let i = 0; i < 3; i++) expect(Math.abs(out.pixels[i] - [200, 60, 30][i])).toBeLessThanOrEqual(4);
  });
  it.each([
    ['empty.jpg', new Uint8Array(0), 'rejected', /empty file/],
    ['notes.png', new TextEncoder().encode('just some text, not an image at all'), 'rejected', /found text/],
    ['cut.jpg', Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 0x80, 0x81]), 'corrupt', /corrupt or truncated/],
    ['anim.gif', Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0x81]), 'rejected', /GIF is not decoded in Node/],
  ])('refuses %s', (name, bytes, code, message) => {
    const err = (() => {
      try {
        decodeRgb(bytes, name);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
  });
});
