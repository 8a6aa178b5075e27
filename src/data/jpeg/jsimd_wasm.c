/* libjpeg-turbo's SIMD hooks (jsimd.h) for its decompressor built with WebAssembly SIMD128
 * (build.sh): the integer IDCTs at full scale (jpeg_idct_islow, jidctint.c) and at 1/2 scale
 * (jpeg_idct_4x4, jidctred.c) and YCbCr->RGB (jdcolor.c), the hottest routines after Huffman
 * decoding at the scales the lab decodes at, written over wasm_simd128.h. Each computes the C
 * routine's exact arithmetic (32-bit wrapping integers, its all-zero shortcuts taken per lane with
 * a select, its range-limit table's wrap-around), so the pixels are the C routines' byte for byte
 * (checked over 620 photos, and against the C routines on random coefficient blocks and all YCbCr
 * triples: jw_idct_mismatches, jw_colour_mismatches, tests/unit/data/jpegWasm.test.ts). Every
 * other hook answers as jsimd_none.c does: the C routine runs. Derived from those libjpeg-turbo
 * files, under their licence (NOTICE.txt). */
#define JPEG_INTERNALS
#include <wasm_simd128.h>
#include "jinclude.h"
#include "jpeglib.h"
#include "jsimd.h"
#include "jdct.h"
#include "jsimddct.h"
#include <stdlib.h>

#define CONST_BITS 13
#define PASS1_BITS 2

typedef v128_t i32x4;

static inline i32x4 mul(i32x4 v, int c) { return wasm_i32x4_mul(v, wasm_i32x4_splat(c)); }
static inline i32x4 add(i32x4 a, i32x4 b) { return wasm_i32x4_add(a, b); }
static inline i32x4 sub(i32x4 a, i32x4 b) { return wasm_i32x4_sub(a, b); }
/* DESCALE(x, n): x + 2^(n-1), arithmetic shift right by n (wrapping, as the C code compiles). */
static inline i32x4 descale(i32x4 x, int n) { return wasm_i32x4_shr(add(x, wasm_i32x4_splat(1 << (n - 1))), n); }
static inline i32x4 is_zero(i32x4 v) { return wasm_i32x4_eq(v, wasm_i32x4_splat(0)); }

/* range_limit[x & RANGE_MASK] of the IDCTs (jdmaster.c's table): x taken mod 1024 into
 * [-512, 511], plus CENTERJSAMPLE, clamped to [0, 255] (the clamp is done by the narrowing). */
static inline i32x4 range_limit(i32x4 x) {
  return sub(wasm_v128_and(add(x, wasm_i32x4_splat(512)), wasm_i32x4_splat(1023)), wasm_i32x4_splat(512 - CENTERJSAMPLE));
}

/* Dequantized coefficient row r of a block, columns 0-3 (half 0) or 4-7 (half 1). */
static inline i32x4 dequant(const JCOEF *in, const int *q, int r, int half) {
  v128_t c = wasm_v128_load(in + 8 * r);
  i32x4 c32 = half ? wasm_i32x4_extend_high_i16x8(c) : wasm_i32x4_extend_low_i16x8(c);
  return wasm_i32x4_mul(c32, wasm_v128_load(q + 8 * r + 4 * half));
}

