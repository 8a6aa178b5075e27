// Image decoding and preprocessing in a browser or worker, no DOM: EXIF-upright, centre-cropped
// square RGB at a fixed size (the stored copy, which the gallery also shows as the thumbnail: no
// thumbnail is encoded here). JPEGs go through the wasm libjpeg-turbo decoder (data/jpeg), which
// decodes at a reduced DCT scale and resamples in one step, with the same pixels as in Node; other
// types, and JPEGs it cannot decode, through createImageBitmap + OffscreenCanvas.
// Ingestion, scoring and search all preprocess through this one function.
import { LabError } from '../errors';
import { decodeJpegSquare, JpegDecodeError, precompileJpegDecoder } from './jpeg/jpegWasm';
import { applyOrientation, jpegOrientation } from './orientation';
import { rgbaToRgb } from './rgb';
import { MAX_IMAGE_BYTES, rejectReason, sniffImageType } from './sniff';

export type ImageDecodeErrorCode = 'rejected' | 'corrupt' | 'damaged';

export class ImageDecodeError extends LabError<ImageDecodeErrorCode> {
  override readonly name = 'ImageDecodeError';
}

export interface PreprocessedImage {
  pixels: Uint8Array; // size*size*3 RGB, centre crop
  width: number; // upright original size
  height: number;
}

function cropRect(w: number, h: number) {
  const side = Math.min(w, h);
  return { sx: (w - side) / 2, sy: (h - side) / 2, side };
}

/** A decoded image: an ImageBitmap (its size is the upright size). */
interface Decoded {
  source: ImageBitmap;
  width: number;
  height: number;
}

/**
 * The size×size copy of a JPEG by the wasm decoder: IDCT at the smallest scale (1/8, 1/4, 1/2 or 1,
 * as Pillow's draft() picks it) whose short side covers `size`, the centre square resampled by
 * rgb.ts's taps, then turned upright per its EXIF orientation (the centre square of the upright
 * image is the upright centre square), then the damage check. The browser's path and Node's
 * (cli/image.ts) alike, with equal bytes, and Python's (clip_lab.pixels) too. Throws
 * JpegDecodeError (data libjpeg-turbo cannot decode) or ImageDecodeError ('damaged').
 */
export function preprocessJpeg(bytes: Uint8Array, size: number): PreprocessedImage {
  const square = decodeJpegSquare(bytes, size);
  const orientation = jpegOrientation(bytes);
  const pixels = applyOrientation(square, orientation).data;
  checkDamage(pixels, size);
  const turned = orientation >= 5; // 5..8 swap the axes
  const [width, height] = turned ? [square.fileHeight, square.fileWidth] : [square.fileWidth, square.fileHeight];
  return { pixels, width, height };
}

/** createImageBitmap on the file; `jpegError`, the wasm decoder's message, is added to a failure's. */
async function decodeFile(file: Blob, jpegError?: string): Promise<Decoded> {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    return { source: bitmap, width: bitmap.width, height: bitmap.height };
  } catch (err) {
    throw new ImageDecodeError(
      'corrupt',
      `corrupt or truncated image data: the browser could not decode it (${(err as Error).message || 'decode error'})` +
        (jpegError ? `; ${jpegError}` : ''),
    );
  }
}

