/* The lab's entry points over libjpeg-turbo's decompressor (built by build.sh to wasm32): decode
 * a JPEG held in memory to RGB at the smallest DCT scale 1/8, 1/4, 1/2 or 1 whose short side is
 * at least the caller's target, so the IDCT runs at the reduced size; optionally resample its
 * centre square as src/data/rgb.ts does. Errors never exit: error_exit calls the imported
 * jpeg_fail, which throws in JS; the caller then discards the instance (the C stack and
 * libjpeg's allocations are not unwound). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include "jpeglib.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

__attribute__((import_module("env"), import_name("jpeg_fail")))
void jpeg_fail(int code, const char *message);

static void fail_exit(j_common_ptr cinfo) {
  char message[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, message);
  jpeg_fail(cinfo->err->msg_code, message);
}

/* Warnings (level -1) are counted by libjpeg in num_warnings; trace messages are dropped. */
static int last_warning;

static void quiet_emit(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0) {
    cinfo->err->num_warnings++;
    last_warning = cinfo->err->msg_code;
  }
}

static void quiet_output(j_common_ptr cinfo) { (void)cinfo; }

/* Out values of the last jw_decode: width, height (decoded, scaled), source width, height,
 * scale numerator (of 8), warnings, the last warning's code. */
static int32_t info[7];

__attribute__((export_name("jw_info"))) int32_t *jw_info(void) { return info; }

__attribute__((export_name("jw_malloc"))) void *jw_malloc(size_t n) { return malloc(n); }

__attribute__((export_name("jw_free"))) void jw_free(void *p) { free(p); }

/* Decodes `len` bytes at `data` to RGB [height, width, 3] in a buffer the caller frees with
 * jw_free; sizes in jw_info(). target_short <= 0 decodes at full size. */
__attribute__((export_name("jw_decode")))
uint8_t *jw_decode(const uint8_t *data, size_t len, int target_short) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = fail_exit;
  jerr.emit_message = quiet_emit;
  jerr.output_message = quiet_output;
  last_warning = 0;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, (unsigned long)len);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  unsigned int short_side = cinfo.image_width < cinfo.image_height ? cinfo.image_width : cinfo.image_height;
  /* The scale Pillow's draft() picks for a (target, target) request, so that Python's pipeline
   * can decode alike: 1/8, 1/4 or 1/2 when the short side is at least 8, 4 or 2 times the target. */
  int num = 8;
  if (target_short > 0) {
    while (num > 1 && short_side >= (unsigned int)target_short * (8 / (num / 2))) num /= 2;
  }
  cinfo.scale_num = num;
  cinfo.scale_denom = 8;
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * 3;
  uint8_t *out = malloc(stride * cinfo.output_height);
  if (!out) jpeg_fail(-1, "out of memory for the decoded image");
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  info[0] = (int32_t)cinfo.output_width;
  info[1] = (int32_t)cinfo.output_height;
  info[2] = (int32_t)cinfo.image_width;
  info[3] = (int32_t)cinfo.image_height;
  info[4] = num;
  info[5] = (int32_t)jerr.num_warnings;
  info[6] = jerr.num_warnings ? last_warning : 0;
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return out;
}

/* Taps along one axis, as src/data/rgb.ts axisTaps computes them (same doubles, weights rounded
 * to float): a box filter weighted by overlap when shrinking, bilinear when enlarging. Source
 * interval [start, start + span) of an axis `length` long, to `to` cells; at most
 * ceil(span / to) + 2 taps per cell (`per`). */
static void axis_taps(double start, double span, int to, int length, int per, int32_t *index, float *weight, int32_t *count) {
  double scale = span / to;
  for (int o = 0; o < to; o++) {
    int n = 0;
    if (scale >= 1) {
      double a = start + o * scale, b = a + scale;
      int end = (int)ceil(b) < length ? (int)ceil(b) : length;
      for (int i = (int)floor(a); i < end; i++) {
        double overlap = (b < i + 1 ? b : i + 1) - (a > i ? a : i);
        if (overlap > 1e-9) {
          index[o * per + n] = i;
          weight[o * per + n] = (float)(overlap / scale);
          n++;
        }
      }
    } else {
      double src = start + (o + 0.5) * scale - 0.5;
      if (src < start) src = start;
      if (src > start + span - 1) src = start + span - 1;
      int i0 = (int)floor(src);
      double frac = src - i0;
      index[o * per] = i0;
      weight[o * per] = (float)(1 - frac);
      n = 1;
      if (frac > 0) {
        index[o * per + 1] = i0 + 1;
        weight[o * per + 1] = (float)frac;
        n = 2;
      }
    }
    count[o] = n;
  }
}

