// The IndexedDB stores, one per concern (datasets, runs, caches). This file and its siblings in
// storage/ are the only code that imports idb-keyval.
import { createStore, type UseStore } from 'idb-keyval';

/** Bumped only by adding a new store name; records carry their own format versions. */
export const DB_PREFIX = 'clip-lab';

let datasets: UseStore | undefined;
let runs: UseStore | undefined;
let caches: UseStore | undefined;

/** Dataset metadata, image records, pixels, split and caption indexes (one store: atomic batches). */
export function datasetStore(): UseStore {
  return (datasets ??= createStore(`${DB_PREFIX}-datasets`, 'kv'));
}

/** Training runs and their checkpoints. */
export function runStore(): UseStore {
  return (runs ??= createStore(`${DB_PREFIX}-runs`, 'kv'));
}

/** Derived data that can be rebuilt (embedding indexes). */
export function cacheStore(): UseStore {
  return (caches ??= createStore(`${DB_PREFIX}-caches`, 'kv'));
}
