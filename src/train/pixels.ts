// Pixel preparation on the CPU, once per run: resize a TrainingSet's square RGB images to the
// model's side (area average when shrinking, bilinear when enlarging), and assemble float
// batches in 0..1 for upload.

/** Per output index: source indices and weights along one axis. */
function axisWeights(from: number, to: number): { index: Int32Array; weight: Float32Array; offset: Int32Array } {
  const taps: [number, number][][] = [];
  const scale = from / to;
  for (let o = 0; o < to; o++) {
    const row: [number, number][] = [];
    if (scale >= 1) {
      // Box filter: every source pixel overlapping [o*scale, (o+1)*scale), weighted by overlap.
      const start = o * scale;
      const end = start + scale;
      for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
        const overlap = Math.min(end, i + 1) - Math.max(start, i);
        if (overlap > 0) row.push([i, overlap / scale]);
      }
    } else {
      // Bilinear with pixel centres at +0.5, clamped at the edges.
      const src = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), from - 1);
      const i0 = Math.floor(src);
      const frac = src - i0;
      row.push([i0, 1 - frac]);
      if (frac > 0) row.push([i0 + 1, frac]);
    }
    taps.push(row);
  }
  const offset = new Int32Array(to + 1);
  taps.forEach((row, o) => (offset[o + 1] = offset[o] + row.length));
  const index = new Int32Array(offset[to]);
  const weight = new Float32Array(offset[to]);
  taps.flat().forEach(([i, w], k) => {
    index[k] = i;
    weight[k] = w;
  });
  return { index, weight, offset };
}

/** pixels [n, from, from, 3] uint8 -> [n, to, to, 3] uint8; the input itself when from === to. */
export function resizeImages(pixels: Uint8Array, n: number, from: number, to: number): Uint8Array {
  if (pixels.length !== n * from * from * 3) {
    throw new RangeError(`resizeImages: expected ${n} x ${from} x ${from} x 3 = ${n * from * from * 3} bytes, found ${pixels.length}`);
  }
  if (from === to) return pixels;
  const w = axisWeights(from, to);
  const out = new Uint8Array(n * to * to * 3);
  const rows = new Float32Array(from * to * 3); // one image after the horizontal pass: [from, to, 3]
  for (let img = 0; img < n; img++) {
    const src = img * from * from * 3;
    for (let y = 0; y < from; y++) {
      for (let x = 0; x < to; x++) {
        let r = 0, g = 0, b = 0;
        for (let k = w.offset[x]; k < w.offset[x + 1]; k++) {
          const p = src + (y * from + w.index[k]) * 3;
          r += pixels[p] * w.weight[k];
          g += pixels[p + 1] * w.weight[k];
          b += pixels[p + 2] * w.weight[k];
        }
        const q = (y * to + x) * 3;
        rows[q] = r; rows[q + 1] = g; rows[q + 2] = b;
      }
    }
    const dst = img * to * to * 3;
    for (let y = 0; y < to; y++) {
      for (let x = 0; x < to; x++) {
        let r = 0, g = 0, b = 0;
        for (let k = w.offset[y]; k < w.offset[y + 1]; k++) {
          const q = (w.index[k] * to + x) * 3;
          r += rows[q] * w.weight[k];
          g += rows[q + 1] * w.weight[k];
          b += rows[q + 2] * w.weight[k];
        }
        const p = dst + (y * to + x) * 3;
        out[p] = Math.round(r); out[p + 1] = Math.round(g); out[p + 2] = Math.round(b);
      }
    }
  }
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
