// Cached backbone features in IndexedDB, per (dataset, which pixels, backbone SHA-256 + output node,
// view), in
// chunks of consecutive images written one transaction each as the feature pass goes, so a reload
// resumes at the first missing chunk. A byte-count marker beside each chunk lets the storage
// figure count them without reading the features. Derived data: deleted with the dataset or the
// backbone, and rebuilt by running the pass again.
import { getMany, promisifyRequest } from 'idb-keyval';
import type { BackboneIdentity } from '../model/backbone';
import { cacheStore, writeAtomic } from './db';
import { StorageError, wrapWriteError } from './errors';

/**
 * Format version of feature chunks; a new layout gets a new number, never an edit.
 * 2: the key names the pixels the backbone saw (FeatureImages); version-1 chunks were all computed
 * from the 128-px stored copies, are never read, and a feature pass deletes them (deleteStaleFeatures).
 */
export const FEATURE_FORMAT_VERSION = 2;

/**
 * Which pixels of each image the backbone saw: 'original', the stored original file decoded at the
 * backbone's input size; 'copy', the stored square copy (128 px) resized to it (the dataset keeps
 * no originals: the built-in sample, older imports).
 */
export type FeatureImages = 'original' | 'copy';

/** 'plain': the stored image; 'flip': mirrored left-right (the cheap augmentation view). */
export type FeatureView = 'plain' | 'flip';

/** Which features: a dataset's originals or copies through a backbone (its files, input size, range and output node), one view. */
export interface FeatureSource {
  datasetId: string;
  images: FeatureImages;
  backbone: Pick<BackboneIdentity, 'sha256' | 'inputSize' | 'range' | 'outputNode' | 'featureSize'>;
  view: FeatureView;
}

/** Rows [count, F] of images start .. start + count - 1 of the dataset. */
export interface FeatureChunk {
  start: number;
  count: number;
  rows: Float32Array;
}

interface ChunkRecord extends FeatureChunk {
  version: number;
  featureSize: number;
}

// feat:<dataset>:<sha256>:<view>:<images>/<input size>/<range>/<node>#<chunk index, 6 digits>
// (format 1 had no <images>/ segment: see deleteStaleFeatures)
const sourcePrefix = (s: FeatureSource) =>
  `feat:${s.datasetId}:${s.backbone.sha256}:${s.view}:${s.images}/${s.backbone.inputSize}/${s.backbone.range}/${s.backbone.outputNode}#`;
const CURRENT_KEY = /^feat:[^:]+:[^:]+:[^:]+:(original|copy)\//;
const chunkKey = (s: FeatureSource, chunk: number) => `${sourcePrefix(s)}${String(chunk).padStart(6, '0')}`;
const sizeKey = (key: string) => `size:${key}`; // the chunk's bytes, beside it
const range = (prefix: string) => IDBKeyRange.bound(prefix, `${prefix}\uffff`);

/** Stores chunk number `index` of a feature pass (rows [count, F]) in one transaction. */
export async function putFeatureChunk(source: FeatureSource, index: number, chunk: FeatureChunk): Promise<void> {
  const F = source.backbone.featureSize;
  if (chunk.rows.length !== chunk.count * F) {
    throw new StorageError('write-failed', `feature chunk ${index}: expected ${chunk.count} x ${F} values, found ${chunk.rows.length}`);
  }
  const record: ChunkRecord = { version: FEATURE_FORMAT_VERSION, featureSize: F, ...chunk };
  const key = chunkKey(source, index);
  try {
    await writeAtomic(cacheStore(), (s) => {
      s.put(record, key);
      s.put(chunk.rows.byteLength, sizeKey(key));
    });
  } catch (err) {
    throw wrapWriteError(err, `features of images ${chunk.start}..${chunk.start + chunk.count - 1}`);
  }
}

/** Indices of the chunks already stored for `source`, ascending. */
export async function storedFeatureChunks(source: FeatureSource): Promise<number[]> {
  const prefix = sourcePrefix(source);
  const ks = await cacheStore()('readonly', (s) => promisifyRequest(s.getAllKeys(range(sizeKey(prefix)))));
  return ks.map((k) => Number(String(k).slice(sizeKey(prefix).length))).sort((a, b) => a - b);
}

/**
 * The features of images 0 .. images - 1 as rows [images, F], read from the stored chunks;
 * throws StorageError('not-found') naming the first image no stored chunk covers.
 */
export async function loadFeatures(source: FeatureSource, images: number): Promise<Float32Array> {
  const F = source.backbone.featureSize;
  const stored = await storedFeatureChunks(source);
  const records = await getMany<ChunkRecord | undefined>(
    stored.map((c) => chunkKey(source, c)),
    cacheStore(),
  );
  const rows = new Float32Array(images * F);
  const covered = new Uint8Array(images);
  for (const r of records) {
    if (!r || r.version !== FEATURE_FORMAT_VERSION || r.featureSize !== F) continue;
    const n = Math.min(r.count, images - r.start);
    if (n <= 0) continue;
    rows.set(r.rows.subarray(0, n * F), r.start * F);
    covered.fill(1, r.start, r.start + n);
  }
  const gap = covered.indexOf(0);
  if (gap >= 0) {
    throw new StorageError(
      'not-found',
      `${source.view} features of dataset ${source.datasetId}: expected all ${images} images, found none for image #${gap} — compute features first`,
    );
  }
  return rows;
}

/** Deletes every cached feature of a dataset, of a backbone, or (both given) of the pair. */
export async function deleteFeatures(which: { datasetId?: string; sha256?: string }): Promise<void> {
  const prefix = which.datasetId ? `feat:${which.datasetId}:${which.sha256 ? `${which.sha256}:` : ''}` : 'feat:';
  try {
    const ks = await cacheStore()('readonly', (s) => promisifyRequest(s.getAllKeys(range(sizeKey(prefix)))));
    const doomed = ks.map((k) => String(k).slice('size:'.length)).filter((k) => !which.sha256 || k.split(':')[2] === which.sha256);
    await writeAtomic(cacheStore(), (s) => {
      for (const k of doomed) {
        s.delete(k);
        s.delete(sizeKey(k));
      }
    });
  } catch (err) {
    throw wrapWriteError(err, 'the deletion of cached features');
  }
}

/**
 * Deletes a dataset's feature chunks of an older format (keys without the <images>/ segment: all
 * computed from the 128-px copies), so they neither linger in storage nor get mixed with new ones.
 * Returns how many chunks were deleted.
 */
export async function deleteStaleFeatures(datasetId: string): Promise<number> {
  const prefix = `feat:${datasetId}:`;
  try {
    const ks = await cacheStore()('readonly', (s) => promisifyRequest(s.getAllKeys(range(sizeKey(prefix)))));
    const stale = ks.map((k) => String(k).slice('size:'.length)).filter((k) => !CURRENT_KEY.test(k));
    if (stale.length) {
      await writeAtomic(cacheStore(), (s) => {
        for (const k of stale) {
          s.delete(k);
          s.delete(sizeKey(k));
        }
      });
    }
    return stale.length;
  } catch (err) {
    throw wrapWriteError(err, 'the deletion of outdated cached features');
  }
}

/** Bytes of every cached feature chunk (from the size markers: no feature is read). */
export async function featureBytes(datasetId?: string): Promise<number> {
  const sizes = await cacheStore()('readonly', (s) =>
    promisifyRequest<number[]>(s.getAll(range(sizeKey(datasetId ? `feat:${datasetId}:` : 'feat:')))),
  );
  return sizes.reduce((n, b) => n + b, 0);
}
