// Image decoding for Node (the headless trainer and benchmarks): JPEG through jpeg-js, PNG through
// pngjs, EXIF orientation applied, then the centre square area-averaged to a fixed side — the same
// steps as the browser's preprocessImage (src/data/decode.ts), which draws on a canvas instead.
// Differences from the browser: the resampling filter (exact area average here, Skia's
// "high quality" canvas filter there), the JPEG decoder's rounding, colour management (none here;
// Chromium converts embedded ICC profiles to sRGB) and PNG alpha (dropped here, not composited).
// Measured (bench/preprocess.ts, BENCHMARKS.md): a mean of 1.7-3.3 levels apart at 128 px. Corrupt
// JPEG scan data: jpeg-js may not draw Chromium's flat grey fill, so the damage check can miss it.

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { flatBottomFraction, ImageDecodeError } from '../src/data/decode';
import { rejectReason, sniffImageType } from '../src/data/sniff';

export interface DecodedImage {
  pixels: Uint8Array; // [size, size, 3] RGB, centre crop of the upright image
  width: number; // upright original size
  height: number;
}

/** An RGB image of any size: data is [height, width, 3]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** RGBA or RGB bytes -> RGB. */
function toRgb(data: Uint8Array, width: number, height: number, channels: 3 | 4): RgbImage {
  if (channels === 3) return { width, height, data };
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, n = width * height; i < n; i++) {
    rgb[3 * i] = data[4 * i];
    rgb[3 * i + 1] = data[4 * i + 1];
    rgb[3 * i + 2] = data[4 * i + 2];
  }
  return { width, height, data: rgb };
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
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break; // 8
      }
      const s = (sy * w + sx) * 3;
      const d = (y * W + x) * 3;
      out[d] = data[s]; out[d + 1] = data[s + 1]; out[d + 2] = data[s + 2];
    }
  }
  return { width: W, height: H, data: out };
}

/** Box-filter taps: source [start, start + span) split into `to` equal cells, weighted by overlap. */
function areaTaps(start: number, span: number, to: number): { index: number[]; weight: number[] }[] {
  const scale = span / to;
  return Array.from({ length: to }, (_, o) => {
    const a = start + o * scale;
    const b = a + scale;
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(a); i < Math.ceil(b); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 1e-9) {
        index.push(i);
        weight.push(overlap / scale);
      }
    }
    return { index, weight };
  });
}

/**
 * The centre square of `img` (side min(w, h), fractional offset as the canvas crop) resampled to
 * size x size by area averaging (exact box filter; for enlargements it degrades to nearest).
 */
export function centreCropResize(img: RgbImage, size: number): Uint8Array {
  const side = Math.min(img.width, img.height);
  const cols = areaTaps((img.width - side) / 2, side, size);
  const rows = areaTaps((img.height - side) / 2, side, size);
  const tmp = new Float32Array(img.height * size * 3); // horizontal pass: [height, size, 3]
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < size; x++) {
      const { index, weight } = cols[x];
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < index.length; k++) {
        const p = (y * img.width + index[k]) * 3;
        r += img.data[p] * weight[k]; g += img.data[p + 1] * weight[k]; b += img.data[p + 2] * weight[k];
      }
      const q = (y * size + x) * 3;
      tmp[q] = r; tmp[q + 1] = g; tmp[q + 2] = b;
    }
  }
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const { index, weight } = rows[y];
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < index.length; k++) {
        const q = (index[k] * size + x) * 3;
        r += tmp[q] * weight[k]; g += tmp[q + 1] * weight[k]; b += tmp[q + 2] * weight[k];
      }
      const p = (y * size + x) * 3;
      out[p] = Math.round(r); out[p + 1] = Math.round(g); out[p + 2] = Math.round(b);
    }
  }
  return out;
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
      return applyOrientation(toRgb(d.data, d.width, d.height, 3), jpegOrientation(bytes));
    }
    if (type === 'png') {
      // pngjs expands palette, grey and 16-bit to 8-bit RGBA and composites nothing: alpha is dropped.
      const d = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return toRgb(new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength), d.width, d.height, 4);
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
