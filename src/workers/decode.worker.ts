// Decode worker of an import: decodes batches with data/decode.ts's preprocessImage into the form
// ingestion stores (pixels and, for a small file, the original's bytes, stored inline: see
// storage/datasets.ts InlineFile; read once and sniffed from memory; no thumbnail: the stored
// pixels are shown as one) and stores them itself when the page says (ingest/staged.ts): the page
// gets counts and corrupt files, never pixels.
import { preprocessImage } from '../data/decode';
import { StagedBatches, type BatchItem, type DecodedFile } from '../ingest/staged';
import type { DatasetMeta } from '../storage/datasets';
import { serve } from './rpc';

/** Pixels (size*size*3 RGB, centre crop) and, for a file of at most inlineMaxBytes, its bytes. */
async function decodeFile(file: Blob, name: string, size: number, inlineMaxBytes: number): Promise<DecodedFile> {
  // Every read of a Blob is a round trip to the browser process (about 1 ms of CPU for a 20 KB
  // file, measured): a small file is read once, and its first bytes sniffed from that copy.
  const original = file.size <= inlineMaxBytes ? new Uint8Array(await file.arrayBuffer()) : undefined;
  const out = await preprocessImage(file, name, size, original);
  return { pixels: out.pixels, original, width: out.width, height: out.height };
}

const staged = new StagedBatches();

export const decodeApi = {
  /** Decodes a batch of an import and keeps it here until storeBatch (see ingest/staged.ts). */
  prepareBatch(key: string, items: BatchItem[], size: number, inlineMaxBytes: number) {
    return staged.prepare(key, items, (file, path) => decodeFile(file, path, size, inlineMaxBytes));
  },
  storeBatch(key: string, meta: DatasetMeta): Promise<DatasetMeta> {
    return staged.store(key, meta);
  },
};

serve(decodeApi);
