// Conv2D gradients for the wasm backend, so that tf.conv2d trains there: tfjs-backend-wasm has no
// Conv2DBackpropFilter at all, and its Conv2DBackpropInput is a naive loop (560-700 ms per layer
// of the `bench` preset, measured). Both are rewritten as one pass over the wasm heap (im2col
// or col2im) plus XNNPACK's plain matMul, the only fast matMul there:
//   dW = colsᵀ [K, N] · dy [N, O],  dx = col2im(dy [N, O] · Wᵀ [O, K]),  N = B·Ho·Wo, K = fh·fw·C.
// The passes run as the lab's WebAssembly SIMD loops (wasmSimd.ts) where they load, else in JS.
// Also a Sum for bias gradients (every axis but the last), which tfjs-wasm does as a full
// transpose and a sum. NHWC, dilation 1, any stride and padding. Registered by
// registerWasmConvKernels(); pure TF.js.

import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { LabError } from '../errors';
import { registerWasmBroadcastKernels } from './wasmBroadcast';
import { heapOffset, simdKernels } from './wasmSimd';

type Info = tf.TensorInfo;
type Conv2DInfo = tf.backend_util.Conv2DInfo;

export class WasmKernelError extends LabError<'unsupported-conv'> {
  override readonly name = 'WasmKernelError';
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

/** The conv's geometry; throws before any memory is touched when dy does not fit it. */
function convInfo(xShape: number[], filterShape: number[], dyShape: number[], attrs: ConvAttrs): Conv2DInfo {
  if (attrs.dataFormat === 'NCHW')
    throw new WasmKernelError('unsupported-conv', 'wasm conv gradient: expected dataFormat NHWC, found NCHW');
  const dil = attrs.dilations ?? 1;
  if (dil !== 1 && !(Array.isArray(dil) && dil[0] === 1 && dil[1] === 1)) {
    throw new WasmKernelError('unsupported-conv', `wasm conv gradient: expected dilations 1, found ${JSON.stringify(dil)}`);
  }
  const ci = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (!tf.util.arraysEqual(ci.outShape, dyShape)) {
    throw new WasmKernelError('unsupported-conv', `wasm conv gradient: expected dy of shape [${ci.outShape}], found [${dyShape}]`);
  }
  return ci;
}

/** Another wasm kernel called directly (no engine, no tape): its output is owned by the caller. */
function run(backend: BackendWasm, name: string, inputs: Record<string, Info>, attrs: Record<string, unknown> = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new WasmKernelError('unsupported-conv', `wasm conv gradient: expected the wasm kernel ${name}, found none`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as unknown as tf.NamedAttrMap }) as Info;
}

const view = (info: Info, shape: number[]): Info => ({ dataId: info.dataId, shape, dtype: info.dtype });

/**
 * colsT [K, N], the im2col matrix transposed: column n = (b, oy, ox) holds x's receptive field in
 * (ky, kx, c) order, zeros where it falls in the padding. Built transposed because XNNPACK packs
 * its right operand on every call: colsT · dy packs dy [N, O], cols' transpose would pack [N, K].
 * Written in blocks of up to 16 neighbouring outputs so that each row gets whole cache lines (rows
 * lie N floats apart, often a power of two: one by one, the K writes per output thrash the cache).
 */
function im2colT(x: Float32Array, colsT: Float32Array, ci: Conv2DInfo): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = ci;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = ci;
  const top = ci.padInfo.top;
  const left = ci.padInfo.left;
  const N = B * Ho * Wo;
  const src = new Int32Array(BLOCK); // x offset of each output's tap, -1 in the padding
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox0 = 0; ox0 < Wo; ox0 += BLOCK) {
        const n0 = (b * Ho + oy) * Wo + ox0;
        const len = Math.min(BLOCK, Wo - ox0);
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky;
          for (let kx = 0; kx < fw; kx++) {
            for (let j = 0; j < len; j++) {
              const ix = (ox0 + j) * sw - left + kx;
              src[j] = iy >= 0 && iy < H && ix >= 0 && ix < W ? ((b * H + iy) * W + ix) * C : -1;
            }
            let row = (ky * fw + kx) * C * N + n0;
            for (let c = 0; c < C; c++, row += N) {
              for (let j = 0; j < len; j++) colsT[row + j] = src[j] < 0 ? 0 : x[src[j] + c];
            }
          }
        }
      }
    }
  }
}

const BLOCK = 16; // as in convKernels.c

/** The geometry arguments of convKernels.c's im2col_t and col2im, in order. */
function geometry(ci: Conv2DInfo): [number, number, number, number, number, number, number, number, number, number, number, number] {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = ci;
  // biome-ignore format: one row per C argument group
  return [batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, ci.padInfo.top, ci.padInfo.left];
}