#ifdef __wasm_simd128__
/* The two passes below with WebAssembly SIMD128, in the same double arithmetic as the scalar
 * passes (products and sums in the same order per value, no fused multiply-add), so the output is
 * byte for byte the scalar passes' and rgb.ts's. */

/* Horizontal pass over rows y0..y1: row y's bytes widened once to doubles (16 at a time), then
 * per output column (r, g) accumulates as one f64x2 and b as a double. */
static void horizontal_pass(const uint8_t *src, int w, int y0, int y1, int size, int per,
                            const int32_t *ci, const float *cw, const int32_t *cc, float *tmp, double *row) {
  int n = w * 3, n16 = n & ~15;
  for (int y = y0; y <= y1; y++) {
    const uint8_t *s = src + (size_t)y * n;
    for (int i = 0; i < n16; i += 16) {
      v128_t b8 = wasm_v128_load(s + i);
      v128_t h[2] = {wasm_u16x8_extend_low_u8x16(b8), wasm_u16x8_extend_high_u8x16(b8)};
      for (int j = 0; j < 2; j++) {
        v128_t lo = wasm_u32x4_extend_low_u16x8(h[j]), hi = wasm_u32x4_extend_high_u16x8(h[j]);
        double *d = row + i + 8 * j;
        wasm_v128_store(d, wasm_f64x2_convert_low_i32x4(lo));
        wasm_v128_store(d + 2, wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(lo, lo, 2, 3, 0, 1)));
        wasm_v128_store(d + 4, wasm_f64x2_convert_low_i32x4(hi));
        wasm_v128_store(d + 6, wasm_f64x2_convert_low_i32x4(wasm_i32x4_shuffle(hi, hi, 2, 3, 0, 1)));
      }
    }
    for (int i = n16; i < n; i++) row[i] = s[i];
    float *q = tmp + (size_t)y * size * 3;
    for (int x = 0; x < size; x++) {
      v128_t rg = wasm_f64x2_splat(0);
      double b = 0;
      for (int k = 0; k < cc[x]; k++) {
        const double *p = row + 3 * ci[x * per + k];
        double wt = cw[x * per + k];
        rg = wasm_f64x2_add(rg, wasm_f64x2_mul(wasm_v128_load(p), wasm_f64x2_splat(wt)));
        b += p[2] * wt;
      }
      wasm_v128_store64_lane(q + 3 * x, wasm_f32x4_demote_f64x2_zero(rg), 0);
      q[3 * x + 2] = (float)b;
    }
  }
}

/* Vertical pass: each output row is a weighted sum of whole tmp rows ([size * 3] floats), four
 * values at a time as two f64x2, then rounded half up to bytes. */
static void vertical_pass(const float *tmp, int size, int per, const int32_t *ri, const float *rw,
                          const int32_t *rc, uint8_t *out, double *acc) {
  int n = size * 3, n4 = n & ~3;
  for (int y = 0; y < size; y++) {
    for (int j = 0; j < n; j++) acc[j] = 0;
    for (int k = 0; k < rc[y]; k++) {
      const float *q = tmp + (size_t)ri[y * per + k] * n;
      double wt = rw[y * per + k];
      v128_t w2 = wasm_f64x2_splat(wt);
      for (int j = 0; j < n4; j += 4) {
        v128_t v = wasm_v128_load(q + j);
        v128_t lo = wasm_f64x2_promote_low_f32x4(v);
        v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
        wasm_v128_store(acc + j, wasm_f64x2_add(wasm_v128_load(acc + j), wasm_f64x2_mul(lo, w2)));
        wasm_v128_store(acc + j + 2, wasm_f64x2_add(wasm_v128_load(acc + j + 2), wasm_f64x2_mul(hi, w2)));
      }
      for (int j = n4; j < n; j++) acc[j] += q[j] * wt;
    }
    uint8_t *o = out + (size_t)y * n;
    for (int j = 0; j < n; j++) o[j] = (uint8_t)floor(acc[j] + 0.5);
  }
}
#else
/* Horizontal pass over rows y0..y1 into tmp [h, size, 3] floats. */
static void horizontal_pass(const uint8_t *src, int w, int y0, int y1, int size, int per,
                            const int32_t *ci, const float *cw, const int32_t *cc, float *tmp, double *row) {
  (void)row;
  for (int y = y0; y <= y1; y++) {
    for (int x = 0; x < size; x++) {
      double r = 0, g = 0, b = 0;
      for (int k = 0; k < cc[x]; k++) {
        const uint8_t *p = src + ((size_t)y * w + ci[x * per + k]) * 3;
        double wt = cw[x * per + k];
        r += p[0] * wt;
        g += p[1] * wt;
        b += p[2] * wt;
      }
      float *q = tmp + ((size_t)y * size + x) * 3;
      q[0] = (float)r;
      q[1] = (float)g;
      q[2] = (float)b;
    }
  }
}

