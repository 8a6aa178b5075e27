// Pixel preparation on the CPU, once per run: resize a TrainingSet's square RGB images to the
// model's side (data/rgb.ts: area average when shrinking, bilinear when enlarging), and assemble
// float batches in 0..1 for upload.
import { axisTaps, resample } from '../data/rgb';

/** pixels [n, from, from, 3] uint8 -> [n, to, to, 3] uint8; the input itself when from === to. */
export function resizeImages(pixels: Uint8Array, n: number, from: number, to: number): Uint8Array {
  if (pixels.length !== n * from * from * 3) {
    throw new RangeError(`resizeImages: expected ${n} x ${from} x ${from} x 3 = ${n * from * from * 3} bytes, found ${pixels.length}`);
  }
  if (from === to) return pixels;
  const taps = axisTaps(0, from, to);
  const out = new Uint8Array(n * to * to * 3);
  for (let img = 0; img < n; img++) resample(pixels, img * from * from * 3, from, from, taps, taps, out, img * to * to * 3);
  return out;
}

/** The images `ids` of pixels [N, S, S, 3] uint8 as float32 [ids.length, S, S, 3] in 0..1. */
export function imageBatch(pixels: Uint8Array, size: number, ids: readonly number[]): Float32Array {
  const stride = size * size * 3;
  const out = new Float32Array(ids.length * stride);
  ids.forEach((id, b) => {
    const src = id * stride;
    for (let i = 0; i < stride; i++) out[b * stride + i] = pixels[src + i] / 255;
  });
  return out;
}

/** Rows `ids` of a row-major [N, width] float array, stacked. */
export function gatherRows(data: Float32Array, width: number, ids: readonly number[]): Float32Array {
  const out = new Float32Array(ids.length * width);
  ids.forEach((id, r) => out.set(data.subarray(id * width, (id + 1) * width), r * width));
  return out;
}
