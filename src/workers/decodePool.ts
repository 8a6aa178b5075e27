// Main-thread API for image decoding: a pool of decode workers (one per core, capped), each a
// Connection of the RPC layer, with a promise per image. Each worker has at most PER_WORKER images
// in flight (the browser decodes them on its own threads, so a few at once keep the cores busy);
// later calls wait their turn, so the decoded bitmaps alive at once stay few. Cancellation is by
// terminate().
import type { DecodedImage, decodeApi } from './decode.worker';
import { connect, type Connection } from './rpc';

const PER_WORKER = 4;

export class DecodePool {
  private readonly workers: Connection<typeof decodeApi>[];
  private readonly load: number[];
  private readonly waiting: (() => void)[] = [];
  private closed = false;

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

  async decode(file: Blob, name: string, size: number, inlineMaxBytes: number): Promise<DecodedImage> {
    while (!this.closed && Math.min(...this.load) >= PER_WORKER) await new Promise<void>((go) => this.waiting.push(go));
    const w = this.load.indexOf(Math.min(...this.load));
    this.load[w]++;
    try {
      return await this.workers[w].run((api) => api.decode(file, name, size, inlineMaxBytes));
    } finally {
      this.load[w]--;
      this.waiting.shift()?.();
    }
  }

  terminate() {
    this.closed = true;
    this.workers.forEach((w) => w.close('decoding cancelled'));
    // Calls still waiting for a turn go on to a closed worker, which rejects them.
    this.waiting.splice(0).forEach((go) => go());
  }
}
