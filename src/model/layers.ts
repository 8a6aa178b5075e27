// Functional layers over plain tensors, written with ops every backend can differentiate:
// the 3x3 stride-2 conv exists twice (tf.conv2d, and im2col = pad + slices + concat + matMul for
// wasm, which lacks Conv2DBackpropFilter); embeddings are a matMul with a float one-hot.

import * as tf from '@tensorflow/tfjs';

/** How image convs run: tf.conv2d (fast on webgpu/webgl) or im2col + matMul (trainable on wasm). */
export type ConvImpl = 'conv2d' | 'im2col';

/** x [N, F] @ kernel [F, O] + bias [O] -> [N, O] */
export function dense(x: tf.Tensor2D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor2D {
  return tf.add(tf.matMul(x, kernel as tf.Tensor2D), bias);
}

/** Output side of a 3x3 conv with stride 2 and padding 1 (PyTorch's Conv2d(3, stride=2, padding=1)). */
export function convOutSize(size: number): number {
  return Math.floor((size - 1) / 2) + 1;
}

/**
 * 3x3 conv, stride 2, zero padding 1 on every side, plus bias.
 * x [B, H, W, Cin], kernel [3, 3, Cin, Cout], bias [Cout] -> [B, Ho, Wo, Cout]
 * 'im2col' gathers patches with strided slices, except on the cpu backend, where a strided
 * slice costs ~2 us per element (10x a transpose): there it uses transposes and contiguous slices.
 */
export function conv3x3s2(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor, impl: ConvImpl): tf.Tensor4D {
  if (impl === 'conv2d') return tf.add(tf.conv2d(x, kernel as tf.Tensor4D, 2, 1), bias);
  return tf.getBackend() === 'cpu' ? im2colByTransposes(x, kernel, bias) : im2colBySlices(x, kernel, bias);
}

/** im2col with strided slices of parity-split rows and columns (fast where slices are native). */
export function im2colBySlices(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const Ho = convOutSize(H);
  const Wo = convOutSize(W);
  const cout = kernel.shape[3]!;
  // Pad 1 before, and after up to 2*(out+1) so that rows/cols split evenly into (index, parity).
  const xp = tf.pad(x, [
    [0, 0],
    [1, 2 * (Ho + 1) - H - 1],
    [1, 2 * (Wo + 1) - W - 1],
    [0, 0],
  ]);
  const Wp = 2 * (Wo + 1);
  // Tap ky reads padded row 2*i + ky: (pair i, parity 0), (i, 1) or (i + 1, 0). Ranks stay <= 4.
  const rowPairs = tf.reshape(xp, [B, Ho + 1, 2, Wp * C]);
  const taps = [
    [0, 0],
    [0, 1],
    [1, 0],
  ]; // [pair offset, parity] for k = 0, 1, 2
  const patches: tf.Tensor[] = [];
  for (const [ry, py] of taps) {
    const rows = tf.reshape(tf.slice(rowPairs, [0, ry, py, 0], [B, Ho, 1, Wp * C]), [B * Ho, Wo + 1, 2, C]);
    for (const [rx, px] of taps) {
      patches.push(tf.reshape(tf.slice(rows, [0, rx, px, 0], [B * Ho, Wo, 1, C]), [B * Ho * Wo, C]));
    }
  }
  const cols = tf.concat(patches, 1); // [B*Ho*Wo, 9*Cin], (ky, kx, cin) order like the kernel
  const out = tf.matMul(cols, tf.reshape(kernel, [9 * C, cout]) as tf.Tensor2D); // [B*Ho*Wo, Cout]
  return tf.add(tf.reshape(out, [B, Ho, Wo, cout]), bias) as tf.Tensor4D;
}

/**
 * im2col where every slice is contiguous: the axis being tapped is moved to the front by a
 * transpose, split into (index, parity) by a reshape, and parity moved first by another.
 */
export function im2colByTransposes(x: tf.Tensor4D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const Ho = convOutSize(H);
  const Wo = convOutSize(W);
  const cout = kernel.shape[3]!;
  const taps = [
    [0, 0],
    [1, 0],
    [0, 1],
  ]; // [parity, pair offset] of padded index 2*i + k, k = 0, 1, 2
  // Pads the leading axis of rows [n, R] to 2*(out+1) (1 before) and returns the 3 taps [1, 3*out, R].
  const tapLeading = (rows: tf.Tensor2D, n: number, out: number) => {
    const R = rows.shape[1];
    const padded = tf.concat([tf.zeros([1, R]), rows, tf.zeros([2 * (out + 1) - n - 1, R])], 0); // [2*(out+1), R]
    const byParity = tf.transpose(tf.reshape(padded, [out + 1, 2, R]), [1, 0, 2]); // [2, out+1, R]
    return tf.concat(
      taps.map(([p, o]) => tf.slice(byParity, [p, o, 0], [1, out, R])),
      1,
    );
  };
  const rows = tapLeading(tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [H, W * B * C]), H, Ho); // [ky, Ho, W, B, C]
  const byCol = tf.reshape(tf.transpose(tf.reshape(rows, [3 * Ho, W, B * C]), [1, 0, 2]), [W, 3 * Ho * B * C]) as tf.Tensor2D;
  const cols = tapLeading(byCol, W, Wo); // [kx, Wo, ky, Ho, B, C]
  const patches = tf.transpose(tf.reshape(cols, [3, Wo, 3, Ho * B, C]), [1, 3, 0, 2, 4]); // [Wo, Ho*B, kx, ky, C]
  const k = tf.reshape(tf.transpose(kernel, [1, 0, 2, 3]), [9 * C, cout]) as tf.Tensor2D; // (kx, ky, cin) rows
  const out = tf.reshape(tf.matMul(tf.reshape(patches, [Wo * Ho * B, 9 * C]) as tf.Tensor2D, k), [Wo, Ho, B, cout]);
  return tf.add(tf.transpose(out, [2, 1, 0, 3]), bias) as tf.Tensor4D; // [B, Ho, Wo, Cout]
}