/* Vertical pass from tmp to the size x size bytes, rounding half up. */
static void vertical_pass(const float *tmp, int size, int per, const int32_t *ri, const float *rw,
                          const int32_t *rc, uint8_t *out, double *acc) {
  (void)acc;
  for (int y = 0; y < size; y++) {
    for (int x = 0; x < size; x++) {
      double r = 0, g = 0, b = 0;
      for (int k = 0; k < rc[y]; k++) {
        const float *q = tmp + ((size_t)ri[y * per + k] * size + x) * 3;
        double wt = rw[y * per + k];
        r += q[0] * wt;
        g += q[1] * wt;
        b += q[2] * wt;
      }
      uint8_t *o = out + ((size_t)y * size + x) * 3;
      o[0] = (uint8_t)floor(r + 0.5);
      o[1] = (uint8_t)floor(g + 0.5);
      o[2] = (uint8_t)floor(b + 0.5);
    }
  }
}
#endif

/* The centre square of an RGB image [h, w, 3] resampled to size x size, exactly as rgb.ts
 * centreCropResize does (horizontal pass into floats, then vertical, rounding half up). */
static uint8_t *centre_crop_resize(const uint8_t *src, int w, int h, int size) {
  int side = w < h ? w : h;
  int per = (side + size - 1) / size + 2;
  int32_t *index = malloc(sizeof(int32_t) * 2 * size * per);
  float *weight = malloc(sizeof(float) * 2 * size * per);
  int32_t *count = malloc(sizeof(int32_t) * 2 * size);
  float *tmp = malloc(sizeof(float) * (size_t)h * size * 3);
  /* doubles: a source row [w * 3] for the horizontal pass, an output row [size * 3] for the vertical */
  double *work = malloc(sizeof(double) * (size_t)(w > size ? w : size) * 3);
  uint8_t *out = malloc((size_t)size * size * 3);
  if (!index || !weight || !count || !tmp || !work || !out) jpeg_fail(-1, "out of memory for the resized image");
  int32_t *ci = index, *ri = index + size * per, *cc = count, *rc = count + size;
  float *cw = weight, *rw = weight + size * per;
  axis_taps((w - side) / 2.0, side, size, w, per, ci, cw, cc);
  axis_taps((h - side) / 2.0, side, size, h, per, ri, rw, rc);
  int y0 = ri[0], y1 = ri[(size - 1) * per + rc[size - 1] - 1]; /* rows the vertical taps read */
  horizontal_pass(src, w, y0, y1, size, per, ci, cw, cc, tmp, work);
  vertical_pass(tmp, size, per, ri, rw, rc, out, work);
  free(index);
  free(weight);
  free(count);
  free(tmp);
  free(work);
  return out;
}

/* jw_decode at the smallest scale whose short side reaches `size`, then its centre square
 * resampled to size x size RGB (a buffer the caller frees with jw_free); jw_info() as jw_decode. */
__attribute__((export_name("jw_decode_square")))
uint8_t *jw_decode_square(const uint8_t *data, size_t len, int size) {
  uint8_t *rgb = jw_decode(data, len, size);
  uint8_t *out = centre_crop_resize(rgb, info[0], info[1], size);
  free(rgb);
  return out;
}
