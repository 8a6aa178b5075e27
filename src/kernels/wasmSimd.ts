// The lab's own WebAssembly SIMD loops (convKernels.c, embedded as convKernels.wasm.ts), run on
// tfjs-backend-wasm's heap: the module imports that backend's memory, so tensors are passed by
// their byte offsets there and nothing is copied. Compiled ahead by precompileSimdKernels() (the
// app's backend setup), else synchronously on first use (a worker or Node may; a browser's main
// thread refuses modules over 4 KB): where neither works, callers keep their JS loops.
// Pure TF.js, no DOM.

import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { CONV_KERNELS_WASM } from './convKernels.wasm';

/** Pointers are byte offsets into the backend's memory; see convKernels.c for each loop. */
export interface SimdKernels {
  // biome-ignore format: the C signature, one argument per parameter
  im2col_t(x: number, colsT: number, src: number, B: number, H: number, W: number, C: number, Ho: number, Wo: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  // biome-ignore format: the C signature
  col2im(dcols: number, dx: number, B: number, H: number, W: number, C: number, Ho: number, Wo: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  sum_rows(x: number, out: number, part: number, N: number, O: number): void;
  row_op(a: number, row: number, out: number, N: number, O: number, op: number): void;
}

let enabled = true;
const instances = new WeakMap<object, SimdKernels | null>();
let compiled: WebAssembly.Module | null | undefined;

/** Turns the SIMD loops off (JS loops only) or on again: for tests that compare the two. */
export function useSimdKernels(on: boolean): void {
  enabled = on;
}

const wasmBytes = () => Uint8Array.from(atob(CONV_KERNELS_WASM), (c) => c.charCodeAt(0));

function compile(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(wasmBytes());
  } catch {
    compiled = null; // no SIMD, or a synchronous compile refused (a browser's main thread)
  }
  return compiled;
}

/**
 * Compiles the module ahead, asynchronously, which a browser's main thread also allows (it refuses
 * synchronous compiles over 4 KB). Resolves to whether the loops can load; never rejects.
 */
export async function precompileSimdKernels(): Promise<boolean> {
  if (compiled === undefined) compiled = await WebAssembly.compile(wasmBytes()).catch(() => null);
  return compiled !== null;
}

/** The loops bound to this backend's memory, or null where they cannot run (then use JS). */
export function simdKernels(backend: BackendWasm): SimdKernels | null {
  if (!enabled) return null;
  const wasm = backend.wasm as unknown as { asm?: { memory?: WebAssembly.Memory } };
  if (instances.has(wasm)) return instances.get(wasm)!;
  const memory = wasm.asm?.memory;
  const module = memory instanceof WebAssembly.Memory ? compile() : null;
  let kernels: SimdKernels | null = null;
  if (module && memory) {
    try {
      kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    } catch {
      kernels = null; // a memory it cannot import (a shared, threaded build's)
    }
  }
  instances.set(wasm, kernels);
  return kernels;
}

/** A tensor's byte offset in the backend's memory. */
export function heapOffset(backend: BackendWasm, dataId: object): number {
  return (backend.dataIdMap.get(dataId) as { memoryOffset: number }).memoryOffset;
}
