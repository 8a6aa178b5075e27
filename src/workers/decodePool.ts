// Main-thread API for image decoding: a pool of decode workers (one per core, capped), each a
// Connection of the RPC layer, with a promise per image. Cancellation is by terminate().
import type { PreprocessedImage } from '../data/decode';
import type { decodeApi } from './decode.worker';
import { connect, type Connection } from './rpc';

export class DecodePool {
  private readonly workers: Connection<typeof decodeApi>[];
  private readonly load: number[];

  constructor(size = Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2))) {
    this.workers = Array.from({ length: size }, (_, w) =>
      connect<typeof decodeApi>(
        new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${w}` }),
        'decode',
      ),
    );
    this.load = this.workers.map(() => 0);
  }

  get size(): number {
    return this.workers.length;
  }

  async decode(file: Blob, name: string, size: number, thumbSize: number): Promise<PreprocessedImage> {
    const w = this.load.indexOf(Math.min(...this.load));
    this.load[w]++;
    try {
      return await this.workers[w].run((api) => api.decode(file, name, size, thumbSize));
    } finally {
      this.load[w]--;
    }
  }

  terminate() {
    this.workers.forEach((w) => w.close('decoding cancelled'));
  }
}
