// TF.js backend setup in Node for the headless trainer and the benchmarks: 'wasm' (SIMD, one
// thread, wasm files from node_modules, matMul gradients without transposed matMuls), 'cpu', or
// 'webgpu' through the optional npm package `webgpu` (Dawn) when it is installed and finds an
// adapter (a Vulkan driver). Says which runs.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LabError } from '../src/errors';
import { registerWasmConvKernels } from '../src/kernels/wasmConv';
import type { ConvImpl } from '../src/model/layers';
import { useExplicitTransposeMatMulGrad, useStockMatMulGrad } from '../src/train/matMulGrad';

export type NodeBackendName = 'cpu' | 'wasm' | 'webgpu';
export const NODE_BACKENDS: readonly NodeBackendName[] = ['wasm', 'cpu', 'webgpu'];

export interface NodeBackendInfo {
  name: NodeBackendName;
  convImpl: ConvImpl;
  detail: string; // e.g. "wasm SIMD, 1 thread" or the WebGPU adapter
}

export type NodeBackendErrorCode = 'unknown-backend' | 'unavailable';

export class NodeBackendError extends LabError<NodeBackendErrorCode> {
  override readonly name = 'NodeBackendError';
}

const require = createRequire(import.meta.url);

/** node_modules/@tensorflow/tfjs-backend-wasm/dist/ with a trailing slash. */
export function wasmDistDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

type GpuAdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string };

/**
 * Installs navigator.gpu from the `webgpu` package (Dawn) and returns the adapter's name. Node 20
 * has no navigator, so Dawn's globals and a navigator must be set before the backend is imported.
 */
async function installDawn(): Promise<string> {
  const pkg = 'webgpu'; // optional: not a dependency of the app
  let dawn: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    dawn = (await import(/* @vite-ignore */ pkg)) as typeof dawn;
  } catch {
    throw new NodeBackendError(
      'unavailable',
      'webgpu in Node needs the npm package `webgpu` (Dawn): `npm install --no-save webgpu@0.6.2`, plus a Vulkan driver',
    );
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]) as { requestAdapter(): Promise<{ info?: GpuAdapterInfo } | null> };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter)
    throw new NodeBackendError(
      'unavailable',
      'webgpu in Node: Dawn found no adapter (no usable Vulkan driver: Mesa 25 lavapipe works, Debian bookworm Mesa 22.3 does not; see .ci/lavapipe.sh)',
    );
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
}

/** Initialises `name` and makes it the active backend; throws NodeBackendError when it cannot run. */
export async function setupNodeBackend(name: string, opts: { matMulGrad?: 'explicit-transpose' | 'stock' } = {}): Promise<NodeBackendInfo> {
  if (!(NODE_BACKENDS as readonly string[]).includes(name)) {
    throw new NodeBackendError('unknown-backend', `backend: expected one of ${NODE_BACKENDS.join(', ')}, found '${name}'`);
  }
  let detail = name;
  useStockMatMulGrad();
  if (name === 'wasm') {
    // Threads need a browser's workers and cross-origin isolation; in Node the SIMD build runs on one thread.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setWasmPaths(wasmDistDir());
    detail = 'wasm SIMD, 1 thread';
    registerWasmConvKernels(); // tf.conv2d trains on wasm with these (src/kernels/wasmConv.ts)
    if (opts.matMulGrad !== 'stock') {
      useExplicitTransposeMatMulGrad(); // transposed matMuls are 10-15x slower on wasm (../matMulGrad.ts)
      detail += ', explicit-transpose matMul gradient';
    }
  } else if (name === 'webgpu') {
    detail = `webgpu (Dawn) on ${await installDawn()}`;
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const ok = await tf.setBackend(name).catch(() => false);
  if (!ok || tf.getBackend() !== name) throw new NodeBackendError('unavailable', `the ${name} backend could not be initialised in Node`);
  await tf.ready();
  if (name === 'wasm' && !(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) detail = 'wasm (no SIMD), 1 thread';
  // As the page (src/use/backend.ts): tf.conv2d on wasm (its gradients are
  // src/kernels/wasmConv.ts); im2col on cpu (3-4x faster there) and on Dawn (4.0 -> 3.1 s/step on lavapipe).
  return { name: name as NodeBackendName, convImpl: name === 'wasm' ? 'conv2d' : 'im2col', detail };
}
