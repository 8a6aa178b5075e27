// Image decoding for Node (the headless trainer and benchmarks): JPEG through jpeg-js, PNG through
// pngjs, EXIF orientation applied, then the centre square resized to a fixed side by
// src/data/rgb.ts — the same steps as the browser's preprocessImage (src/data/decode.ts), which
// draws on a canvas instead. Differences from the browser: the resampling filter (exact area
// average here, bilinear when enlarging; Skia's "high quality" canvas filter there), the JPEG decoder's rounding, colour management (none here;
// Chromium converts embedded ICC profiles to sRGB) and PNG alpha (dropped here, not composited).
// Measured (bench/preprocess.ts, BENCHMARKS.md): a mean of 1.7-3.3 levels apart at 128 px. Corrupt
// JPEG scan data: jpeg-js may not draw Chromium's flat grey fill, so the damage check can miss it.

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { flatBottomFraction, ImageDecodeError } from '../src/data/decode';
import { centreCropResize, rgbaToRgb, type RgbImage } from '../src/data/rgb';
import { rejectReason, sniffImageType } from '../src/data/sniff';

export interface DecodedImage {
  pixels: Uint8Array; // [size, size, 3] RGB, centre crop of the upright image
  width: number; // upright original size
  height: number;
}

/**
 * EXIF orientation (1..8) of a JPEG, 1 when absent or unreadable. Walks the markers to APP1
 * "Exif", then IFD0 for tag 0x0112.
 */
export function jpegOrientation(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    const length = view.getUint16(at + 2);
    if (marker === 0xda || length < 2) break; // start of scan: no more metadata
    const exif = at + 4;
    if (marker === 0xe1 && exif + 14 <= bytes.length && view.getUint32(exif) === 0x45786966 && view.getUint16(exif + 4) === 0) {
      const tiff = exif + 6;
      const little = view.getUint16(tiff) === 0x4949;
      const u16 = (o: number) => view.getUint16(o, little);
      const ifd = tiff + view.getUint32(tiff + 4, little);
      if (ifd + 2 > bytes.length) return 1;
      const entries = u16(ifd);
      for (let i = 0; i < entries; i++) {
        const entry = ifd + 2 + 12 * i;
        if (entry + 12 > bytes.length) return 1;
        if (u16(entry) === 0x0112) {
          const o = u16(entry + 8);
          return o >= 1 && o <= 8 ? o : 1;
        }
      }
      return 1;
    }
    at += 2 + length;
  }
  return 1;
}

/** The image as displayed for EXIF orientation `o` (what createImageBitmap's 'from-image' gives). */
export function applyOrientation(img: RgbImage, o: number): RgbImage {
  if (o <= 1 || o > 8) return img;
  const { width: w, height: h, data } = img;
  const swap = o >= 5; // 5..8 transpose the axes
  const W = swap ? h : w;
  const H = swap ? w : h;
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // Source pixel (sx, sy) that lands at (x, y), per the EXIF definitions.
      let sx: number, sy: number;
      switch (o) {
        case 2:
          sx = w - 1 - x;
          sy = y;
          break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4:
          sx = x;
          sy = h - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        default:
          sx = w - 1 - y;
          sy = x;
          break; // 8
      }
      const s = (sy * w + sx) * 3;
      const d = (y * W + x) * 3;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
    }
  }
  return { width: W, height: H, data: out };
}

/** Full-size upright RGB of a JPEG or PNG file; throws ImageDecodeError. */
export function decodeRgb(bytes: Uint8Array, name: string): RgbImage {
  const reason = rejectReason(name, bytes.subarray(0, 64), bytes.length);
  if (reason) throw new ImageDecodeError('rejected', reason);
  const type = sniffImageType(bytes.subarray(0, 64));
  try {
    if (type === 'jpeg') {
      const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
      if (d.width < 1 || d.height < 1) throw new Error('image has no pixels');
      return applyOrientation({ width: d.width, height: d.height, data: d.data }, jpegOrientation(bytes));
    }
    if (type === 'png') {
      // pngjs expands palette, grey and 16-bit to 8-bit RGBA and composites nothing: alpha is dropped.
      const d = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: d.width, height: d.height, data: rgbaToRgb(d.data) };
    }
  } catch (err) {
    throw new ImageDecodeError('corrupt', `corrupt or truncated image data: ${(err as Error).message || 'decode error'}`);
  }
  throw new ImageDecodeError('rejected', `${type.toUpperCase()} is not decoded in Node: convert it to JPEG or PNG to use it here`);
}

/** Decodes and preprocesses one image file exactly as ingestion stores it; throws ImageDecodeError. */
export function decodeImageFile(bytes: Uint8Array, name: string, size: number): DecodedImage {
  const img = decodeRgb(bytes, name);
  const pixels = centreCropResize(img, size);
  const flat = sniffImageType(bytes.subarray(0, 64)) === 'jpeg' ? flatBottomFraction(pixels, size) : 0;
  if (flat >= 0.2) {
    throw new ImageDecodeError('damaged', `damaged image: the bottom ${Math.round(flat * 100)}% is a flat fill (corrupt JPEG data)`);
  }
  return { pixels, width: img.width, height: img.height };
}
