// Runs an ingestion: reads the caption/split text files, plans, then decodes images in the worker
// pool and appends them to storage in atomic batches, reporting progress. Cancel by AbortSignal
// (the partial dataset is deleted); a storage failure stops cleanly and keeps what was stored.
import { DecodePool } from '../workers/decodePool';
import {
  appendImages,
  completeDataset,
  createDataset,
  deleteDataset,
  getDataset,
  storedNames,
  type DatasetMeta,
  type IngestReport,
  type NewImage,
  INLINE_FILE_MAX_BYTES,
} from '../storage/datasets';
import { IngestPlanError, ingestReport, planIngest, textFilesToRead, type FolderEntry, type IngestPlan, type PlannedImage } from './plan';
import { INGEST_SPLIT_SEED, STORED_IMAGE_SIZE } from './constants';

const BATCH = 48; // images per atomic write
const AHEAD = 2 * BATCH; // images decoding beyond the batch being written
const DONE = Promise.resolve(null);

export interface FolderFile extends FolderEntry {
  file: File;
}

export interface IngestProgress {
  phase: 'reading' | 'decoding' | 'finishing' | 'done';
  done: number; // images processed (stored + skipped) in this session
  total: number;
  stored: number;
  skipped: number;
  imagesPerSecond: number;
  etaSeconds: number | null;
}

export interface IngestResult {
  meta: DatasetMeta;
  report: IngestReport;
}

async function readTexts(files: FolderFile[]): Promise<Map<string, string>> {
  const wanted = new Set(textFilesToRead(files).map((e) => e.path));
  const texts = new Map<string, string>();
  await Promise.all(files.filter((f) => wanted.has(f.path)).map(async (f) => texts.set(f.path, await f.file.text())));
  return texts;
}

export async function planFolder(files: FolderFile[]): Promise<IngestPlan> {
  return planIngest(files, await readTexts(files), INGEST_SPLIT_SEED);
}

/** A resume must be given the folder the partial import came from: every stored image must be planned again. */
function assertSameFolder(plan: IngestPlan, stored: Set<string>, resume: DatasetMeta): void {
  const planned = new Set(plan.images.map((i) => i.name));
  const foreign = [...stored].filter((n) => !planned.has(n));
  if (foreign.length) {
    throw new IngestPlanError(
      'resume-mismatch',
      `This is not the folder "${resume.name}" was imported from: ${foreign.length.toLocaleString('en-US')} of its ${stored.size.toLocaleString('en-US')} stored images ` +
        `(first: ${foreign[0]}) are not in it with a caption. Choose the same folder to resume, or discard the partial import.`,
    );
  }
}

/** Imports `files` as a new dataset, or continues `resume` (a partial import of the same folder). */
export async function ingestFolder(
  files: FolderFile[],
  opts: { name: string; signal?: AbortSignal; onProgress?: (p: IngestProgress) => void; resume?: DatasetMeta },
): Promise<IngestResult> {
  const t0 = performance.now();
  opts.onProgress?.({ phase: 'reading', done: 0, total: 0, stored: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: null });
  // The decode workers load while the text files are read and planned.
  const pool = new DecodePool();
  try {
    return await ingestWith(pool, files, opts, t0);
  } finally {
    pool.terminate();
  }
}

async function ingestWith(
  pool: DecodePool,
  files: FolderFile[],
  opts: Parameters<typeof ingestFolder>[1],
  t0: number,
): Promise<IngestResult> {
  const plan = await planFolder(files);
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  // A resume continues from what storage holds now, not from the (possibly stale) listed metadata.
  const resumed = opts.resume ? await getDataset(opts.resume.id) : undefined;
  const already = resumed ? await storedNames(resumed) : new Set<string>();
  if (resumed) assertSameFolder(plan, already, resumed);
  let meta =
    resumed ??
    (await createDataset({ name: opts.name, source: 'folder', imageSize: STORED_IMAGE_SIZE, expectedImages: plan.images.length }));
  const todo = plan.images.filter((i) => !already.has(i.name));
  const corrupt: IngestReport['corrupt'] = [];
  let done = 0;
  const progress = (phase: IngestProgress['phase']) => {
    const secs = (performance.now() - t0) / 1000;
    const rate = done / Math.max(secs, 1e-3);
    opts.onProgress?.({
      phase,
      done,
      total: todo.length,
      stored: meta.storedImages,
      skipped: corrupt.length,
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? (todo.length - done) / rate : null,
    });
  };

  const decodeOne = async (img: PlannedImage): Promise<NewImage | null> => {
    const file = byPath.get(img.path)!;
    try {
      const out = await pool.decode(file, img.path, meta.imageSize, INLINE_FILE_MAX_BYTES);
      return {
        name: img.name,
        split: img.split,
        captions: img.captions,
        width: out.width,
        height: out.height,
        original: out.original ? { bytes: out.original, type: file.type } : file,
        pixels: out.pixels,
      };
    } catch (err) {
      corrupt.push({ name: img.path, reason: (err as Error).message });
      return null;
    } finally {
      done++;
    }
  };

  // Decoding runs up to AHEAD images past the batch being written, so the workers never wait for
  // IndexedDB; batches are still written in plan order, one transaction at a time.
  const decoding: Promise<NewImage | null>[] = [];
  const issueUpTo = (n: number) => {
    while (decoding.length < Math.min(n, todo.length)) decoding.push(decodeOne(todo[decoding.length]));
  };
  try {
    for (let s = 0; s < todo.length; s += BATCH) {
      issueUpTo(s + BATCH + AHEAD);
      const decoded = await Promise.all(decoding.slice(s, s + BATCH));
      decoding.fill(DONE, s, s + BATCH); // let the written images go
      if (opts.signal?.aborted) throw new DOMException('Import cancelled', 'AbortError');
      const good = decoded.filter((d): d is NewImage => d !== null);
      if (good.length) meta = await appendImages(meta, good);
      progress('decoding');
    }
  } catch (err) {
    pool.terminate();
    if ((err as Error).name === 'AbortError' && !opts.resume) await deleteDataset(meta.id);
    throw err;
  }

  progress('finishing');
  const report = ingestReport(plan, {
    stored: meta.storedImages,
    corrupt,
    processed: todo.length,
    seconds: (performance.now() - t0) / 1000,
  });
  meta = await completeDataset(meta, report);
  progress('done');
  return { meta, report };
}
