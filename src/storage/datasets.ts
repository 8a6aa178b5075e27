// Datasets in IndexedDB: metadata, image records (thumbnail, original file), preprocessed pixels
// (storage/pixels.ts), and per-batch name lists. Batches are written atomically with the metadata
// that counts them, so a crash leaves either the previous state or a resumable partial import.
import { get, getMany, promisifyRequest } from 'idb-keyval';
import { rgbToBmp } from '../data/bmp';
import type { Split, TrainingSet } from '../data/types';
import { SPLIT_CODE } from '../data/types';
import { datasetStore, setManyAtomic, writeAtomic } from './db';
import { StorageError, wrapWriteError } from './errors';
import { deleteFeatures } from './features';
import { batchOriginals, resolveFiles, type InlineFile, type StoredFile } from './originals';
import { forgetPixelLayout, pixelEntries, pixelLayout, readAllPixels, readPixels } from './pixels';

/**
 * Format version of stored dataset records; a new layout gets a new number, never an edit.
 * 2: an image record's small original may be InlineFile bytes instead of a Blob, and its thumbnail
 * may be absent (the pixels are the thumbnail) or bytes (format 1 records, all Blobs, still read).
 * 3: a batch's pixels are one record (`pxb:<id>:<first image>`), not one per image (`px:<id>:<i>`),
 * and so are its inline originals (`orib:<id>:<first image>`; the image record holds a BatchedFile):
 * Chromium writes a value over 64 KiB to a file of its own, one per batch instead of 48 LevelDB
 * values of 48 KiB and 48 of ~20 KB (storage/pixels.ts, storage/originals.ts). A dataset keeps the
 * layout it was created with.
 */
export const DATASET_FORMAT_VERSION = 3;

/**
 * A file stored inside its record as bytes. Chromium's IndexedDB writes every stored Blob to a file
 * of its own, which cost more than the bytes (measured, Chromium 156: 1,500 records of a 3 KB
 * thumbnail, a 20 KB original and 49 KB of pixels stored 2.3-2.5x faster with both files inline).
 * Only small files: a record over 64 KiB is written to a file anyway, and a gallery reading
 * thumbnails would read the whole original with it; larger originals stay Blobs, read lazily.
 */
export type { InlineFile } from './originals';

/** Largest original stored inline (under Chromium's 64 KiB threshold for writing a value to a file). */
export const INLINE_FILE_MAX_BYTES = 56 * 1024;

export interface IngestReport {
  format: string; // human label of the caption format used
  captionFile: string;
  captionFileReason: string;
  otherCaptionFiles: { file: string; reason: string }[];
  images: number; // stored, usable images
  captions: number; // captions attached to stored images
  captionsPerImage: Record<string, number>; // histogram: "5" -> 7000
  vocabularySize: number;
  imagesWithoutCaptions: string[];
  missingImages: { image: string; file: string; line: number }[]; // captions naming images not in the folder (first 200)
  missingImageCaptions: number; // how many captions name missing images
  missingImageNames: number; // how many distinct missing names
  corrupt: { name: string; reason: string }[]; // unreadable images, skipped
  ignored: { name: string; reason: string }[]; // non-image, non-caption files
  duplicates: string[]; // image names found more than once (first kept)
  parseIssues: { file: string; line: number; message: string }[]; // first 200 malformed caption lines
  parseIssueCount: number;
  splitSource: string;
  splitCounts: Record<Split, number>;
  splitNotInLists: number;
  splitListAbsent?: number; // images the split lists name that are not in the folder (absent in older records)
  seconds: number;
  imagesPerSecond: number;
}

export interface DatasetMeta {
  version: number;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  status: 'ingesting' | 'complete';
  source: 'folder' | 'sample';
  imageSize: number; // side of the stored preprocessed square RGB copy
  expectedImages: number; // images the import set out to store
  storedImages: number;
  batches: number;
  bytes: number; // bytes stored for this dataset (pixels + thumbnails + originals + text)
  report?: IngestReport;
}

export interface StoredImage {
  name: string;
  split: Split;
  captions: string[];
  width: number; // original size
  height: number;
  thumb: Blob;
  original?: Blob;
}

/**
 * An image to append: its files as Blobs, or as InlineFile bytes (what ingestion passes). Without a
 * thumbnail, the stored pixels are the thumbnail: read back as a BMP (getImageRecords).
 */