/* In-place 4x4 transpose of 32-bit lanes. */
static inline void transpose4(i32x4 *a, i32x4 *b, i32x4 *c, i32x4 *d) {
  i32x4 t0 = wasm_i32x4_shuffle(*a, *b, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(*a, *b, 2, 6, 3, 7);
  i32x4 t2 = wasm_i32x4_shuffle(*c, *d, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(*c, *d, 2, 6, 3, 7);
  *a = wasm_i64x2_shuffle(t0, t2, 0, 2);
  *b = wasm_i64x2_shuffle(t0, t2, 1, 3);
  *c = wasm_i64x2_shuffle(t1, t3, 0, 2);
  *d = wasm_i64x2_shuffle(t1, t3, 1, 3);
}

/* jidctint.c's 8-point even/odd butterfly on lanes: in[0..7] -> out[0..7] before descaling. */
static inline void islow_1d(const i32x4 *in, i32x4 *out, int shift0) {
  i32x4 z2 = in[2], z3 = in[6];
  i32x4 z1 = mul(add(z2, z3), 4433);
  i32x4 tmp2 = add(z1, mul(z3, -15137)), tmp3 = add(z1, mul(z2, 6270));
  i32x4 tmp0 = wasm_i32x4_shl(add(in[0], in[4]), shift0), tmp1 = wasm_i32x4_shl(sub(in[0], in[4]), shift0);
  i32x4 tmp10 = add(tmp0, tmp3), tmp13 = sub(tmp0, tmp3), tmp11 = add(tmp1, tmp2), tmp12 = sub(tmp1, tmp2);
  tmp0 = in[7], tmp1 = in[5], tmp2 = in[3], tmp3 = in[1];
  z1 = add(tmp0, tmp3), z2 = add(tmp1, tmp2), z3 = add(tmp0, tmp2);
  i32x4 z4 = add(tmp1, tmp3), z5 = mul(add(z3, z4), 9633);
  tmp0 = mul(tmp0, 2446), tmp1 = mul(tmp1, 16819), tmp2 = mul(tmp2, 25172), tmp3 = mul(tmp3, 12299);
  z1 = mul(z1, -7373), z2 = mul(z2, -20995), z3 = mul(z3, -16069), z4 = mul(z4, -3196);
  z3 = add(z3, z5), z4 = add(z4, z5);
  tmp0 = add(tmp0, add(z1, z3)), tmp1 = add(tmp1, add(z2, z4));
  tmp2 = add(tmp2, add(z2, z3)), tmp3 = add(tmp3, add(z1, z4));
  out[0] = add(tmp10, tmp3), out[7] = sub(tmp10, tmp3);
  out[1] = add(tmp11, tmp2), out[6] = sub(tmp11, tmp2);
  out[2] = add(tmp12, tmp1), out[5] = sub(tmp12, tmp1);
  out[3] = add(tmp13, tmp0), out[4] = sub(tmp13, tmp0);
}

/* Stores rows r..r+3 of an output block: lo[c] / hi[c] hold columns c / 4+c with rows as lanes. */
static inline void store_rows(i32x4 *lo, i32x4 *hi, JSAMPARRAY output_buf, JDIMENSION col, int r, int width) {
  transpose4(&lo[0], &lo[1], &lo[2], &lo[3]);
  if (width == 8) transpose4(&hi[0], &hi[1], &hi[2], &hi[3]);
  for (int k = 0; k < 4; k += 2) {
    v128_t a = wasm_i16x8_narrow_i32x4(lo[k], hi[k]), b = wasm_i16x8_narrow_i32x4(lo[k + 1], hi[k + 1]);
    v128_t bytes = wasm_u8x16_narrow_i16x8(a, b); /* row k: bytes 0-7, row k+1: bytes 8-15 */
    if (width == 8) {
      wasm_v128_store64_lane(output_buf[r + k] + col, bytes, 0);
      wasm_v128_store64_lane(output_buf[r + k + 1] + col, bytes, 1);
    } else {
      wasm_v128_store32_lane(output_buf[r + k] + col, bytes, 0);
      wasm_v128_store32_lane(output_buf[r + k + 1] + col, bytes, 2);
    }
  }
}

GLOBAL(void)
jsimd_idct_islow(j_decompress_ptr cinfo, jpeg_component_info *compptr, JCOEFPTR coef_block,
                 JSAMPARRAY output_buf, JDIMENSION output_col)
{
  const int *q = (const int *)compptr->dct_table;
  i32x4 ws[2][8]; /* ws[half][row]: the column pass's output, columns 4*half.. as lanes */
  v128_t ac = wasm_i16x8_splat(0);
  for (int r = 1; r < 8; r++) ac = wasm_v128_or(ac, wasm_v128_load(coef_block + 8 * r));
  v128_t ac_zero16 = wasm_i16x8_eq(ac, wasm_i16x8_splat(0));
  for (int half = 0; half < 2; half++) {
    i32x4 in[8], out[8];
    for (int r = 0; r < 8; r++) in[r] = dequant(coef_block, q, r, half);
    islow_1d(in, out, CONST_BITS);
    i32x4 zero = half ? wasm_i32x4_extend_high_i16x8(ac_zero16) : wasm_i32x4_extend_low_i16x8(ac_zero16);
    i32x4 dc = wasm_i32x4_shl(in[0], PASS1_BITS); /* a column with no AC terms */
    for (int r = 0; r < 8; r++) ws[half][r] = wasm_v128_bitselect(dc, descale(out[r], CONST_BITS - PASS1_BITS), zero);
  }
  for (int r = 0; r < 8; r += 4) { /* rows r..r+3 as lanes */
    i32x4 in[8], out[8];
    for (int c = 0; c < 8; c++) in[c] = ws[c >> 2][r + (c & 3)];
    transpose4(&in[0], &in[1], &in[2], &in[3]);
    transpose4(&in[4], &in[5], &in[6], &in[7]);
    islow_1d(in, out, CONST_BITS);
    i32x4 nz = in[1];
    for (int c = 2; c < 8; c++) nz = wasm_v128_or(nz, in[c]);
    i32x4 zero = is_zero(nz), dc = range_limit(descale(in[0], PASS1_BITS + 3));
    for (int c = 0; c < 8; c++) out[c] = wasm_v128_bitselect(dc, range_limit(descale(out[c], CONST_BITS + PASS1_BITS + 3)), zero);
    store_rows(out, out + 4, output_buf, output_col, r, 8);
  }
}

/* jidctred.c's 4-point butterfly with the odd part of an 8-point input: in[0..7] (in[4] unused). */
static inline void red4_1d(const i32x4 *in, i32x4 *out) {
  i32x4 tmp0 = wasm_i32x4_shl(in[0], CONST_BITS + 1);
  i32x4 tmp2 = add(mul(in[2], 15137), mul(in[6], -6270));
  i32x4 tmp10 = add(tmp0, tmp2), tmp12 = sub(tmp0, tmp2);
  i32x4 z1 = in[7], z2 = in[5], z3 = in[3], z4 = in[1];
  tmp0 = add(add(add(mul(z1, -1730), mul(z2, 11893)), mul(z3, -17799)), mul(z4, 8697));
  tmp2 = add(add(add(mul(z1, -4176), mul(z2, -4926)), mul(z3, 7373)), mul(z4, 20995));
  out[0] = add(tmp10, tmp2), out[3] = sub(tmp10, tmp2);
  out[1] = add(tmp12, tmp0), out[2] = sub(tmp12, tmp0);
}

GLOBAL(void)
jsimd_idct_4x4(j_decompress_ptr cinfo, jpeg_component_info *compptr, JCOEFPTR coef_block,
               JSAMPARRAY output_buf, JDIMENSION output_col)
{
  const int *q = (const int *)compptr->dct_table;
  i32x4 ws[2][4]; /* ws[half][row], rows 0-3 of the column pass, columns 4*half.. as lanes */
  v128_t ac = wasm_i16x8_splat(0);
  for (int r = 1; r < 8; r++)
    if (r != 4) ac = wasm_v128_or(ac, wasm_v128_load(coef_block + 8 * r));
  v128_t ac_zero16 = wasm_i16x8_eq(ac, wasm_i16x8_splat(0));
  for (int half = 0; half < 2; half++) {
    i32x4 in[8], out[4];
    for (int r = 0; r < 8; r++) in[r] = r == 4 ? wasm_i32x4_splat(0) : dequant(coef_block, q, r, half);
    red4_1d(in, out);
    i32x4 zero = half ? wasm_i32x4_extend_high_i16x8(ac_zero16) : wasm_i32x4_extend_low_i16x8(ac_zero16);
    i32x4 dc = wasm_i32x4_shl(in[0], PASS1_BITS);
    for (int r = 0; r < 4; r++) ws[half][r] = wasm_v128_bitselect(dc, descale(out[r], CONST_BITS - PASS1_BITS + 1), zero);
  }
  /* Rows 0-3 as lanes; column 4 (which the C code leaves unset) is never read. */
  i32x4 in[8], out[4];
  for (int c = 0; c < 8; c++) in[c] = ws[c >> 2][c & 3];
  transpose4(&in[0], &in[1], &in[2], &in[3]);
  transpose4(&in[4], &in[5], &in[6], &in[7]);
  red4_1d(in, out);
  i32x4 nz = wasm_v128_or(wasm_v128_or(in[1], in[2]), wasm_v128_or(in[3], in[5]));
  nz = wasm_v128_or(nz, wasm_v128_or(in[6], in[7]));
  i32x4 zero = is_zero(nz), dc = range_limit(descale(in[0], PASS1_BITS + 3));
  for (int c = 0; c < 4; c++) out[c] = wasm_v128_bitselect(dc, range_limit(descale(out[c], CONST_BITS + PASS1_BITS + 3 + 1)), zero);
  store_rows(out, out, output_buf, output_col, 0, 4);
}

GLOBAL(int) jsimd_can_idct_islow(void) { return sizeof(ISLOW_MULT_TYPE) == 4 && sizeof(JCOEF) == 2; }
GLOBAL(int) jsimd_can_idct_4x4(void) { return sizeof(ISLOW_MULT_TYPE) == 4 && sizeof(JCOEF) == 2; }

/* jdcolor.c's YCbCr->RGB (ycc_rgb_convert with its tables' formulas, computed per pixel: the tables
 * hold exactly these values), 16 pixels at a time in 32-bit lanes; sample_range_limit's clamp for
 * the sums' range [-256, 511] is the saturating narrowing to bytes. Only JCS_RGB (3 bytes per pixel)
 * is asked of this decoder (jpegDecode.c). */
#define SCALEBITS 16
#define ONE_HALF ((JLONG)1 << (SCALEBITS - 1))
#define FIX(x) ((JLONG)((x) * (1L << SCALEBITS) + 0.5))

static int c_colour; /* test hook: 1 makes jsimd_can_ycc_rgb answer 0, so jdcolor.c's C runs */

GLOBAL(int) jsimd_can_ycc_rgb(void) { return !c_colour && RGB_PIXELSIZE == 3; }

static inline v128_t colour_channel(v128_t y8, v128_t q[4]) {
  v128_t w[4];
  for (int i = 0; i < 4; i++) {
    v128_t y16 = i < 2 ? wasm_u16x8_extend_low_u8x16(y8) : wasm_u16x8_extend_high_u8x16(y8);
    v128_t y32 = i % 2 ? wasm_u32x4_extend_high_u16x8(y16) : wasm_u32x4_extend_low_u16x8(y16);
    w[i] = add(y32, wasm_i32x4_shr(q[i], SCALEBITS));
  }
  return wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(w[0], w[1]), wasm_i16x8_narrow_i32x4(w[2], w[3]));
}

/* 16 bytes as four i32x4 lanes minus CENTERJSAMPLE. */
static inline void centred(v128_t b8, v128_t out[4]) {
  v128_t lo = wasm_u16x8_extend_low_u8x16(b8), hi = wasm_u16x8_extend_high_u8x16(b8);
  v128_t c = wasm_i32x4_splat(CENTERJSAMPLE);
  out[0] = sub(wasm_u32x4_extend_low_u16x8(lo), c), out[1] = sub(wasm_u32x4_extend_high_u16x8(lo), c);
  out[2] = sub(wasm_u32x4_extend_low_u16x8(hi), c), out[3] = sub(wasm_u32x4_extend_high_u16x8(hi), c);
}

GLOBAL(void)
jsimd_ycc_rgb_convert(j_decompress_ptr cinfo, JSAMPIMAGE input_buf, JDIMENSION input_row,
                      JSAMPARRAY output_buf, int num_rows)
{
  JDIMENSION n = cinfo->output_width, n16 = n & ~15u;
  JSAMPLE *range_limit = cinfo->sample_range_limit;
  i32x4 half = wasm_i32x4_splat(ONE_HALF);
  while (--num_rows >= 0) {
    JSAMPROW in0 = input_buf[0][input_row], in1 = input_buf[1][input_row], in2 = input_buf[2][input_row];
    JSAMPROW out = *output_buf++;
    input_row++;
    for (JDIMENSION col = 0; col < n16; col += 16, out += 48) {
      v128_t y8 = wasm_v128_load(in0 + col), cb[4], cr[4], q[4];
      centred(wasm_v128_load(in1 + col), cb);
      centred(wasm_v128_load(in2 + col), cr);
      for (int i = 0; i < 4; i++) q[i] = add(mul(cr[i], FIX(1.40200)), half);
      v128_t r = colour_channel(y8, q);
      for (int i = 0; i < 4; i++) q[i] = add(add(mul(cb[i], -FIX(0.34414)), half), mul(cr[i], -FIX(0.71414)));
      v128_t g = colour_channel(y8, q);
      for (int i = 0; i < 4; i++) q[i] = add(mul(cb[i], FIX(1.77200)), half);
      v128_t b = colour_channel(y8, q);
      v128_t rg_lo = wasm_i8x16_shuffle(r, g, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      v128_t rg_hi = wasm_i8x16_shuffle(r, g, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v128_t mid = wasm_i8x16_shuffle(rg_lo, rg_hi, 11, 0, 12, 13, 0, 14, 15, 0, 16, 17, 0, 18, 19, 0, 20, 21);
      wasm_v128_store(out, wasm_i8x16_shuffle(rg_lo, b, 0, 1, 16, 2, 3, 17, 4, 5, 18, 6, 7, 19, 8, 9, 20, 10));
      wasm_v128_store(out + 16, wasm_i8x16_shuffle(mid, b, 0, 21, 2, 3, 22, 5, 6, 23, 8, 9, 24, 11, 12, 25, 14, 15));
      wasm_v128_store(out + 32, wasm_i8x16_shuffle(rg_hi, b, 26, 6, 7, 27, 8, 9, 28, 10, 11, 29, 12, 13, 30, 14, 15, 31));
    }
    for (JDIMENSION col = n16; col < n; col++, out += 3) {
      int y = in0[col];
      JLONG cb = in1[col] - CENTERJSAMPLE, cr = in2[col] - CENTERJSAMPLE;
      out[0] = range_limit[y + (int)((FIX(1.40200) * cr + ONE_HALF) >> SCALEBITS)];
      out[1] = range_limit[y + (int)(((-FIX(0.34414)) * cb + ONE_HALF + (-FIX(0.71414)) * cr) >> SCALEBITS)];
      out[2] = range_limit[y + (int)((FIX(1.77200) * cb + ONE_HALF) >> SCALEBITS)];
    }
  }
}

/* Test hook: every (Y, Cb, Cr) through jsimd_ycc_rgb_convert and jdcolor.c's C conversion, rows
 * 65,541 pixels wide (so that the scalar tail runs too); returns how many output bytes differ. */
__attribute__((export_name("jw_colour_mismatches")))
int jw_colour_mismatches(void) {
  static JSAMPLE table[5 * 256 + 128];
  enum { W = 65536 + 5 };
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  memset(table, 0, sizeof(table));
  for (int i = 0; i < 256; i++) table[256 + i] = (JSAMPLE)i;
  memset(table + 512, 255, sizeof(table) - 512);
  cinfo.sample_range_limit = table + 256;
  cinfo.jpeg_color_space = JCS_YCbCr;
  cinfo.out_color_space = JCS_RGB;
  cinfo.num_components = 3;
  cinfo.output_width = W;
  JSAMPLE *planes = malloc(3 * W), *out = malloc(2 * 3 * W);
  JSAMPROW rows[3] = {planes, planes + W, planes + 2 * W}, o[2] = {out, out + 3 * W};
  JSAMPARRAY bufs[3] = {&rows[0], &rows[1], &rows[2]};
  int bad = 0;
  for (int cr = 0; cr < 256; cr++) {
    for (int j = 0; j < W; j++) rows[0][j] = (JSAMPLE)j, rows[1][j] = (JSAMPLE)(j >> 8), rows[2][j] = (JSAMPLE)cr;
    for (int k = 0; k < 2; k++) {
      c_colour = k;
      jinit_color_deconverter(&cinfo);
      (*cinfo.cconvert->color_convert)(&cinfo, bufs, 0, &o[k], 1);
    }
    for (int j = 0; j < 3 * W; j++) bad += o[0][j] != o[1][j];
  }
  c_colour = 0;
  jpeg_destroy_decompress(&cinfo);
  free(planes);
  free(out);
  return bad;
}

/* Test hook: runs `blocks` random coefficient blocks (seeded; sparse, dense and extreme values,
 * quantisers up to 65535 so that the 32-bit arithmetic wraps) through these IDCTs and the C ones
 * (jidctint.c, jidctred.c) and returns how many blocks' output bytes differ. */
__attribute__((export_name("jw_idct_mismatches")))
int jw_idct_mismatches(uint32_t seed, int blocks) {
  static JSAMPLE table[5 * 256 + 128];
  static JSAMPLE rows[2][8][16];
  struct jpeg_decompress_struct cinfo;
  jpeg_component_info comp;
  int q[64];
  JCOEF coef[64];
  JSAMPROW out[2][8];
  /* jdmaster.c's prepare_range_limit_table */
  JSAMPLE *t = table + 256;
  memset(table, 0, sizeof(table));
  for (int i = 0; i < 256; i++) t[i] = (JSAMPLE)i;
  for (int i = 128; i < 512; i++) t[128 + i] = 255;
  memcpy(t + 128 + 1024 - 128, t, 128);
  cinfo.sample_range_limit = t;
  comp.dct_table = q;
  for (int k = 0; k < 8; k++) out[0][k] = rows[0][k], out[1][k] = rows[1][k];
  uint32_t s = seed ? seed : 1;
#define NEXT() (s ^= s << 13, s ^= s >> 17, s ^= s << 5, s)
  int bad = 0;
  for (int b = 0; b < blocks; b++) {
    uint32_t kind = NEXT() % 4;
    for (int i = 0; i < 64; i++) {
      uint32_t r = NEXT();
      q[i] = kind == 3 ? (int)(r % 65535) + 1 : (int)(r % 255) + 1;
      int v = kind == 0 ? (int)(r >> 8) % 64 - 32 : kind == 1 ? (int)((r >> 8) % 2048) - 1024 : (int16_t)(r >> 12);
      coef[i] = (JCOEF)((NEXT() % 8 < (kind == 0 ? 6 : 2)) ? 0 : v); /* zeros make the all-zero shortcuts run */
    }
    if (b % 5 == 0) for (int i = 8; i < 64; i++) coef[i] = 0;       /* DC only */
    if (b % 7 == 1) for (int i = 0; i < 64; i++) if (i % 8) coef[i] = 0; /* first column only */
    for (int f = 0; f < 2; f++) {
      memset(rows, 0x5a, sizeof(rows));
      if (f == 0) {
        jsimd_idct_islow(&cinfo, &comp, coef, out[0], 4);
        jpeg_idct_islow(&cinfo, &comp, coef, out[1], 4);
      } else {
        jsimd_idct_4x4(&cinfo, &comp, coef, out[0], 4);
        jpeg_idct_4x4(&cinfo, &comp, coef, out[1], 4);
      }
      if (memcmp(rows[0], rows[1], sizeof(rows[0]))) bad++;
    }
  }
  return bad;
}
