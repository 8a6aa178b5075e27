// Add, Sub and Multiply for the wasm backend where one operand is a row broadcast over the other's
// last axis ([..., O] with [O]: a conv bias, the image normalisation's per-channel mean and scale),
// as one SIMD pass of convKernels.c's row_op; every other case goes to tfjs-wasm's own kernel,
// whose broadcasting path took 2-4x a plain elementwise op on those shapes (bench/profile.ts).
// Wraps the stock kernels: registerWasmBroadcastKernels(). Pure TF.js.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapOffset, simdKernels } from './wasmSimd';

type Info = tf.TensorInfo;
type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;
type OpName = keyof typeof OPS;
const REVERSED_SUB = 3; // b - a, for Sub with the row first

/** True when `row` holds one value per entry of `full`'s last axis (shape [O] or [1, …, 1, O]). */
function isRow(full: Info, row: Info): boolean {
  const O = full.shape.at(-1);
  return (
    full.shape.length >= 2 &&
    row.shape.length <= full.shape.length &&
    row.shape.at(-1) === O &&
    row.shape.slice(0, -1).every((d) => d === 1) &&
    tf.util.sizeFromShape(full.shape) > 0
  );
}

const stock: Partial<Record<OpName, tf.KernelConfig>> = {};

function rowOp(name: OpName) {
  return (args: Args): Info => {
    const { backend } = args;
    const { a, b } = args.inputs as { a: Info; b: Info };
    const simd = simdKernels(backend);
    const floats = a.dtype === 'float32' && b.dtype === 'float32';
    const [full, row, op] = isRow(a, b) ? [a, b, OPS[name]] : isRow(b, a) ? [b, a, name === 'Sub' ? REVERSED_SUB : OPS[name]] : [];
    if (!simd || !floats || !full || !row || op === undefined) {
      return stock[name]!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
    }
    const O = full.shape.at(-1)!;
    const out = backend.makeOutput(full.shape, 'float32');
    const at = (t: Info) => heapOffset(backend, t.dataId);
    simd.row_op(at(full), at(row), at(out), tf.util.sizeFromShape(full.shape) / O, O, op);
    return out;
  };
}

const KERNELS: Record<OpName, tf.KernelFunc> = {
  Add: rowOp('Add') as unknown as tf.KernelFunc,
  Sub: rowOp('Sub') as unknown as tf.KernelFunc,
  Multiply: rowOp('Multiply') as unknown as tf.KernelFunc,
};

/** Wraps tfjs-wasm's Add, Sub and Multiply with the row fast path. Idempotent. */
export function registerWasmBroadcastKernels(): void {
  for (const name of Object.keys(KERNELS) as OpName[]) {
    const current = tf.getKernel(name, 'wasm');
    if (!current || current.kernelFunc === KERNELS[name]) continue;
    stock[name] = current;
    tf.unregisterKernel(name, 'wasm');
    // The stock kernel binds its C function in setupFunc, run when a wasm backend starts: keep it.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: KERNELS[name], setupFunc: current.setupFunc });
  }
}
