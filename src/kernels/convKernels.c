// The data movement around the wasm conv gradients, compiled to WebAssembly SIMD (build:
// src/kernels/build.sh) and run on tfjs-backend-wasm's own heap: the module imports that memory,
// so every pointer here is a tensor's memoryOffset there. XNNPACK still does every matMul; these
// loops replace the JS ones that cost as much as the matMuls (bench/profile.ts, BENCHMARKS.md).
// No stack, no static data, no libc: the module must never write outside the tensors it is given.
// NHWC layouts, dilation 1; geometry as tfjs-core's Conv2DInfo (src/kernels/wasmConv.ts).

#include <wasm_simd128.h>

#define BLOCK 16 // neighbouring outputs written per row at once (whole cache lines)

// colsT [K, N], K = fh*fw*C rows in (ky, kx, c) order, N = B*Ho*Wo columns in (b, oy, ox) order:
// colsT[(ky*fw + kx)*C + c][n] = x[b, oy*sh - top + ky, ox*sw - left + kx, c], 0 in the padding.
// For BLOCK outputs at a time each (ky, kx) tap is a [len, C] gather from x transposed into
// C rows of len columns: 4x4 SIMD transposes when C is a multiple of 4.
// src: scratch for BLOCK ints (the module has no stack of its own).
__attribute__((export_name("im2col_t"))) void im2col_t(const float *restrict x, float *restrict colsT, int *restrict src, int B,
                                                        int H, int W, int C, int Ho, int Wo, int fh, int fw, int sh, int sw,
                                                        int top, int left) {
  const int N = B * Ho * Wo;
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < Ho; oy++) {
      for (int ox0 = 0; ox0 < Wo; ox0 += BLOCK) {
        const int n0 = (b * Ho + oy) * Wo + ox0;
        const int len = Wo - ox0 < BLOCK ? Wo - ox0 : BLOCK;
        for (int ky = 0; ky < fh; ky++) {
          const int iy = oy * sh - top + ky;
          const int rowOk = iy >= 0 && iy < H;
          for (int kx = 0; kx < fw; kx++) {
            float *rows = colsT + (long)((ky * fw + kx) * C) * N + n0;
            // src[j]: x offset of output j's tap, or -1 in the padding
            int inside = 1;
            for (int j = 0; j < len; j++) {
              const int ix = (ox0 + j) * sw - left + kx;
              const int ok = rowOk && ix >= 0 && ix < W;
              src[j] = ok ? ((b * H + iy) * W + ix) * C : -1;
              inside &= ok;
            }
            int c = 0;
            if (inside && len == BLOCK) {
              for (; c + 4 <= C; c += 4) {
                for (int j = 0; j < BLOCK; j += 4) {
                  const v128_t r0 = wasm_v128_load(x + src[j] + c);
                  const v128_t r1 = wasm_v128_load(x + src[j + 1] + c);
                  const v128_t r2 = wasm_v128_load(x + src[j + 2] + c);
                  const v128_t r3 = wasm_v128_load(x + src[j + 3] + c);
                  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
                  const v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
                  const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
                  const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
                  float *o = rows + (long)c * N + j;
                  wasm_v128_store(o, wasm_i64x2_shuffle(t0, t1, 0, 2));
                  wasm_v128_store(o + N, wasm_i64x2_shuffle(t0, t1, 1, 3));
                  wasm_v128_store(o + 2 * (long)N, wasm_i64x2_shuffle(t2, t3, 0, 2));
                  wasm_v128_store(o + 3 * (long)N, wasm_i64x2_shuffle(t2, t3, 1, 3));
                }
              }
            }
            if (inside) { // the channels left (all of them when C < 4): a gather of constant stride
              const int step = sw * C;
              for (; c < C; c++) {
                float *restrict o = rows + (long)c * N;
                const float *restrict p = x + src[0] + c;
                for (int j = 0; j < len; j++) o[j] = p[j * step];
              }
            }
            for (; c < C; c++) {
              float *o = rows + (long)c * N;
              for (int j = 0; j < len; j++) o[j] = src[j] < 0 ? 0.0f : x[src[j] + c];
            }
          }
        }
      }
    }
  }
}

