// Main-thread API for an import's decode workers: a pool of them (one per core, capped), each a
// Connection of the RPC layer. An import goes by batches: prepareBatch decodes one on the worker
// with the fewest batches waiting, and storeBatch has that same worker store it (the worker stores
// what it decoded, see ingest/staged.ts: only counts cross to the page). Cancellation is by
// terminate().
import type { BatchItem, PreparedBatch } from '../ingest/staged';
import type { DatasetMeta } from '../storage/datasets';
import type { decodeApi } from './decode.worker';
import { connect, type Connection } from './rpc';

export class DecodePool {
  private readonly workers: Connection<typeof decodeApi>[];
  private readonly batches: number[]; // batches prepared or preparing, not yet stored, per worker

  constructor(size = Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2))) {
    this.workers = Array.from({ length: size }, (_, w) =>
      connect<typeof decodeApi>(
        new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${w}` }),
        'decode',
      ),
    );
    this.batches = this.workers.map(() => 0);
  }

  /** Resolves once every worker has loaded and answered (its API version checked). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.run(async () => undefined)));
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Decodes a batch of an import on the worker with the fewest batches waiting; it stays there,
   * decoded, until storeBatch (same key) stores it. Returns the worker that holds it.
   */
  async prepareBatch(key: string, items: BatchItem[], size: number, inlineMaxBytes: number): Promise<PreparedBatch & { worker: number }> {
    const w = this.batches.indexOf(Math.min(...this.batches));
    this.batches[w]++;
    try {
      const prepared = await this.workers[w].run((api) => api.prepareBatch(key, items, size, inlineMaxBytes));
      return { ...prepared, worker: w };
    } catch (err) {
      this.batches[w]--;
      throw err;
    }
  }

  /** Stores prepared batch `key` (held by `worker`) after `meta`; returns the metadata that counts it. */
  async storeBatch(worker: number, key: string, meta: DatasetMeta): Promise<DatasetMeta> {
    try {
      return await this.workers[worker].run((api) => api.storeBatch(key, meta));
    } finally {
      this.batches[worker]--;
    }
  }

  terminate() {
    this.workers.forEach((w) => w.close('decoding cancelled'));
  }
}
