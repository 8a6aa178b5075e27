// Small original files of a format-3 dataset: a batch's inline originals (each ≤ 56 KiB) are one
// record of concatenated bytes, and each image record says where its file lies in it. Larger
// originals stay Blobs in their image record. Only storage/datasets.ts calls this file.
import { getMany } from 'idb-keyval';
import { datasetStore } from './db';
import { StorageError } from './errors';

/** A file stored inline (format 2, and what ingestion passes in). */
export interface InlineFile {
  bytes: Uint8Array<ArrayBuffer>;
  type: string; // MIME type
}

/** Where a format-3 image's original lies: bytes [offset, offset + length) of its batch's record. */
export interface BatchedFile {
  batch: number; // first image of the batch
  offset: number;
  length: number;
  type: string;
}

export type StoredFile = Blob | InlineFile | BatchedFile;

const isBatched = (f: StoredFile): f is BatchedFile => !(f instanceof Blob) && 'batch' in f;

/** Format 3: one record of a batch's inline originals, keyed by its first image (zero-padded). */
export const originalBatchKey = (id: string, start: number) => `orib:${id}:${String(start).padStart(9, '0')}`;

/**
 * The batch's inline originals (`files[k]` of image start + k) as one record of concatenated bytes,
 * and each image's BatchedFile in place of its InlineFile; Blobs and absent files stay as they are.
 * No record when the batch has no inline original.
 */
export function batchOriginals(
  id: string,
  start: number,
  files: (Blob | InlineFile | undefined)[],
): { files: (Blob | BatchedFile | undefined)[]; entry?: [IDBValidKey, Uint8Array] } {
  let size = 0;
  const out = files.map((f) => {
    if (!f || f instanceof Blob) return f;
    const placed: BatchedFile = { batch: start, offset: size, length: f.bytes.byteLength, type: f.type };
    size += f.bytes.byteLength;
    return placed;
  });
  if (!out.some((f) => f && isBatched(f))) return { files: out };
  const bytes = new Uint8Array(size);
  files.forEach((f, k) => {
    const placed = out[k];
    if (f && !(f instanceof Blob) && placed && isBatched(placed)) bytes.set(f.bytes, placed.offset);
  });
  return { files: out, entry: [originalBatchKey(id, start), bytes] };
}

/** Stored files as Blobs, however they were stored; reads each batch record needed once. */
export async function resolveFiles(id: string, files: (StoredFile | undefined)[]): Promise<(Blob | undefined)[]> {
  const starts = [...new Set(files.filter((f): f is BatchedFile => !!f && isBatched(f)).map((f) => f.batch))];
  const records = await getMany<Uint8Array<ArrayBuffer> | undefined>(
    starts.map((s) => originalBatchKey(id, s)),
    datasetStore(),
  );
  const batches = new Map(starts.map((s, k) => [s, records[k]]));
  return files.map((f) => {
    if (!f) return undefined;
    if (f instanceof Blob) return f;
    if (!isBatched(f)) return new Blob([f.bytes], { type: f.type });
    const bytes = batches.get(f.batch);
    if (!bytes || bytes.length < f.offset + f.length) {
      throw new StorageError(
        'read-failed',
        `Original files of the batch at image #${f.batch} of dataset ${id}: expected at least ${f.offset + f.length} bytes, found ${bytes ? bytes.length : 'no record'}.`,
      );
    }
    return new Blob([bytes.subarray(f.offset, f.offset + f.length)], { type: f.type });
  });
}