// The adjoint of im2col for dx: dx [B, H, W, C] = sum over outputs n and taps (ky, kx) of
// dcols[n][(ky*fw + kx)*C + c] at the tap's input pixel. dx is zeroed here.
__attribute__((export_name("col2im"))) void col2im(const float *restrict dcols, float *restrict dx, int B, int H, int W, int C,
                                                    int Ho, int Wo, int fh, int fw, int sh, int sw, int top, int left) {
  const long size = (long)B * H * W * C;
  for (long i = 0; i < size; i++) dx[i] = 0.0f;
  const float *d = dcols;
  for (int b = 0; b < B; b++) {
    for (int oy = 0; oy < Ho; oy++) {
      for (int ox = 0; ox < Wo; ox++) {
        for (int ky = 0; ky < fh; ky++) {
          const int iy = oy * sh - top + ky;
          for (int kx = 0; kx < fw; kx++, d += C) {
            const int ix = ox * sw - left + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            float *restrict o = dx + ((long)(b * H + iy) * W + ix) * C;
            int c = 0;
            for (; c + 4 <= C; c += 4) wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(o + c), wasm_v128_load(d + c)));
            for (; c < C; c++) o[c] += d[c];
          }
        }
      }
    }
  }
}

// out [O] = sum over the N rows of x [N, O] (a bias gradient: the sum over every axis but the
// last). Rows are added in blocks of 64 into a partial sum first, so rounding error grows with
// N/64 + 64 additions instead of N. part: scratch for O floats.
__attribute__((export_name("sum_rows"))) void sum_rows(const float *restrict x, float *restrict out, float *restrict part,
                                                        int N, int O) {
  for (int o = 0; o < O; o++) out[o] = 0.0f;
  for (int n0 = 0; n0 < N; n0 += 64) {
    const int n1 = n0 + 64 < N ? n0 + 64 : N;
    for (int o = 0; o < O; o++) part[o] = 0.0f;
    for (int n = n0; n < n1; n++) {
      const float *restrict r = x + (long)n * O;
      int o = 0;
      for (; o + 4 <= O; o += 4) wasm_v128_store(part + o, wasm_f32x4_add(wasm_v128_load(part + o), wasm_v128_load(r + o)));
      for (; o < O; o++) part[o] += r[o];
    }
    for (int o = 0; o < O; o++) out[o] += part[o];
  }
}

// out [N, O] = a [N, O] (op) b [O] for op 0 add, 1 subtract, 2 multiply, 3 b minus a: a bias or
// a per-channel normalisation broadcast over the rows (tfjs-wasm's broadcasting path took 2-4x
// the time of a plain elementwise op on these shapes).
__attribute__((export_name("row_op"))) void row_op(const float *a, const float *restrict b, float *out, int N, int O, int op) {
  for (int n = 0; n < N; n++) {
    const float *r = a + (long)n * O;
    float *o = out + (long)n * O;
    int c = 0;
    if (op == 0) {
      for (; c + 4 <= O; c += 4) wasm_v128_store(o + c, wasm_f32x4_add(wasm_v128_load(r + c), wasm_v128_load(b + c)));
      for (; c < O; c++) o[c] = r[c] + b[c];
    } else if (op == 1) {
      for (; c + 4 <= O; c += 4) wasm_v128_store(o + c, wasm_f32x4_sub(wasm_v128_load(r + c), wasm_v128_load(b + c)));
      for (; c < O; c++) o[c] = r[c] - b[c];
    } else if (op == 2) {
      for (; c + 4 <= O; c += 4) wasm_v128_store(o + c, wasm_f32x4_mul(wasm_v128_load(r + c), wasm_v128_load(b + c)));
      for (; c < O; c++) o[c] = r[c] * b[c];
    } else {
      for (; c + 4 <= O; c += 4) wasm_v128_store(o + c, wasm_f32x4_sub(wasm_v128_load(b + c), wasm_v128_load(r + c)));
      for (; c < O; c++) o[c] = b[c] - r[c];
    }
  }
}
