// Image decoding for Node (the headless trainer and benchmarks): JPEG through the same wasm
// libjpeg-turbo decoder and resample as the browser (src/data/decode.ts preprocessJpeg: equal
// bytes), PNG through pngjs, EXIF orientation applied, then the centre square resized to a fixed
// side by src/data/rgb.ts. PNG differs from the browser, which draws on a canvas: the resampling
// filter (exact area average here, Skia's "high quality" canvas filter there), colour management
// (none here; Chromium converts embedded ICC profiles to sRGB) and alpha (dropped here, not
// composited).

import pngjs from 'pngjs';
import { ImageDecodeError, preprocessJpeg } from '../src/data/decode';
import { decodeJpeg, JpegDecodeError } from '../src/data/jpeg/jpegWasm';
import { applyOrientation, jpegOrientation } from '../src/data/orientation';
import { centreCropResize, rgbaToRgb, type RgbImage } from '../src/data/rgb';
import { rejectReason, sniffImageType } from '../src/data/sniff';

export { applyOrientation, jpegOrientation }; // moved to src/data/orientation.ts

export interface DecodedImage {
  pixels: Uint8Array; // [size, size, 3] RGB, centre crop of the upright image
  width: number; // upright original size
  height: number;
}

/** Full-size upright RGB of a JPEG or PNG file; throws ImageDecodeError. */
export function decodeRgb(bytes: Uint8Array, name: string): RgbImage {
  const reason = rejectReason(name, bytes.subarray(0, 64), bytes.length);
  if (reason) throw new ImageDecodeError('rejected', reason);
  const type = sniffImageType(bytes.subarray(0, 64));
  try {
    if (type === 'jpeg') {
      return applyOrientation(decodeJpeg(bytes), jpegOrientation(bytes));
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
  const head = bytes.subarray(0, 64);
  if (sniffImageType(head) !== 'jpeg' || rejectReason(name, head, bytes.length)) {
    const img = decodeRgb(bytes, name); // PNG, or throws the rejection
    return { pixels: centreCropResize(img, size), width: img.width, height: img.height };
  }
  try {
    return preprocessJpeg(bytes, size);
  } catch (err) {
    if (!(err instanceof JpegDecodeError)) throw err;
    throw new ImageDecodeError('corrupt', `corrupt or truncated image data: ${err.message}`);
  }
}
