// The IndexedDB stores, one per concern (datasets, runs, caches). This file and its siblings in
// storage/ are the only code that imports idb-keyval.
import { createStore, type UseStore } from 'idb-keyval';

/** Bumped only by adding a new store name; records carry their own format versions. */
export const DB_PREFIX = 'clip-lab';

let datasets: UseStore | undefined;
let runs: UseStore | undefined;
let caches: UseStore | undefined;
let backbones: UseStore | undefined;

/** Dataset metadata, image records, pixels, split and caption indexes (one store: atomic batches). */
export function datasetStore(): UseStore {
  return (datasets ??= createStore(`${DB_PREFIX}-datasets`, 'kv'));
}

/** Training runs and their checkpoints. */
export function runStore(): UseStore {
  return (runs ??= createStore(`${DB_PREFIX}-runs`, 'kv'));
}

/** Pretrained backbones: their model.json and weight shards, keyed by SHA-256. */
export function backboneStore(): UseStore {
  return (backbones ??= createStore(`${DB_PREFIX}-backbones`, 'kv'));
}

/** Derived data that can be rebuilt (embedding indexes, backbone features). */
export function cacheStore(): UseStore {
  return (caches ??= createStore(`${DB_PREFIX}-caches`, 'kv'));
}

/**
 * Runs `write` (puts, deletes) in one readwrite transaction, all or nothing, with the real error:
 * - a call that throws synchronously (DataCloneError, a QuotaExceededError raised at put time)
 *   aborts the transaction, so the writes queued before it are rolled back, not committed;
 * - a failed request (how some browsers report a full disk) rejects with that request's error
 *   once the transaction has aborted; idb-keyval's promisifyRequest(transaction) rejects with
 *   transaction.error, still null while the request's error event bubbles.
 */
export function writeAtomic(store: UseStore, write: (s: IDBObjectStore) => void): Promise<void> {
  return store('readwrite', (s) => {
    const tx = s.transaction;
    try {
      write(s);
    } catch (err) {
      tx.abort();
      throw err;
    }
    return new Promise<void>((resolve, reject) => {
      let requestError: DOMException | null = null;
      tx.addEventListener('error', (ev) => (requestError ??= (ev.target as IDBRequest).error));
      tx.addEventListener('complete', () => resolve());
      tx.addEventListener('abort', () =>
        reject(tx.error ?? requestError ?? new DOMException('The write transaction was aborted.', 'AbortError')),
      );
    });
  });
}

/** idb-keyval's setMany, made all-or-nothing (see writeAtomic). */
export function setManyAtomic(entries: [IDBValidKey, unknown][], store: UseStore): Promise<void> {
  return writeAtomic(store, (s) => {
    for (const [key, value] of entries) s.put(value, key);
  });
}
