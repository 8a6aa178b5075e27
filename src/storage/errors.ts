// Typed storage errors: what the UI shows when IndexedDB refuses a write or a record is missing.
import { LabError } from '../errors';

export type StorageErrorCode = 'quota' | 'not-found' | 'write-failed' | 'read-failed' | 'version';

export class StorageError extends LabError<StorageErrorCode> {
  override readonly name = 'StorageError';
}

/** True for the DOMExceptions browsers throw when the origin's storage quota is exhausted. */
export function isQuotaError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: number; inner?: unknown };
  return e.name === 'QuotaExceededError' || e.code === 22 || e.name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** Wraps a failed write: quota errors become a clear 'quota' StorageError, others 'write-failed'. */
export function wrapWriteError(err: unknown, what: string): StorageError {
  if (err instanceof StorageError) return err;
  if (isQuotaError(err)) {
    return new StorageError(
      'quota',
      `Storage is full: the browser refused to store ${what} (QuotaExceededError). ` +
        'Everything stored before this point is kept. Free space by deleting a dataset or run.',
      { cause: err },
    );
  }
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new StorageError('write-failed', `Could not store ${what}: ${msg}`, { cause: err });
}
