// Image decoding and preprocessing in a browser or worker (createImageBitmap + OffscreenCanvas,
// no DOM): EXIF-upright, centre-cropped square RGB at a fixed size (the stored copy, which the
// gallery also shows as the thumbnail: no thumbnail is encoded here).
// Ingestion, scoring and search all preprocess through this one function.
import { LabError } from '../errors';
import { rgbaToRgb } from './rgb';
import { rejectReason, sniffImageType } from './sniff';

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

/** A decoded image: an ImageBitmap, or a WebCodecs VideoFrame (its display size is the upright size). */
interface Decoded {
  source: ImageBitmap | VideoFrame;
  width: number;
  height: number;
}

/**
 * WebCodecs ImageDecoder on JPEG bytes already in memory: no second read of the file through the
 * browser process, about 1 ms of CPU less per small image than createImageBitmap (measured, issue
 * 11). The frame carries the EXIF orientation, which drawImage applies (tests/e2e/ingest-exif).
 * Null when ImageDecoder is missing or fails: the caller decodes with createImageBitmap instead,
 * which also words the error for a corrupt file.
 */
async function decodeJpegBytes(bytes: Uint8Array): Promise<Decoded | null> {
  if (typeof ImageDecoder === 'undefined') return null;
  let decoder: ImageDecoder | undefined;
  try {
    decoder = new ImageDecoder({ data: bytes, type: 'image/jpeg' });
    const { image } = await decoder.decode();
    return { source: image, width: image.displayWidth, height: image.displayHeight };
  } catch {
    return null;
  } finally {
    decoder?.close();
  }
}

async function decodeFile(file: Blob): Promise<Decoded> {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    return { source: bitmap, width: bitmap.width, height: bitmap.height };
  } catch (err) {
    throw new ImageDecodeError(
      'corrupt',
      `corrupt or truncated image data: the browser could not decode it (${(err as Error).message || 'decode error'})`,
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

/**
 * Decodes `file` (name used in messages) and preprocesses it; throws ImageDecodeError. `bytes`, the
 * whole file when the caller has read it, saves reading it again (and a JPEG is then decoded from
 * memory); without it, the first 64 bytes are read to sniff the type.
 */
export async function preprocessImage(file: Blob, name: string, size: number, bytes?: Uint8Array): Promise<PreprocessedImage> {
  const head = bytes?.subarray(0, 64) ?? new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const reason = rejectReason(name, head, file.size);
  if (reason) throw new ImageDecodeError('rejected', reason);
  const jpeg = sniffImageType(head) === 'jpeg';
  const bitmap = (bytes && jpeg ? await decodeJpegBytes(bytes) : null) ?? (await decodeFile(file));
  try {
    if (bitmap.width < 1 || bitmap.height < 1) throw new ImageDecodeError('corrupt', 'image has no pixels');
    const pixels = rgbaToRgb(drawSquare(bitmap, size));
    const flat = jpeg ? flatBottomFraction(pixels, size) : 0;
    if (flat >= 0.2) {
      throw new ImageDecodeError('damaged', `damaged image: the bottom ${Math.round(flat * 100)}% is a flat fill (corrupt JPEG data)`);
    }
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
