// Pixel records of a dataset: the stored square RGB copies the trainer, the thumbnails and the
// feature pass read. Format 3 keeps a whole batch's copies in ONE record, keyed by the batch's first
// image; formats 1-2 keep one record per image. Only storage/datasets.ts calls this file.
import { getMany, promisifyRequest } from 'idb-keyval';
import { datasetStore } from './db';
import { StorageError } from './errors';

/**
 * Which layout a dataset's pixels have, from its format version. A dataset keeps the layout it was
 * created with: a partial format-1/2 import resumed by this version goes on writing per-image records.
 */
export type PixelLayout = 'image' | 'batch';
export const pixelLayout = (version: number): PixelLayout => (version >= 3 ? 'batch' : 'image');

/** Format 1-2: one record per image. */
export const pixelKey = (id: string, i: number) => `px:${id}:${i}`;
/** Format 3: one record per batch, keyed by its first image (zero-padded: keys sort in image order). */
export const pixelBatchKey = (id: string, start: number) => `pxb:${id}:${String(start).padStart(9, '0')}`;
const batchRange = (id: string) => IDBKeyRange.bound(`pxb:${id}:`, `pxb:${id}:\uffff`);

/** What a reader needs of the dataset's metadata. */
export interface PixelMeta {
  id: string;
  version: number;
  imageSize: number;
  storedImages: number;
  status: 'ingesting' | 'complete';
}

/**
 * The records that store `pixels` (each imageSize² × 3 bytes) as images start, start + 1, …:
 * per image for layout 'image', one concatenated [n, side, side, 3] array for 'batch'.
 */
export function pixelEntries(meta: PixelMeta, start: number, pixels: Uint8Array[]): [IDBValidKey, unknown][] {
  if (pixelLayout(meta.version) === 'image') return pixels.map((p, k) => [pixelKey(meta.id, start + k), p]);
  const per = meta.imageSize * meta.imageSize * 3;
  const all = new Uint8Array(pixels.length * per);
  pixels.forEach((p, k) => {
    if (p.length !== per) {
      throw new StorageError(
        'write-failed',
        `Image #${start + k} has ${p.length} bytes of pixels; expected ${per} (${meta.imageSize}×${meta.imageSize} RGB).`,
      );
    }
    all.set(p, k * per);
  });
  return [[pixelBatchKey(meta.id, start), all]];
}

/** Where a format-3 dataset's batches start; `[n]` images in all. */
interface BatchLayout {
  per: number; // bytes per image
  starts: number[]; // first image of each batch, ascending
  total: number;
}

// The layout of a complete dataset never changes (ids are never reused): read its keys once.
const layouts = new Map<string, BatchLayout>();

async function batchLayout(meta: PixelMeta): Promise<BatchLayout> {
  const cached = layouts.get(meta.id);
  if (cached) return cached;
  const keys = await datasetStore()('readonly', (s) => promisifyRequest(s.getAllKeys(batchRange(meta.id))));
  const starts = keys.map((k) => Number(String(k).slice(String(k).lastIndexOf(':') + 1)));
  const layout = { per: meta.imageSize * meta.imageSize * 3, starts, total: meta.storedImages };
  if (meta.status === 'complete') layouts.set(meta.id, layout);
  return layout;
}

/** Forgets a dataset's cached layout (it was deleted). */
export function forgetPixelLayout(id: string): void {
  layouts.delete(id);
}

/** Index of the batch holding image i: the last start ≤ i, or -1. */
function batchOf(starts: number[], i: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= i) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const missing = (id: string, i: number) => new StorageError('read-failed', `Pixels of image #${i} of dataset ${id} are missing.`);

/** Reads batches `bs` of a format-3 dataset; checks each holds the images its start says. */
async function readBatches(meta: PixelMeta, layout: BatchLayout, bs: number[]): Promise<Map<number, Uint8Array>> {
  const values = await getMany<Uint8Array | undefined>(
    bs.map((b) => pixelBatchKey(meta.id, layout.starts[b])),
    datasetStore(),
  );
  const out = new Map<number, Uint8Array>();
  bs.forEach((b, k) => {
    const start = layout.starts[b];
    const count = (layout.starts[b + 1] ?? layout.total) - start;
    const v = values[k];
    if (!v) throw missing(meta.id, start);
    if (v.length !== count * layout.per) {
      throw new StorageError(
        'read-failed',
        `Pixel batch at image #${start} of dataset ${meta.id}: expected ${count} images (${count * layout.per} bytes), found ${v.length} bytes.`,
      );
    }
    out.set(b, v);
  });
  return out;
}

/** The pixels of images `indices` (each its own copy: callers may transfer them). */
export async function readPixels(meta: PixelMeta, indices: number[]): Promise<Uint8Array[]> {
  if (pixelLayout(meta.version) === 'image') {
    const px = await getMany<Uint8Array | undefined>(
      indices.map((i) => pixelKey(meta.id, i)),
      datasetStore(),
    );
    return px.map((p, k) => {
      if (!p) throw missing(meta.id, indices[k]);
      return p;
    });
  }
  const layout = await batchLayout(meta);
  const of = indices.map((i) => (i < layout.total ? batchOf(layout.starts, i) : -1));
  of.forEach((b, k) => {
    if (b < 0) throw missing(meta.id, indices[k]);
  });
  const batches = await readBatches(meta, layout, [...new Set(of)]);
  return indices.map((i, k) => {
    const from = (i - layout.starts[of[k]]) * layout.per;
    return batches.get(of[k])!.slice(from, from + layout.per);
  });
}

/**
 * Every image's pixels, in image order, into `into` ([storedImages, side, side, 3]), a few batches
 * (or CHUNK images) at a time: never the whole dataset twice in memory.
 */
export async function readAllPixels(meta: PixelMeta, into: Uint8Array): Promise<void> {
  const n = meta.storedImages;
  if (pixelLayout(meta.version) === 'image') {
    const CHUNK = 500;
    for (let s = 0; s < n; s += CHUNK) {
      const ids = Array.from({ length: Math.min(CHUNK, n - s) }, (_, k) => s + k);
      const per = meta.imageSize * meta.imageSize * 3;
      (await readPixels(meta, ids)).forEach((p, k) => into.set(p, (s + k) * per));
    }
    return;
  }
  const layout = await batchLayout(meta);
  if (layout.starts[0] !== 0 && n > 0) throw missing(meta.id, 0);
  const BATCHES = 8; // ~19 MB of 128 px copies at a time
  for (let b = 0; b < layout.starts.length; b += BATCHES) {
    const bs = Array.from({ length: Math.min(BATCHES, layout.starts.length - b) }, (_, k) => b + k);
    for (const [k, v] of await readBatches(meta, layout, bs)) into.set(v, layout.starts[k] * layout.per);
  }
}
