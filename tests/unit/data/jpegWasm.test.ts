// The wasm libjpeg-turbo decoder (src/data/jpeg): full-size pixels against jpeg-js on seeded
// images, the DCT scale it picks, its in-module resample against rgb.ts byte for byte, the
// preprocessing built on it (EXIF orientation, damage check), and its errors: clear, typed, and
// the instance still decoding after one.
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, preprocessImage, preprocessJpeg } from '../../../src/data/decode';
import { decodeJpeg, decodeJpegSquare, JpegDecodeError, simdColourMismatches, simdIdctMismatches } from '../../../src/data/jpeg/jpegWasm';
import { applyOrientation } from '../../../src/data/orientation';
import { mulberry32 } from '../../../src/data/random';
import { centreCropResize } from '../../../src/data/rgb';

/** A seeded w×h photo-like JPEG: smooth gradients plus noise, encoded by jpeg-js. */
function seededJpeg(w: number, h: number, seed: number, quality = 90): Uint8Array {
  const random = mulberry32(seed);
  const [fx, fy, phase] = [random() * 0.2, random() * 0.2, random() * 6];
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const base = 128 + 90 * Math.sin(fx * x + phase) * Math.cos(fy * y);
      const i = 4 * (y * w + x);
      rgba.set([base + 20 * random(), 255 - base + 20 * random(), (x * 255) / w, 255], i);
    }
  return new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, quality).data);
}

function absDiff(a: Uint8Array, b: Uint8Array, bStride = 3): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  const n = a.length / 3;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a[3 * i + c] - b[bStride * i + c]);
      sum += d;
      max = Math.max(max, d);
    }
  return { mean: sum / (3 * n), max };
}

