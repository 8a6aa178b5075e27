// RGB pixel arrays on the CPU, pure: RGBA -> RGB, and the one resizer (area average when
// shrinking, bilinear when enlarging) used to fit stored images to the model's side and, in Node,
// to centre-crop decoded files the way the browser's canvas does.

/** An RGB image of any size: data is [height, width, 3]. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** RGBA bytes [n, 4] -> RGB bytes [n, 3] (alpha dropped, not composited). */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[3 * i] = rgba[4 * i];
    rgb[3 * i + 1] = rgba[4 * i + 1];
    rgb[3 * i + 2] = rgba[4 * i + 2];
  }
  return rgb;
}

/** Per output index o, taps index[offset[o] .. offset[o+1]) with their weights, along one axis. */
export interface AxisTaps {
  index: Int32Array;
  weight: Float32Array;
  offset: Int32Array;
}

/**
 * Taps that resample the source interval [start, start + span) of an axis `length` long to `to`
 * cells: a box filter weighted by overlap when shrinking (or keeping the size), bilinear with
 * pixel centres at +0.5, clamped to the interval, when enlarging.
 */
export function axisTaps(start: number, span: number, to: number, length = start + span): AxisTaps {
  const taps: [number, number][][] = [];
  const scale = span / to;
  for (let o = 0; o < to; o++) {
    const row: [number, number][] = [];
    if (scale >= 1) {
      const a = start + o * scale;
      const b = a + scale;
      for (let i = Math.floor(a); i < Math.min(length, Math.ceil(b)); i++) {
        const overlap = Math.min(b, i + 1) - Math.max(a, i);
        if (overlap > 1e-9) row.push([i, overlap / scale]);
      }
    } else {
      const src = Math.min(Math.max(start + (o + 0.5) * scale - 0.5, start), start + span - 1);
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

/**
 * Resamples one RGB image `src` [height, width, 3] (starting at byte `at`) through column taps
 * `cols` and row taps `rows` into out[outAt ..] as [rows, cols, 3], rounding to bytes.
 */
export function resample(
  src: Uint8Array,
  at: number,
  width: number,
  height: number,
  cols: AxisTaps,
  rows: AxisTaps,
  out: Uint8Array,
  outAt = 0,
): void {
  const W = cols.offset.length - 1;
  const H = rows.offset.length - 1;
  const tmp = new Float32Array(height * W * 3); // after the horizontal pass: [height, W, 3]
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < W; x++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let k = cols.offset[x]; k < cols.offset[x + 1]; k++) {
        const p = at + (y * width + cols.index[k]) * 3;
        r += src[p] * cols.weight[k];
        g += src[p + 1] * cols.weight[k];
        b += src[p + 2] * cols.weight[k];
      }
      const q = (y * W + x) * 3;
      tmp[q] = r;
      tmp[q + 1] = g;
      tmp[q + 2] = b;
    }
  }
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = 0,
        g = 0,
        b = 0;
      for (let k = rows.offset[y]; k < rows.offset[y + 1]; k++) {
        const q = (rows.index[k] * W + x) * 3;
        r += tmp[q] * rows.weight[k];
        g += tmp[q + 1] * rows.weight[k];
        b += tmp[q + 2] * rows.weight[k];
      }
      const p = outAt + (y * W + x) * 3;
      out[p] = Math.round(r);
      out[p + 1] = Math.round(g);
      out[p + 2] = Math.round(b);
    }
  }
}

/**
 * The centre square of `img` (side min(w, h), at a fractional offset as the canvas crop)
 * resampled to size x size: [size, size, 3].
 */
export function centreCropResize(img: RgbImage, size: number): Uint8Array {
  const side = Math.min(img.width, img.height);
  const cols = axisTaps((img.width - side) / 2, side, size, img.width);
  const rows = axisTaps((img.height - side) / 2, side, size, img.height);
  const out = new Uint8Array(size * size * 3);
  resample(img.data, 0, img.width, img.height, cols, rows, out);
  return out;
}