/** Draws the centre square of `bitmap` at size×size and returns its RGBA pixels. */
function drawSquare(bitmap: Decoded, size: number): Uint8ClampedArray {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageDecodeError('corrupt', 'no 2D canvas context is available to resize images');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const { sx, sy, side } = cropRect(bitmap.width, bitmap.height);
  ctx.drawImage(bitmap.source, sx, sy, side, side, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

/**
 * Fraction of rows at the bottom of the image that are one flat mid-grey fill — what a browser draws
 * where a JPEG's scan data is corrupt or missing. Pure.
 */
export function flatBottomFraction(rgb: Uint8Array, size: number): number {
  const last = (size * size - 1) * 3;
  const [r, g, b] = [rgb[last], rgb[last + 1], rgb[last + 2]];
  const grey = Math.abs(r - g) <= 6 && Math.abs(g - b) <= 6 && r >= 96 && r <= 160;
  if (!grey) return 0;
  let flatRows = 0;
  for (let y = size - 1; y >= 0; y--) {
    const row = y * size * 3;
    const r0 = rgb[row],
      g0 = rgb[row + 1],
      b0 = rgb[row + 2];
    let flat = true;
    for (let x = 1; x < size && flat; x++) {
      const o = row + 3 * x;
      if (Math.abs(rgb[o] - r0) > 2 || Math.abs(rgb[o + 1] - g0) > 2 || Math.abs(rgb[o + 2] - b0) > 2) flat = false;
    }
    if (!flat) break;
    flatRows++;
  }
  return flatRows / size;
}

/** Throws 'damaged' when the bottom of a JPEG's copy is a flat grey fill (corrupt scan data). */
function checkDamage(pixels: Uint8Array, size: number): void {
  const flat = flatBottomFraction(pixels, size);
  if (flat >= 0.2) {
    throw new ImageDecodeError('damaged', `damaged image: the bottom ${Math.round(flat * 100)}% is a flat fill (corrupt JPEG data)`);
  }
}

const readAll = async (file: Blob) => new Uint8Array(await file.arrayBuffer());

/**
 * Decodes `file` (name used in messages) and preprocesses it; throws ImageDecodeError. `bytes`, the
 * whole file when the caller has read it, saves reading it again. A JPEG is read whole once (by
 * its name, else after sniffing its first 64 bytes) and decoded from memory.
 */
export async function preprocessImage(file: Blob, name: string, size: number, bytes?: Uint8Array): Promise<PreprocessedImage> {
  if (!bytes && /\.jpe?g$/i.test(name) && file.size <= MAX_IMAGE_BYTES) bytes = await readAll(file);
  const head = bytes?.subarray(0, 64) ?? new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const reason = rejectReason(name, head, file.size);
  if (reason) throw new ImageDecodeError('rejected', reason);
  const jpeg = sniffImageType(head) === 'jpeg';
  let jpegError: string | undefined;
  if (jpeg) {
    bytes ??= await readAll(file);
    try {
      await precompileJpegDecoder(); // once, asynchronously (a browser's main thread refuses a sync compile)
      return preprocessJpeg(bytes, size);
    } catch (err) {
      if (!(err instanceof JpegDecodeError)) throw err;
      jpegError = err.message; // e.g. CMYK, or corrupt: the browser decodes it or words the error
    }
  }
  const bitmap = await decodeFile(file, jpegError);
  try {
    if (bitmap.width < 1 || bitmap.height < 1) throw new ImageDecodeError('corrupt', 'image has no pixels');
    const pixels = rgbaToRgb(drawSquare(bitmap, size));
    if (jpeg) checkDamage(pixels, size);
    return { pixels, width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.source.close();
  }
}

/** Encodes RGB pixels as an image Blob (used for the synthetic sample's files and thumbnails). */
export async function rgbToBlob(rgb: Uint8Array, size: number, outSize: number, type: 'image/png' | 'image/jpeg'): Promise<Blob> {
  const src = new OffscreenCanvas(size, size);
  const sctx = src.getContext('2d')!;
  const img = sctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    img.data[4 * i] = rgb[3 * i];
    img.data[4 * i + 1] = rgb[3 * i + 1];
    img.data[4 * i + 2] = rgb[3 * i + 2];
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  if (outSize === size) return src.convertToBlob({ type, quality: 0.85 });
  const dst = new OffscreenCanvas(outSize, outSize);
  const dctx = dst.getContext('2d')!;
  dctx.imageSmoothingQuality = 'high';
  dctx.drawImage(src, 0, 0, outSize, outSize);
  return dst.convertToBlob({ type, quality: 0.85 });
}
