// A BatchMatMul gradient for the wasm backend that never asks for a transposed matMul. tfjs-wasm
// runs matMul through XNNPACK only when neither operand is transposed; with transposeA or
// transposeB it takes a naive loop 10-15x slower (measured: bench/profile.ts, BENCHMARKS.md), and
// the stock gradient of every matMul is two transposed matMuls. Here the operands are transposed
// explicitly instead (a cheap copy) and multiplied plainly: same values, a fraction of the time.
// Pure TF.js (no Node API): the browser's backend selection can install it for wasm as well.

import * as tf from '@tensorflow/tfjs';

const KERNEL = 'BatchMatMul';

/** x with its last two axes swapped (rank >= 2). */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/** matMul(x, y, transposeX, transposeY) with the transposes materialised first. */
function plainMatMul(x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor {
  return tf.matMul(tx ? swapLast(x) : x, ty ? swapLast(y) : y);
}

/** tfjs-core's batchMatMulGradConfig, each matMul(…, tA, tB) replaced by plainMatMul. */
export const explicitTransposeMatMulGrad: tf.GradConfig = {
  kernelName: KERNEL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const dY = dy as tf.Tensor;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return { a: () => plainMatMul(dY, b, false, true), b: () => plainMatMul(a, dY, true, false) };
    if (!transposeA && transposeB) return { a: () => plainMatMul(dY, b, false, false), b: () => plainMatMul(dY, a, true, false) };
    if (transposeA && !transposeB) return { a: () => plainMatMul(b, dY, false, true), b: () => plainMatMul(a, dY, false, false) };
    return { a: () => plainMatMul(b, dY, true, true), b: () => plainMatMul(dY, a, true, true) };
  },
};

let stock: tf.GradConfig | undefined;

/** Installs explicitTransposeMatMulGrad for every backend (the gradient registry is global). */
export function useExplicitTransposeMatMulGrad(): void {
  stock ??= tf.getGradient(KERNEL);
  tf.registerGradient(explicitTransposeMatMulGrad);
}

/** Puts tfjs-core's own BatchMatMul gradient back. */
export function useStockMatMulGrad(): void {
  if (stock) tf.registerGradient(stock);
}
