// Main-thread API for an import's decode workers: a pool of them (one per core, capped), each a
// Connection of the RPC layer. An import goes by batches: prepareBatch decodes one on the worker
// with the fewest images waiting, and storeBatch has that same worker store it (the worker stores
// what it decoded, see ingest/staged.ts: only counts cross to the page). Cancellation is by
// terminate(). A pool can be started ahead of an import (warmDecodePool), so that the workers have
// loaded and compiled their JPEG decoder by the time a folder is chosen; the import takes it.
import type { BatchItem, PreparedBatch } from '../ingest/staged';
import type { DatasetMeta } from '../storage/datasets';
import { StorageError } from '../storage/errors';
import type { decodeApi } from './decode.worker';
import { connect, type Connection } from './rpc';

export class DecodePool {
  private readonly workers: Connection<typeof decodeApi>[];
  private readonly pending: number[]; // images prepared or preparing, not yet stored, per worker
  private readonly held = new Map<string, { worker: number; images: number }>(); // batches by key
  private warmed: Promise<void> | undefined;

  constructor(size = Math.max(1, Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2))) {
    this.workers = Array.from({ length: size }, (_, w) =>
      connect<typeof decodeApi>(
        new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: `decode-${w}` }),
        'decode',
      ),
    );
    this.pending = this.workers.map(() => 0);
  }

  /** Resolves once every worker has loaded, answered (its API version checked) and compiled its JPEG decoder. */
  ready(): Promise<void> {
    this.warmed ??= Promise.all(this.workers.map((w) => w.run((api) => api.warm()))).then(() => undefined);
    return this.warmed;
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Decodes a batch of an import on the worker with the fewest images waiting; it stays there,
   * decoded, until storeBatch (same key) has that worker store it.
   */
  async prepareBatch(key: string, items: BatchItem[], size: number, inlineMaxBytes: number): Promise<PreparedBatch> {
    const worker = this.pending.indexOf(Math.min(...this.pending));
    this.pending[worker] += items.length;
    this.held.set(key, { worker, images: items.length });
    try {
      return await this.workers[worker].run((api) => api.prepareBatch(key, items, size, inlineMaxBytes));
    } catch (err) {
      this.pending[worker] -= items.length;
      this.held.delete(key);
      throw err;
    }
  }

  /** Stores prepared batch `key` after `meta` on the worker that holds it; returns the metadata that counts it. */
  async storeBatch(key: string, meta: DatasetMeta): Promise<DatasetMeta> {
    const held = this.held.get(key);
    if (!held) throw new StorageError('write-failed', `Expected batch "${key}" prepared by a decode worker, found none.`);
    this.held.delete(key);
    try {
      return await this.workers[held.worker].run((api) => api.storeBatch(key, meta));
    } finally {
      this.pending[held.worker] -= held.images;
    }
  }

  terminate() {
    this.workers.forEach((w) => w.close('decoding cancelled'));
  }
}

let warm: DecodePool | undefined;

/** Starts an import's decode workers ahead, once: the next import takes them (takeDecodePool). */
export function warmDecodePool(): void {
  if (warm) return;
  warm = new DecodePool();
  warm.ready().catch(() => undefined); // a worker that cannot load fails the import's first batch instead
}

/** The pool started ahead, or a new one; either way the caller owns it (and terminates it). */
export function takeDecodePool(): DecodePool {
  const pool = warm ?? new DecodePool();
  warm = undefined;
  return pool;
}