/** Inserts an APP1 Exif segment (IFD0: Orientation only) after SOI. */
function withOrientation(bytes: Uint8Array, orientation: number): Uint8Array {
  const tiff = [0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  return Uint8Array.from([0xff, 0xd8, 0xff, 0xe1, 0, payload.length + 2, ...payload, ...bytes.subarray(2)]);
}

// 16×8 files Pillow 9.4 wrote (quality 90): CMYK (10, 200, 30, 5), grey 77, progressive RGB (200, 60, 30).
const PILLOW = {
  cmyk: '/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwADAgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBETFBUVFQwPFxgWFBgSFBUU/8AAFAgACAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9OK+PK/QOv1Foooor/9k=',
  grey: '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAIABABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APneiv/Z',
  progressive:
    '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCAAIABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAVAQEBAAAAAAAAAAAAAAAAAAAGB//aAAwDAQACEAMQAAABlwLsH//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEAAQUCP//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQMBAT8Bf//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQIBAT8Bf//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEABj8CP//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEAAT8hP//aAAwDAQACAAMAAAAQA//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQMBAT8Qf//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQIBAT8Qf//EABQQAQAAAAAAAAAAAAAAAAAAABD/2gAIAQEAAT8QP//Z',
};
const fromBase64 = (b: string) => new Uint8Array(Buffer.from(b, 'base64'));

const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('decodeJpeg', () => {
  it.each([
    [64, 48, 1],
    [97, 61, 2],
    [224, 224, 3],
  ])('decodes a seeded %i×%i JPEG at full size within 1 level of jpeg-js on average', (w, h, seed) => {
    const bytes = seededJpeg(w, h, seed);
    const ours = decodeJpeg(bytes);
    const theirs = jpeg.decode(bytes, { useTArray: true });
    expect([ours.width, ours.height, ours.fileWidth, ours.fileHeight, ours.scale]).toEqual([w, h, w, h, 8]);
    const d = absDiff(ours.data, theirs.data, 4);
    expect(d.mean).toBeLessThan(1);
    expect(d.max).toBeLessThanOrEqual(8);
  });

  it.each([
    // [width, height, target short side, decoded width, decoded height, M of M/8]: Pillow's draft() rule
    [500, 375, 128, 250, 188, 4],
    [375, 500, 128, 188, 250, 4],
    [224, 224, 128, 224, 224, 8], // under twice the target: full size
    [256, 300, 128, 128, 150, 4],
    [100, 80, 128, 100, 80, 8], // smaller than the target: full size, never enlarged
    [64, 64, 8, 8, 8, 1],
    [65, 64, 9, 17, 16, 2],
    [1030, 1020, 128, 258, 255, 2], // 1020 < 8 × 128: 1/4, as Pillow (ceil(1020 / 8) would reach 128)
  ])('%i×%i for a short side of %i: %i×%i (scale %i/8)', (w, h, target, ow, oh, m) => {
    const out = decodeJpeg(seededJpeg(w, h, w + h), target);
    expect([out.width, out.height, out.scale]).toEqual([ow, oh, m]);
  });

  it('decodes at a reduced scale close to a full decode resampled the same way', () => {
    for (const seed of [4, 5, 6]) {
      const bytes = seededJpeg(320, 240, seed);
      const scaled = centreCropResize(decodeJpeg(bytes, 64), 64);
      const full = centreCropResize(decodeJpeg(bytes), 64);
      expect(absDiff(scaled, full).mean).toBeLessThan(6);
    }
  });
});

describe("SIMD routines (jsimd_wasm.c) against libjpeg-turbo's C", () => {
  // Random blocks reach what photos rarely do: all-zero columns and rows (the C code's shortcuts),
  // values whose 32-bit arithmetic wraps, outputs past the range-limit table's clamp.
  it.each([1, 2, 3])("give the C IDCTs' bytes on 20,000 random blocks (seed %i)", (seed) => {
    expect(simdIdctMismatches(seed, 20_000)).toBe(0);
  });
  it("YCbCr->RGB gives the C conversion's bytes for all 2^24 inputs", () => {
    expect(simdColourMismatches()).toBe(0);
  });
});

describe('other JPEG kinds', () => {
  it.each([
    ['grey', [77, 77, 77]],
    ['progressive', [200, 60, 30]],
  ] as const)('%s: RGB of the right colour', (kind, rgb) => {
    const out = decodeJpeg(fromBase64(PILLOW[kind]));
    expect([out.width, out.height]).toEqual([16, 8]);
    for (let c = 0; c < 3; c++) expect(Math.abs(out.data[3 * 40 + c] - rgb[c])).toBeLessThanOrEqual(2);
  });
});

describe('decodeJpegSquare', () => {
  it.each([
    [500, 375, 128],
    [375, 500, 64],
    [224, 224, 128],
    [97, 61, 128], // enlarging: bilinear taps
    [33, 200, 16],
  ])('%i×%i to %i: the same bytes as centreCropResize(decodeJpeg(...))', (w, h, size) => {
    const bytes = seededJpeg(w, h, w * h);
    const square = decodeJpegSquare(bytes, size);
    expect([square.width, square.height, square.fileWidth, square.fileHeight]).toEqual([size, size, w, h]);
    expect(square.data).toEqual(centreCropResize(decodeJpeg(bytes, size), size));
  });
});

describe('errors', () => {
  const good = seededJpeg(80, 60, 7);
  it.each([
    ['text', new TextEncoder().encode('just some text, not a JPEG at all'), /Not a JPEG file: starts with 0x6a 0x75/],
    ['a header cut short', good.subarray(0, 40), /libjpeg-turbo could not decode the JPEG data: .+ \(error \d+\)/],
    ['empty', new Uint8Array(0), /libjpeg-turbo could not decode the JPEG data/],
  ])('%s: a JpegDecodeError, and the next decode still works', (_, bytes, message) => {
    const before = decodeJpeg(good).data;
    const err = thrown(() => decodeJpeg(bytes, 32));
    expect(err).toBeInstanceOf(JpegDecodeError);
    expect((err as JpegDecodeError).code).toBe('corrupt');
    expect((err as Error).message).toMatch(message);
    expect(decodeJpeg(good).data).toEqual(before);
  });

  it('CMYK: a JpegDecodeError naming the conversion (preprocessImage then falls back to the browser)', () => {
    const err = thrown(() => decodeJpeg(fromBase64(PILLOW.cmyk)));
    expect(err).toBeInstanceOf(JpegDecodeError);
    expect((err as Error).message).toMatch(/Unsupported color conversion request/);
  });

  it('a scan cut in half decodes with a warning and a flat bottom, which preprocessJpeg calls damaged', () => {
    const bytes = seededJpeg(128, 128, 8);
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    expect(decodeJpeg(cut).warnings).toBeGreaterThan(0);
    const err = thrown(() => preprocessJpeg(cut, 64));
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).code).toBe('damaged');
  });
});

describe('preprocessImage on JPEGs (the wasm path, no canvas needed)', () => {
  const plain = seededJpeg(120, 80, 9);
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('orientation %i: the upright square and the upright size', async (o) => {
    const out = await preprocessImage(new Blob([withOrientation(plain, o) as Uint8Array<ArrayBuffer>]), 'p.jpg', 32);
    const square = decodeJpegSquare(plain, 32);
    expect(out.pixels).toEqual(applyOrientation(square, o).data);
    expect([out.width, out.height]).toEqual(o >= 5 ? [80, 120] : [120, 80]);
  });

  it('reads a JPEG named otherwise from its bytes, and gives the same pixels with or without them', async () => {
    const blob = new Blob([plain as Uint8Array<ArrayBuffer>]);
    const a = await preprocessImage(blob, 'photo.bin.jpeg', 48);
    const b = await preprocessImage(blob, 'photo.JPG', 48, plain);
    expect(a.pixels).toEqual(b.pixels);
    expect(a.pixels).toEqual(preprocessJpeg(plain, 48).pixels);
  });
});
