// The decode worker's side of an import: it decodes a batch of planned images, keeps the decoded
// records where it decoded them, and stores them itself when the page says which batch is next.
// Only a small summary crosses to the page (counts and corrupt files), never pixels or originals:
// no structured clone of them on the page's main thread, no IndexedDB serialisation there either.
// The page still decides the order of the batches and holds the dataset's metadata, so every batch
// is still one atomic transaction with the metadata that counts it (storage/datasets appendImages).
import { appendImages, type DatasetMeta, type InlineFile, type NewImage } from '../storage/datasets';
import { StorageError } from '../storage/errors';
import type { PlannedImage } from './plan';

/** What a worker needs to decode one planned image: the plan's fields and the file itself. */
export interface BatchItem extends PlannedImage {
  file: File;
}

/** A decoded image as the decode worker makes it (pixels, and the bytes of a small original). */
export interface DecodedFile {
  pixels: Uint8Array;
  original?: Uint8Array<ArrayBuffer>;
  width: number;
  height: number;
}

/** What the page learns of a prepared batch. */
export interface PreparedBatch {
  images: number; // decoded, waiting to be stored
  corrupt: { name: string; reason: string }[]; // skipped, with the reason (name = the file's path)
}

export type DecodeFile = (file: File, path: string) => Promise<DecodedFile>;

/** Decodes `items` with at most `concurrency` in flight, in order; a failure is that item's reason. */
async function decodeAll(items: BatchItem[], decode: DecodeFile, concurrency: number) {
  const out: (DecodedFile | Error)[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let k = next++; k < items.length; k = next++) {
      out[k] = await decode(items[k].file, items[k].path).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return out;
}

/** Decoded batches waiting for their turn to be stored, by key. One per worker. */
export class StagedBatches {
  private readonly staged = new Map<string, NewImage[]>();

  /** `concurrency`: images decoding at once (the browser decodes on its own threads). */
  constructor(private readonly concurrency = 4) {}

  /** Decodes `items` and keeps the good ones under `key` for store(); returns what the page counts. */
  async prepare(key: string, items: BatchItem[], decode: DecodeFile): Promise<PreparedBatch> {
    const decoded = await decodeAll(items, decode, this.concurrency);
    const images: NewImage[] = [];
    const corrupt: PreparedBatch['corrupt'] = [];
    decoded.forEach((d, k) => {
      const { file, path, ...planned } = items[k];
      if (d instanceof Error) corrupt.push({ name: path, reason: d.message });
      else {
        const original: File | InlineFile = d.original ? { bytes: d.original, type: file.type } : file;
        images.push({ ...planned, width: d.width, height: d.height, original, pixels: d.pixels });
      }
    });
    this.staged.set(key, images);
    return { images: images.length, corrupt };
  }

  /**
   * Stores batch `key` after `meta` (the dataset as the page last saw it stored) in one transaction
   * and returns the metadata that now counts it. The batch is let go either way.
   */
  async store(key: string, meta: DatasetMeta): Promise<DatasetMeta> {
    const images = this.staged.get(key);
    if (!images) throw new StorageError('write-failed', `Expected decoded batch "${key}" waiting in this worker, found none.`);
    this.staged.delete(key);
    return images.length ? appendImages(meta, images) : meta;
  }

  get waiting(): number {
    return this.staged.size;
  }
}