/**
 * 1-D conv over positions, kernel 3, stride 1, zero padding 1, as im2col + matMul.
 * x [B, T, Cin], kernel [3, Cin, Cout], bias [Cout] -> [B, T, Cout]
 */
export function conv1d3(x: tf.Tensor3D, kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  const [B, T, C] = x.shape;
  const cout = kernel.shape[2]!;
  const xp = tf.pad(x, [
    [0, 0],
    [1, 1],
    [0, 0],
  ]); // [B, T+2, C]
  const taps = [0, 1, 2].map((k) => tf.slice(xp, [0, k, 0], [B, T, C]));
  const cols = tf.reshape(tf.concat(taps, 2), [B * T, 3 * C]);
  const out = tf.matMul(cols, tf.reshape(kernel, [3 * C, cout]) as tf.Tensor2D);
  return tf.add(tf.reshape(out, [B, T, cout]), bias) as tf.Tensor3D;
}

/**
 * One-hot rows of whole-number float ids, built with float ops only (no int32 tensors, no
 * tf.oneHot: both misbehave on some backends): relu(1 - |id - v|).  ids [N] -> [N, V]
 */
export function oneHotFloat(ids: tf.Tensor1D, depth: number): tf.Tensor2D {
  const iota = tf.tensor2d(
    Float32Array.from({ length: depth }, (_, i) => i),
    [1, depth],
  );
  return tf.relu(tf.sub(1, tf.abs(tf.sub(tf.reshape(ids, [-1, 1]), iota)))) as tf.Tensor2D;
}

/** 1 where a token is not PAD (id 0), else 0.  tokens [B, T] -> [B, T] */
export function tokenMask(tokens: tf.Tensor2D): tf.Tensor2D {
  return tf.minimum(tokens, 1);
}

/** Mean over the unmasked positions (0 for an all-PAD row).  x [B, T, C], mask [B, T] -> [B, C] */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const summed = tf.sum(tf.mul(x, tf.expandDims(mask, 2)), 1); // [B, C]
  const count = tf.maximum(tf.sum(mask, 1, true), 1); // [B, 1]
  return tf.div(summed, count);
}

/** Rows scaled to unit L2 norm (a zero row stays 0). The eps is added, not max()ed: max's gradient makes bool tensors.  [N, D] -> [N, D] */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
}

/** LayerNorm over the last axis.  x [..., C], gamma [C], beta [C] */
export function layerNorm<T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}