export interface NewImage extends Omit<StoredImage, 'thumb' | 'original'> {
  thumb?: Blob | InlineFile;
  original?: Blob | InlineFile;
  pixels: Uint8Array; // imageSize * imageSize * 3 RGB
}

/** The stored shape of an image record (format 1: Blobs only; format 3: small originals batched). */
type ImageRecord = Omit<NewImage, 'pixels' | 'original'> & { original?: StoredFile };

// Approximate: a value that is neither (a caller's mistake) counts 0 here and fails as a DataCloneError on put.
const fileSize = (f: Blob | InlineFile) => (f instanceof Blob ? f.size : (f.bytes?.byteLength ?? 0));
const asBlob = (f: Blob | InlineFile) => (f instanceof Blob ? f : new Blob([f.bytes], { type: f.type }));

/** The text side of a dataset, in image order: what the gallery, search and trainer index. */
export interface DatasetIndex {
  names: string[];
  splits: Split[];
  captions: string[][];
}

interface BatchRecord {
  start: number;
  names: string[];
  splits: Split[];
  captions: string[][];
}

const metaKey = (id: string) => `meta:${id}`;
const imageKey = (id: string, i: number) => `img:${id}:${i}`;
const batchKey = (id: string, b: number) => `batch:${id}:${b}`;
const indexKey = (id: string) => `index:${id}`;

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Every dataset's metadata, newest first (reads the meta: key range only, not every key). */
export async function listDatasets(): Promise<DatasetMeta[]> {
  const metas = await datasetStore()('readonly', (s) =>
    promisifyRequest<DatasetMeta[]>(s.getAll(IDBKeyRange.bound('meta:', 'meta:\uffff'))),
  );
  return metas.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getDataset(id: string): Promise<DatasetMeta> {
  const meta = await get<DatasetMeta>(metaKey(id), datasetStore());
  if (!meta) throw new StorageError('not-found', `No dataset with id ${id} is stored.`);
  if (meta.version > DATASET_FORMAT_VERSION) {
    throw new StorageError(
      'version',
      `Dataset "${meta.name}" was stored by a newer CLIP Lab (format ${meta.version}, this one reads ${DATASET_FORMAT_VERSION}).`,
    );
  }
  return meta;
}

export async function createDataset(init: {
  name: string;
  source: DatasetMeta['source'];
  imageSize: number;
  expectedImages: number;
}): Promise<DatasetMeta> {
  const now = new Date().toISOString();
  const meta: DatasetMeta = {
    version: DATASET_FORMAT_VERSION,
    id: newId(),
    name: init.name,
    createdAt: now,
    updatedAt: now,
    status: 'ingesting',
    source: init.source,
    imageSize: init.imageSize,
    expectedImages: init.expectedImages,
    storedImages: 0,
    batches: 0,
    bytes: 0,
  };
  try {
    await setManyAtomic([[metaKey(meta.id), meta]], datasetStore());
  } catch (err) {
    throw wrapWriteError(err, `the new dataset "${init.name}"`);
  }
  return meta;
}

function approxBytes(img: NewImage): number {
  const text = img.name.length + img.captions.reduce((s, c) => s + c.length, 0);
  return img.pixels.byteLength + (img.thumb ? fileSize(img.thumb) : 0) + (img.original ? fileSize(img.original) : 0) + 2 * text + 64;
}

/**
 * Appends a batch of images in ONE transaction together with the metadata that counts them:
 * after a crash the dataset holds whole batches only. Returns the updated metadata.
 */
export async function appendImages(meta: DatasetMeta, images: NewImage[]): Promise<DatasetMeta> {
  if (meta.status !== 'ingesting') throw new StorageError('write-failed', `Dataset "${meta.name}" is complete; it takes no more images.`);
  const start = meta.storedImages;
  const entries: [IDBValidKey, unknown][] = [];
  let bytes = 0;
  const layout = pixelLayout(meta.version);
  const originals = images.map((i) => i.original);
  const batched: { files: (StoredFile | undefined)[]; entry?: [IDBValidKey, unknown] } =
    layout === 'batch' ? batchOriginals(meta.id, start, originals) : { files: originals };
  images.forEach((img, k) => {
    const { pixels: _, ...record } = img;
    entries.push([imageKey(meta.id, start + k), { ...record, original: batched.files[k] }]);
    bytes += approxBytes(img);
  });
  if (batched.entry) entries.push(batched.entry);
  const batch: BatchRecord = {
    start,
    names: images.map((i) => i.name),
    splits: images.map((i) => i.split),
    captions: images.map((i) => i.captions),
  };
  const next: DatasetMeta = {
    ...meta,
    // A resumed format-1 import now holds format-2 image records; a format-1/2 one keeps per-image pixels.
    version: layout === 'batch' ? DATASET_FORMAT_VERSION : 2,
    storedImages: start + images.length,
    batches: meta.batches + 1,
    bytes: meta.bytes + bytes,
    updatedAt: new Date().toISOString(),
  };
  entries.push([batchKey(meta.id, meta.batches), batch], [metaKey(meta.id), next]);
  try {
    const pixels = images.map((i) => i.pixels);
    entries.push(...pixelEntries(meta, start, pixels));
    await setManyAtomic(entries, datasetStore());
  } catch (err) {
    const files = images.length > 1 ? `${images[0].name} to ${images.at(-1)!.name}` : images[0]?.name;
    throw wrapWriteError(err, `${images.length} images of "${meta.name}" (${files}, after ${start} stored)`);
  }
  return next;
}

async function readBatches(meta: DatasetMeta): Promise<BatchRecord[]> {
  const ks = Array.from({ length: meta.batches }, (_, b) => batchKey(meta.id, b));
  const batches = await getMany<BatchRecord | undefined>(ks, datasetStore());
  return batches.filter((b): b is BatchRecord => !!b);
}

/** Names already stored by a partial import (to resume it without storing anything twice). */
export async function storedNames(meta: DatasetMeta): Promise<Set<string>> {
  const batches = await readBatches(meta);
  return new Set(batches.flatMap((b) => b.names));
}

/** Marks an import complete: writes the dataset index and the report with the metadata, atomically. */
export async function completeDataset(meta: DatasetMeta, report: IngestReport): Promise<DatasetMeta> {
  const batches = await readBatches(meta);
  const index: DatasetIndex = { names: [], splits: [], captions: [] };
  for (const b of batches.sort((x, y) => x.start - y.start)) {
    index.names.push(...b.names);
    index.splits.push(...b.splits);
    index.captions.push(...b.captions);
  }
  const next: DatasetMeta = { ...meta, status: 'complete', report, updatedAt: new Date().toISOString() };
  try {
    await setManyAtomic(
      [
        [indexKey(meta.id), index],
        [metaKey(meta.id), next],
      ],
      datasetStore(),
    );
  } catch (err) {
    throw wrapWriteError(err, `the index of "${meta.name}"`);
  }
  return next;
}

export async function renameDataset(id: string, name: string): Promise<DatasetMeta> {
  const trimmed = name.trim();
  if (!trimmed) throw new StorageError('write-failed', 'A dataset name cannot be empty.');
  const meta = await getDataset(id);
  const next = { ...meta, name: trimmed.slice(0, 200), updatedAt: new Date().toISOString() };
  try {
    await setManyAtomic([[metaKey(id), next]], datasetStore());
  } catch (err) {
    throw wrapWriteError(err, `the new name of "${meta.name}"`);
  }
  return next;
}

/** The key ranges that hold every record of dataset `id`: meta, index, images, pixels (either layout), originals, batches. */
function recordRanges(id: string): IDBKeyRange[] {
  const prefixed = (kind: string) => IDBKeyRange.bound(`${kind}:${id}:`, `${kind}:${id}:\uffff`);
  return [
    IDBKeyRange.only(metaKey(id)),
    IDBKeyRange.only(indexKey(id)),
    prefixed('img'),
    prefixed('px'),
    prefixed('pxb'),
    prefixed('orib'),
    prefixed('batch'),
  ];
}

/**
 * Deletes a dataset and every record of it in one transaction: a page closed mid-delete leaves
 * the whole dataset, never records without the metadata that lists them (storage nobody could free).
 */
export async function deleteDataset(id: string): Promise<void> {
  try {
    await writeAtomic(datasetStore(), (s) => {
      for (const range of recordRanges(id)) s.delete(range);
    });
  } catch (err) {
    throw wrapWriteError(err, `the deletion of dataset ${id}`);
  }
  forgetPixelLayout(id);
  await deleteFeatures({ datasetId: id }); // derived data, in its own store: after the dataset is gone
}

/** Number of records stored under a dataset id (0 after delete). */
export async function countRecords(id: string): Promise<number> {
  return datasetStore()('readonly', async (s) => {
    const counts = await Promise.all(recordRanges(id).map((r) => promisifyRequest(s.count(r))));
    return counts.reduce((a, b) => a + b, 0);
  });
}

export async function getDatasetIndex(id: string): Promise<DatasetIndex> {
  const index = await get<DatasetIndex>(indexKey(id), datasetStore());
  if (!index) throw new StorageError('not-found', `Dataset ${id} has no index: its import did not complete.`);
  return index;
}

/**
 * Image records with their files as Blobs, whichever way they were stored; a record stored without
 * a thumbnail gets its pixels as one (a BMP of the stored square copy). `originals: false` leaves
 * `original` out: callers that show thumbnails only (gallery, search) read no batch of originals.
 */
export async function getImageRecords(
  id: string,
  indices: number[],
  { originals = true }: { originals?: boolean } = {},
): Promise<(StoredImage | undefined)[]> {
  const records = await getMany<ImageRecord | undefined>(
    indices.map((i) => imageKey(id, i)),
    datasetStore(),
  );
  const files = originals
    ? await resolveFiles(
        id,
        records.map((r) => r?.original),
      )
    : [];
  const bare = indices.filter((_, k) => records[k] && !records[k].thumb);
  const pixels = new Map(bare.length ? (await getPixels(id, bare)).map((p, k) => [bare[k], p]) : []);
  return records.map((r, k) => {
    if (!r) return undefined;
    const px = pixels.get(indices[k]);
    const side = px ? Math.round(Math.sqrt(px.length / 3)) : 0;
    const thumb = r.thumb ? asBlob(r.thumb) : new Blob([rgbToBmp(px!, side, side)], { type: 'image/bmp' });
    const { original: _, ...rest } = r;
    return files[k] ? { ...rest, thumb, original: files[k] } : { ...rest, thumb };
  });
}

/**
 * The stored original files of images `indices` as Blobs (undefined where a record keeps none: the
 * built-in sample, or a record not stored). Reads the image records only, never the pixels.
 */
export async function getOriginals(id: string, indices: number[]): Promise<(Blob | undefined)[]> {
  const records = await getMany<ImageRecord | undefined>(
    indices.map((i) => imageKey(id, i)),
    datasetStore(),
  );
  return resolveFiles(
    id,
    records.map((r) => r?.original),
  );
}

/**
 * Whether the dataset keeps its images' original files, judged by its first image (an import
 * stores every image's original; the built-in sample stores none). False for an empty dataset.
 */
export async function storesOriginals(id: string): Promise<boolean> {
  const first = await get<ImageRecord>(imageKey(id, 0), datasetStore());
  return !!first?.original;
}

/** The stored square copies of images `indices` (imageSize² × 3 bytes each, a copy each), any format. */
export async function getPixels(id: string, indices: number[]): Promise<Uint8Array[]> {
  if (!indices.length) return [];
  return readPixels(await getDataset(id), indices);
}

/** Loads a complete dataset into memory in the layout the trainer reads. */
export async function loadTrainingSet(id: string): Promise<TrainingSet> {
  const meta = await getDataset(id);
  if (meta.status !== 'complete') throw new StorageError('read-failed', `Dataset "${meta.name}" is not completely imported yet.`);
  const index = await getDatasetIndex(id);
  const n = index.names.length;
  const per = meta.imageSize * meta.imageSize * 3;
  if (meta.storedImages !== n) {
    throw new StorageError('read-failed', `Dataset "${meta.name}": its index lists ${n} images, its metadata counts ${meta.storedImages}.`);
  }
  const pixels = new Uint8Array(n * per);
  await readAllPixels(meta, pixels);
  const captions: TrainingSet['captions'] = [];
  index.captions.forEach((cs, image) => cs.forEach((text) => captions.push({ image, text })));
  return {
    name: meta.name,
    imageSize: meta.imageSize,
    pixels,
    imageNames: index.names,
    imageSplit: Uint8Array.from(index.splits, (s) => SPLIT_CODE[s]),
    captions,
  };
}
