// Cached embedding indexes for search, keyed by (run, checkpoint step, dataset, split): a newer
// checkpoint or another dataset gets a new key, and older indexes of the same pair are dropped in
// the same transaction that stores the new one. A record of another format version is rebuilt.
import { get } from 'idb-keyval';
import { cacheStore, writeAtomic } from './db';
import { wrapWriteError } from './errors';

/**
 * 2: a backbone run's image embeddings come from the originals at the backbone's input size (features
 * format 2); version-1 indices, built from the 128-px copies, are rebuilt instead of read.
 */
export const EMBEDDING_INDEX_VERSION = 2;

export interface EmbeddingIndex {
  version: number;
  dim: number;
  imageIds: Int32Array; // dataset image index of each image row
  imageEmb: Float32Array; // [images, dim] unit rows
  captionImage: Int32Array; // dataset image index of each caption row
  captionText: string[];
  captionEmb: Float32Array; // [captions, dim] unit rows
}

const prefix = (runId: string, datasetId: string, split: string) => `emb:${runId}:${datasetId}:${split}:`;
const key = (runId: string, step: number, datasetId: string, split: string) => `${prefix(runId, datasetId, split)}${step}`;

export async function getEmbeddingIndex(
  runId: string,
  step: number,
  datasetId: string,
  split: string,
): Promise<EmbeddingIndex | undefined> {
  const idx = await get<EmbeddingIndex>(key(runId, step, datasetId, split), cacheStore());
  return idx?.version === EMBEDDING_INDEX_VERSION ? idx : undefined;
}

export async function putEmbeddingIndex(
  runId: string,
  step: number,
  datasetId: string,
  split: string,
  index: EmbeddingIndex,
): Promise<void> {
  const p = prefix(runId, datasetId, split);
  try {
    await writeAtomic(cacheStore(), (s) => {
      s.delete(IDBKeyRange.bound(p, `${p}\uffff`));
      s.put(index, key(runId, step, datasetId, split));
    });
  } catch (err) {
    throw wrapWriteError(err, 'the search index');
  }
}
