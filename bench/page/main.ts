// The benchmark page: the app's own backend selection, trainer and inference code behind
// window.clipBench, for bench/*.ts to call through Playwright. One backend per page load.

import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { PresetName } from '../../src/config';
import { preprocessImage } from '../../src/data/decode';
import type { ConvImpl } from '../../src/model/layers';
import { selectBackend, type BackendChoice, type BackendInfo } from '../../src/use/backend';
import { useExplicitTransposeMatMulGrad, useStockMatMulGrad } from '../../src/train/matMulGrad';
import { benchIndexBuild, benchSearch } from '../lib/searchBench';
import { benchTraining } from '../lib/trainBench';

type GpuInfo = { vendor?: string; architecture?: string; device?: string; description?: string };

async function machine() {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: GpuInfo; isFallbackAdapter?: boolean } | null> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  const gl = document.createElement('canvas').getContext('webgl2');
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  return {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    webgpuAdapter: adapter
      ? {
          vendor: adapter.info?.vendor,
          architecture: adapter.info?.architecture,
          device: adapter.info?.device,
          description: adapter.info?.description,
          isFallbackAdapter: adapter.isFallbackAdapter ?? null,
        }
      : null,
    webglRenderer: gl && ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : gl ? 'webgl2 (renderer hidden)' : null,
  };
}

/** The app's selectBackend, or (threads > 1) wasm with its threaded build, which the app itself does not use. */
async function useBackend(choice: BackendChoice, threads = 1): Promise<BackendInfo & { threads?: number }> {
  if (choice === 'wasm' && threads > 1) {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
    });
    setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('threaded wasm could not be initialised');
    useExplicitTransposeMatMulGrad(); // as the app's selectBackend does on wasm
    return {
      name: 'wasm',
      reason: 'threaded SIMD build (bench only)',
      adapter: null,
      fallbackAdapter: null,
      convImpl: 'im2col',
      threads: getThreadsCount(),
    };
  }
  return selectBackend(choice);
}

const api = {
  machine,
  /** The browser's own ingestion preprocessing of one file (base64), for comparison with Node's. */
  async preprocess(base64: string, name: string, size: number) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const { pixels } = await preprocessImage(new Blob([bytes]), name, size);
    return Array.from(pixels);
  },
  async train(
    backend: BackendChoice,
    opts: {
      preset: PresetName;
      timedSteps: number;
      maxSeconds: number;
      convImpl?: ConvImpl;
      threads?: number;
      matMulGrad?: 'explicit-transpose' | 'stock';
    },
  ) {
    const info = await useBackend(backend, opts.threads);
    // Unset: whatever the app's selectBackend installed (explicit-transpose on wasm since 17a5614).
    if (opts.matMulGrad === 'explicit-transpose') useExplicitTransposeMatMulGrad();
    if (opts.matMulGrad === 'stock') useStockMatMulGrad();
    const result = await benchTraining({
      preset: opts.preset,
      convImpl: opts.convImpl ?? info.convImpl,
      timedSteps: opts.timedSteps,
      maxSeconds: opts.maxSeconds,
    });
    return { backend: info, result };
  },
  async index(backend: BackendChoice, opts: { preset: PresetName; images: number; storedSide: number }) {
    const info = await useBackend(backend);
    return { backend: info, result: await benchIndexBuild({ ...opts, convImpl: info.convImpl }) };
  },
  async search(backend: BackendChoice, opts: { preset: PresetName; queries: number }) {
    const info = await useBackend(backend);
    return { backend: info, result: await benchSearch(opts) };
  },
};

(globalThis as unknown as { clipBench: typeof api }).clipBench = api;
document.getElementById('status')!.dataset.ready = 'true';
