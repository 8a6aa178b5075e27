// The benchmark page: the app's own backend selection, trainer and inference code behind
// window.clipBench, for bench/*.ts to call through Playwright. One backend per page load.

import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { PresetName } from '../../src/config';
import { preprocessImage } from '../../src/data/decode';
import { decodeJpegSquare } from '../../src/data/jpeg/jpegWasm';
import { rgbaToRgb } from '../../src/data/rgb';
import type { ConvImpl } from '../../src/model/layers';
import { loadSquareDecoder } from '../lib/jpegModule';
import { levelDiff } from '../lib/levelDiff';
import { selectBackend, type BackendChoice, type BackendInfo } from '../../src/use/backend';
import { useExplicitTransposeMatMulGrad, useStockMatMulGrad } from '../../src/train/matMulGrad';
import { benchIndexBuild, benchSearch } from '../lib/searchBench';
import { benchTraining } from '../lib/trainBench';
import type { ReadMethod, ReadRequest } from './readWorker';

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

/** JPEG files held by jpegFiles for jpegScaled (bench/jpeg-scaled.ts), as bytes and as Blobs, and each path's last 128 px copies. */
let jpegs: Uint8Array<ArrayBuffer>[] = [];
let jpegBlobs: Blob[] = [];
const jpegCopies: Record<string, Uint8Array[]> = {};
const INLINE = 56 * 1024; // the decode worker reads files up to this whole before preprocessing (INLINE_FILE_MAX_BYTES)

/** The path before the wasm decoder (up to 2026-11-28): ImageDecoder on bytes the worker read, else createImageBitmap on the file; canvas resample. */
async function canvasCopy(bytes: Uint8Array<ArrayBuffer>, blob: Blob, size: number): Promise<Uint8Array> {
  let source: ImageBitmap | VideoFrame;
  let w: number;
  let h: number;
  if (bytes.length <= INLINE) {
    const decoder = new ImageDecoder({ data: bytes, type: 'image/jpeg' });
    const { image } = await decoder.decode();
    decoder.close();
    [source, w, h] = [image, image.displayWidth, image.displayHeight];
  } else {
    const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    [source, w, h] = [bitmap, bitmap.width, bitmap.height];
  }
  const canvas = new OffscreenCanvas(size, size);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const side = Math.min(w, h);
  ctx.drawImage(source, (w - side) / 2, (h - side) / 2, side, side, 0, 0, size, size);
  source.close();
  return rgbaToRgb(ctx.getImageData(0, 0, size, size).data);
}

type JpegPath = 'wasm' | 'wasm-core' | 'canvas' | 'wasm-core-before';

/** jw_decode_square of another build of the module (bench/jpeg-scaled.ts passes main's), for old-vs-new timings. */
let beforeSquare: ((bytes: Uint8Array, size: number) => Uint8Array) | undefined;
async function loadBeforeModule(base64: string) {
  beforeSquare = await loadSquareDecoder(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

/**
 * The 128 px copy by one path: 'wasm' (preprocessImage as the decode worker calls it now: the
 * wasm decoder, small files' bytes handed over, larger ones read from the Blob), 'wasm-core' (the
 * module alone on bytes in memory) or 'canvas' (the path before it).
 */
async function jpegCopy(path: JpegPath, i: number, size: number): Promise<Uint8Array> {
  const [bytes, blob] = [jpegs[i], jpegBlobs[i]];
  if (path === 'wasm-core') return decodeJpegSquare(bytes, size).data;
  if (path === 'wasm-core-before') return beforeSquare!(bytes, size);
  if (path === 'canvas') return canvasCopy(bytes, blob, size);
  return (await preprocessImage(blob, 'x.jpg', size, bytes.length <= INLINE ? bytes : undefined)).pixels;
}

/** The file-read worker (readWorker.ts) and a call into it. */
let reader: Worker | undefined;
function askReader<R>(req: ReadRequest): Promise<R> {
  reader ??= new Worker(new URL('./readWorker.ts', import.meta.url), { type: 'module' });
  const w = reader;
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data as R));
    w.postMessage(req);
  });
}

const api = {
  machine,
  /** Hands the files chosen in #files (bench/jpeg-scaled.ts sets them) to the read worker. */
  readerFiles(beforeModule: string) {
    const input = document.getElementById('files') as HTMLInputElement;
    return askReader<{ n: number }>({ files: [...(input.files ?? [])], beforeModule });
  },
  /** One pass of the read worker over its files: wall ms per image, and with `check` per-file sums (bytes, or decoded pixels). */
  readerPass(method: ReadMethod, decode: false | 'now' | 'before', size: number, check = false) {
    return askReader<{ ms: number; sums: number[] }>({ method, decode, size, check });
  },
  jpegFiles(base64s: string[]) {
    jpegs = base64s.map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
    jpegBlobs = jpegs.map((b) => new Blob([b], { type: 'image/jpeg' }));
    return jpegs.length;
  },
  /** One pass over the held files by one path, one file at a time: wall ms per image. */
  async jpegScaled(path: JpegPath, size: number) {
    const copies: Uint8Array[] = [];
    const t0 = performance.now();
    for (let i = 0; i < jpegs.length; i++) copies.push(await jpegCopy(path, i, size));
    const ms = (performance.now() - t0) / jpegs.length;
    jpegCopies[path] = copies;
    return { ms };
  },
  /** Mean and max absolute difference (levels) between the wasm and canvas paths' last copies, and the wasm copies' bytes summed per image. */
  loadBeforeModule,
  /** Bytes that differ between two paths' last copies (e.g. this module's and main's). */
  jpegDiffBytes(a: JpegPath, b: JpegPath) {
    let n = 0;
    jpegCopies[a].forEach((x, i) => x.forEach((v, k) => (n += v === jpegCopies[b][i][k] ? 0 : 1)));
    return n;
  },
  jpegDiff() {
    const [a, b] = [jpegCopies.wasm, jpegCopies.canvas];
    const { mean, max } = levelDiff(a, b);
    return { mean, max, wasmSums: a.map((x) => x.reduce((s, v) => s + v, 0)) };
  },
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