/** The adjoint of im2col: dx (zeroed here) += each row of dcols [N, K] at its receptive field. */
function col2im(dcols: Float32Array, dx: Float32Array, ci: Conv2DInfo): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = ci;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = ci;
  const top = ci.padInfo.top;
  const left = ci.padInfo.left;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        for (let ky = 0; ky < fh; ky++) {
          const iy = oy * sh - top + ky;
          const rowOk = iy >= 0 && iy < H;
          for (let kx = 0; kx < fw; kx++) {
            const ix = ox * sw - left + kx;
            if (rowOk && ix >= 0 && ix < W) {
              const dst = ((b * H + iy) * W + ix) * C;
              for (let c = 0; c < C; c++) dx[dst + c] += dcols[o + c];
            }
            o += C;
          }
        }
      }
    }
  }
}

/** dW [fh, fw, C, O] from x [B, H, W, C] and dy [B, Ho, Wo, O]. */
function conv2DBackpropFilter({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: ConvAttrs & { filterShape: number[] };
}): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const ci = convInfo(x.shape, attrs.filterShape, dy.shape, attrs);
  const N = ci.batchSize * ci.outHeight * ci.outWidth;
  const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const O = ci.outChannels;
  const colsT = backend.makeOutput([K, N], 'float32');
  const simd = simdKernels(backend);
  if (simd) {
    const src = backend.makeOutput([BLOCK], 'int32');
    const at = (t: Info) => heapOffset(backend, t.dataId);
    simd.im2col_t(at(x), at(colsT), at(src), ...geometry(ci));
    backend.disposeData(src.dataId);
  } else {
    // Views are taken after the allocation: growing the wasm heap detaches older ones.
    im2colT(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(colsT) as Float32Array, ci);
  }
  const dw = run(backend, 'BatchMatMul', { a: colsT, b: view(dy, [N, O]) }, { transposeA: false, transposeB: false }); // [1, K, O]
  backend.disposeData(colsT.dataId);
  return view(dw, attrs.filterShape);
}

/** dx [B, H, W, C] from dy [B, Ho, Wo, O] and the filter [fh, fw, C, O]. */
function conv2DBackpropInput({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: ConvAttrs & { inputShape: number[] };
}): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const ci = convInfo(attrs.inputShape, filter.shape, dy.shape, attrs);
  const N = ci.batchSize * ci.outHeight * ci.outWidth;
  const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const O = ci.outChannels;
  const wT = run(backend, 'Transpose', { x: view(filter, [K, O]) }, { perm: [1, 0] }); // [O, K]
  const dcols = run(backend, 'BatchMatMul', { a: view(dy, [N, O]), b: wT }, { transposeA: false, transposeB: false }); // [1, N, K]
  const dx = backend.makeOutput(attrs.inputShape, 'float32');
  const simd = simdKernels(backend);
  if (simd) simd.col2im(heapOffset(backend, dcols.dataId), heapOffset(backend, dx.dataId), ...geometry(ci));
  else col2im(backend.typedArrayFromHeap(dcols) as Float32Array, backend.typedArrayFromHeap(dx) as Float32Array, ci);
  for (const t of [wT, dcols]) backend.disposeData(t.dataId);
  return dx;
}

let stockSum: tf.KernelConfig | undefined; // tfjs-wasm's Sum, for every other reduction

/**
 * Sum over every axis but the last of a float32 tensor (a bias gradient: [B, H, W, O] -> [O]) in
 * one SIMD pass over the rows; any other reduction goes to tfjs-wasm's own Sum.
 */
function sum(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: { axis: number | number[]; keepDims: boolean } }): Info {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as Info;
  const r = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const simd = simdKernels(backend);
  const leading = r >= 2 && axes.length === r - 1 && axes.every((a, i) => a === i);
  if (!simd || !leading || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) {
    return stockSum!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const O = x.shape[r - 1];
  const out = backend.makeOutput(attrs.keepDims ? [...axes.map(() => 1), O] : [O], 'float32');
  const part = backend.makeOutput([O], 'float32');
  simd.sum_rows(
    heapOffset(backend, x.dataId),
    heapOffset(backend, out.dataId),
    heapOffset(backend, part.dataId),
    tf.util.sizeFromShape(x.shape) / O,
    O,
  );
  backend.disposeData(part.dataId);
  return out;
}

const CONFIGS: tf.KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc },
  { kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum as unknown as tf.KernelFunc },
];

/**
 * Registers the kernels for wasm (replacing tfjs-wasm's Conv2DBackpropInput and wrapping its
 * Sum, Add, Sub and Multiply), after which tf.conv2d trains on wasm with tfjs-core's own
 * gradient. Idempotent.
 */
export function registerWasmConvKernels(): void {
  registerWasmBroadcastKernels();
  for (const config of CONFIGS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (config.kernelName === 'Sum') {
      if (!current) throw new WasmKernelError('unsupported-conv', "wasm kernels: expected tfjs-wasm's Sum kernel, found none");
      stockSum = current;
    }
    if (current) tf.unregisterKernel(config.kernelName, 'wasm');
    // tfjs-wasm's Sum binds its C function in setupFunc, run when a wasm backend starts: keep it.
    tf.registerKernel(config.kernelName === 'Sum' ? { ...config, setupFunc: stockSum!.setupFunc } : config);
  }
}

/** The kernels as registered, for tests that compare them with another backend's. */
export const wasmConvKernels = { conv2DBackpropFilter, conv2DBackpropInput, sum } as const;
