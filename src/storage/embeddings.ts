// Cached embedding indexes for search, keyed by (run, checkpoint step, dataset, split): a newer
// checkpoint or another dataset gets a new key, and older indexes of the same pair are dropped.
import { delMany, get, keys, set } from 'idb-keyval';
import { cacheStore } from './db';
import { wrapWriteError } from './errors';

export const EMBEDDING_INDEX_VERSION = 1;

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

export async function getEmbeddingIndex(runId: string, step: number, datasetId: string, split: string): Promise<EmbeddingIndex | undefined> {
  const idx = await get<EmbeddingIndex>(key(runId, step, datasetId, split), cacheStore());
  return idx?.version === EMBEDDING_INDEX_VERSION ? idx : undefined;
}

export async function putEmbeddingIndex(runId: string, step: number, datasetId: string, split: string, index: EmbeddingIndex): Promise<void> {
  const stale = (await keys(cacheStore())).filter((k) => typeof k === 'string' && k.startsWith(prefix(runId, datasetId, split)));
  if (stale.length) await delMany(stale, cacheStore());
  try {
    await set(key(runId, step, datasetId, split), index, cacheStore());
  } catch (err) {
    throw wrapWriteError(err, 'the search index');
  }
}
