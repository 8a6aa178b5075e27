// Main-thread API for image decoding: a pool of decode workers (one per core, capped) with a
// promise per image. Cancellation is by terminate().
import type { PreprocessedImage } from '../data/decode';
import { PROTOCOL_VERSION, RemoteError, type DecodeResponse } from './protocol';

interface Pending {
  resolve: (v: PreprocessedImage) => void;
  reject: (e: Error) => void;
  worker: number;
}

export class DecodePool {
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(size = Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2))) {
    this.workers = Array.from({ length: size }, (_, w) => {
      const worker = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${w}` });
      worker.onmessage = (ev: MessageEvent<DecodeResponse>) => this.settle(ev.data);
      worker.onerror = (ev) => this.failWorker(w, new Error(`decode worker crashed: ${ev.message}`));
      return worker;
    });
    this.load = this.workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  decode(file: Blob, name: string, size: number, thumbSize: number): Promise<PreprocessedImage> {
    const id = this.nextId++;
    const w = this.load.indexOf(Math.min(...this.load));
    this.load[w]++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: w });
      this.workers[w].postMessage({ v: PROTOCOL_VERSION, type: 'decode', id, file, name, size, thumbSize });
    });
  }

  private settle(msg: DecodeResponse) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.load[p.worker]--;
    if (msg.type === 'decoded') p.resolve({ pixels: msg.pixels, thumb: msg.thumb, width: msg.width, height: msg.height });
    else p.reject(new RemoteError(msg.error));
  }

  private failWorker(w: number, err: Error) {
    for (const [id, p] of this.pending) {
      if (p.worker === w) {
        this.pending.delete(id);
        this.load[w]--;
        p.reject(err);
      }
    }
  }

  terminate() {
    this.workers.forEach((w) => w.terminate());
    for (const p of this.pending.values()) p.reject(new Error('decoding cancelled'));
    this.pending.clear();
  }
}
