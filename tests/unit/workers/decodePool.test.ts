// The import's decode pool (workers/decodePool.ts) over MessageChannels standing in for its workers:
// a pool started ahead is taken once by the next import, batches go to the worker with the fewest
// images waiting, and each batch is stored by the worker that prepared it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Comlink from 'comlink';
import type { BatchItem } from '../../../src/ingest/staged';
import type { DatasetMeta } from '../../../src/storage/datasets';
import { DecodePool, takeDecodePool, warmDecodePool } from '../../../src/workers/decodePool';
import { serve } from '../../../src/workers/rpc';

/** What each fake worker was asked: its name, whether it warmed, the batches it prepared and stored. */
interface FakeWorkerLog {
  name: string;
  warmed: number;
  prepared: string[];
  stored: string[];
}

const workers: FakeWorkerLog[] = [];
const ports: MessagePort[] = [];

/** A Worker whose other end serves a fake decode API on a MessageChannel. */
class FakeWorker {
  private readonly port: MessagePort;

  constructor(_url: URL, opts: { name: string }) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    this.port = port2;
    const log: FakeWorkerLog = { name: opts.name, warmed: 0, prepared: [], stored: [] };
    workers.push(log);
    serve(
      {
        warm: async () => ++log.warmed > 0,
        prepareBatch: async (key: string, items: BatchItem[]) => {
          log.prepared.push(key);
          return { images: items.length, corrupt: [] };
        },
        storeBatch: async (key: string, meta: DatasetMeta) => {
          log.stored.push(key);
          return { ...meta, batches: meta.batches + 1 };
        },
      },
      port1 as unknown as Comlink.Endpoint,
    );
  }

  postMessage(message: unknown, transfer: Transferable[] = []) {
    this.port.postMessage(message, transfer as never);
  }

  addEventListener(type: string, listener: (ev: MessageEvent) => void) {
    if (type === 'message') this.port.addEventListener('message', listener as never);
    this.port.start();
  }

  removeEventListener(type: string, listener: (ev: MessageEvent) => void) {
    if (type === 'message') this.port.removeEventListener('message', listener as never);
  }

  terminate() {
    this.port.close();
  }
}

vi.stubGlobal('Worker', FakeWorker);
afterEach(() => {
  ports.splice(0).forEach((p) => p.close());
  workers.splice(0);
});

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `img${i}.jpg` }) as BatchItem);
const meta = { batches: 0 } as DatasetMeta;

describe('DecodePool', () => {
  it('is warmed once ahead and taken once; the next import gets a fresh pool', async () => {
    warmDecodePool();
    warmDecodePool(); // no second pool
    expect(workers.map((w) => w.name)).toEqual(['decode-0', 'decode-1']);
    const warm = takeDecodePool();
    await warm.ready();
    expect(workers.map((w) => w.warmed)).toEqual([1, 1]);
    const fresh = takeDecodePool();
    expect(fresh).not.toBe(warm);
    expect(workers).toHaveLength(4);
    warm.terminate();
    fresh.terminate();
  });

  it('gives each batch to the worker with the fewest images waiting and stores it there', async () => {
    const pool = new DecodePool(2);
    // Counted in images, not batches: 0 (32 images) → w0; 1, 2 and 3 (8 each) → w1, which has fewer
    // images waiting even while it holds more batches.
    const prepared = [32, 8, 8, 8].map((n, b) => pool.prepareBatch(`k${b}`, items(n), 128, 0));
    expect((await Promise.all(prepared)).map((p) => p.images)).toEqual([32, 8, 8, 8]);
    let m = await pool.storeBatch('k0', meta); // w0 now has 0 waiting, w1 24
    m = await pool.storeBatch('k1', m);
    await pool.prepareBatch('k4', items(8), 128, 0); // → w0
    for (const key of ['k2', 'k3', 'k4']) m = await pool.storeBatch(key, m);
    expect(m.batches).toBe(5);
    expect(workers.map((w) => [w.prepared, w.stored])).toEqual([
      [
        ['k0', 'k4'],
        ['k0', 'k4'],
      ],
      [
        ['k1', 'k2', 'k3'],
        ['k1', 'k2', 'k3'],
      ],
    ]);
    await expect(pool.storeBatch('k9', m)).rejects.toThrow(/Expected batch "k9" prepared by a decode worker, found none/);
    pool.terminate();
  });
});
