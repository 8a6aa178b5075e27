// Chooses and initialises the TF.js backend in a browser worker: WebGPU first when a real GPU
// adapter exists, then wasm (im2col convs train there), WebGL, CPU; or the one the user forces.
// Reports which one runs and why. Knows nothing of the UI or of postMessage.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from '../config';
import { registerWasmConvKernels } from '../kernels/wasmConv';
import { precompileSimdKernels } from '../kernels/wasmSimd';
import { useExplicitTransposeMatMulGrad, useStockMatMulGrad } from '../train/matMulGrad';

export type BackendChoice = BackendName | 'auto';

export interface BackendInfo {
  name: BackendName;
  reason: string; // why this one runs, in words for the UI
  adapter: string | null; // GPU adapter description, when WebGPU was probed
  fallbackAdapter: boolean | null; // the WebGPU adapter is a software emulation (SwiftShader)
  convImpl: 'conv2d' | 'im2col';
  wasmLoops?: 'simd' | 'js'; // wasm: whether the conv gradients' loops run as the lab's SIMD module (src/kernels/wasmSimd.ts)
}

interface AdapterProbe {
  ok: boolean;
  description: string | null;
  fallback: boolean | null;
  why: string;
}

async function probeWebGpu(): Promise<AdapterProbe> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { ok: false, description: null, fallback: null, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = (await gpu.requestAdapter().catch(() => null)) as null | {
    isFallbackAdapter?: boolean;
    info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  };
  if (!adapter) return { ok: false, description: null, fallback: null, why: 'no WebGPU adapter (the GPU is blocked or unavailable)' };
  const info = adapter.info ?? {};
  const fallback = Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter);
  const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
  return { ok: true, description, fallback, why: '' };
}

let wasmConfigured = false;
function configureWasm() {
  if (wasmConfigured) return;
  // Threaded wasm in a Vite production build threw `ReferenceError: e is not defined` in its worker and
  // setBackend('wasm') hung (TF.js 4.22): use SIMD, one thread.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
  wasmConfigured = true;
}

let wasmLoops: BackendInfo['wasmLoops'];

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'wasm') configureWasm();
  try {
    if (!((await tf.setBackend(name)) && tf.getBackend() === name)) return false;
  } catch {
    return false;
  }
  // tfjs-wasm runs transposed matMuls in a naive loop (10-15x slower than XNNPACK); its gradients
  // are all transposed matMuls unless the transposes are made explicit (BENCHMARKS.md, profile).
  if (name === 'wasm') useExplicitTransposeMatMulGrad();
  else useStockMatMulGrad();
  if (name === 'wasm') {
    registerWasmConvKernels(); // tf.conv2d's gradients on wasm (src/kernels/wasmConv.ts)
    wasmLoops = (await precompileSimdKernels()) ? 'simd' : 'js'; // their SIMD loops (src/kernels/wasmSimd.ts), else JS loops
  }
  return true;
}

// im2col on webgl and cpu: 3-4x faster there than the built-in conv. wasm: tf.conv2d (XNNPACK forward)
// with the gradient kernels of src/kernels/wasmConv.ts, faster than im2col (BENCHMARKS.md).
const CONV_IMPL: Record<BackendName, BackendInfo['convImpl']> = { webgpu: 'conv2d', webgl: 'im2col', wasm: 'conv2d', cpu: 'im2col' };

/** Initialises the chosen backend (or the best available) and says why it was picked. */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  const probe = await probeWebGpu();
  const info = (name: BackendName, reason: string): BackendInfo => ({
    name,
    reason,
    adapter: probe.description,
    fallbackAdapter: probe.fallback,
    convImpl: CONV_IMPL[name],
    ...(name === 'wasm' ? { wasmLoops } : {}),
  });
  if (choice !== 'auto') {
    if (choice === 'webgpu' && !probe.ok) throw new Error(`WebGPU was requested but ${probe.why}.`);
    if (!(await activate(choice))) throw new Error(`The ${choice} backend could not be initialised in this browser.`);
    const soft = choice === 'webgpu' && probe.fallback ? ' (software adapter: expect slow steps)' : '';
    return info(choice, `chosen by you${soft}`);
  }
  if (probe.ok && !probe.fallback && (await activate('webgpu'))) return info('webgpu', `WebGPU on ${probe.description}`);
  const whyNotGpu = probe.ok ? `the WebGPU adapter is a software emulation (${probe.description})` : probe.why;
  if (await activate('wasm')) return info('wasm', `${whyNotGpu}; WebAssembly (SIMD) is the fastest CPU path here`);
  if (await activate('webgl')) return info('webgl', `${whyNotGpu}; WebAssembly unavailable, using WebGL`);
  await activate('cpu');
  return info('cpu', `${whyNotGpu}; no WebAssembly or WebGL either, using the plain CPU backend (slow)`);
}
