// Runs an ingestion: reads the caption/split text files, plans, then has the worker pool decode
// images and append them to storage in atomic batches, in plan order, reporting progress. Cancel by AbortSignal
// (the partial dataset is deleted); a storage failure stops cleanly and keeps what was stored.
import { type DecodePool, takeDecodePool } from '../workers/decodePool';
import {
  completeDataset,
  createDataset,
  deleteDataset,
  getDataset,
  storedNames,
  type DatasetMeta,
  type IngestReport,
  INLINE_FILE_MAX_BYTES,
} from '../storage/datasets';
import { IngestPlanError, ingestReport, planIngest, textFilesToRead, type FolderEntry, type IngestPlan } from './plan';
import { cutBatches } from './batches';
import type { BatchItem, PreparedBatch } from './staged';
import { INGEST_SPLIT_SEED, STORED_IMAGE_SIZE } from './constants';

/**
 * Phases of an import, marked with the User Timing API as `ingest:<phase>` (performance.mark) on the
 * page's main thread: the benchmark reads them (bench/ingest.ts), and so can a browser's profiler.
 */
export const INGEST_PHASES = [
  'start',
  'texts-read',
  'planned',
  'pool-ready',
  'dataset-ready',
  'first-decoded',
  'first-stored',
  'last-stored',
  'completed',
] as const;
export type IngestPhase = (typeof INGEST_PHASES)[number];

let sessions = 0; // imports started in this page

function mark(phase: IngestPhase): void {
  performance.mark(`ingest:${phase}`);
}

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
  for (const phase of INGEST_PHASES) performance.clearMarks(`ingest:${phase}`);
  mark('start');
  opts.onProgress?.({ phase: 'reading', done: 0, total: 0, stored: 0, skipped: 0, imagesPerSecond: 0, etaSeconds: null });
  // The decode workers were started ahead (warmDecodePool), or load while the text files are read and planned.
  const pool = takeDecodePool();
  pool.ready().then(
    () => mark('pool-ready'),
    () => undefined, // a worker that fails to load fails the first batch given to it
  );
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
  const texts = await readTexts(files);
  mark('texts-read');
  const plan = planIngest(files, texts, INGEST_SPLIT_SEED);
  mark('planned');
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  // A resume continues from what storage holds now, not from the (possibly stale) listed metadata.
  const resumed = opts.resume ? await getDataset(opts.resume.id) : undefined;
  const already = resumed ? await storedNames(resumed) : new Set<string>();
  if (resumed) assertSameFolder(plan, already, resumed);
  const todo = plan.images.filter((i) => !already.has(i.name));
  const imageSize = resumed?.imageSize ?? STORED_IMAGE_SIZE;

  // Each batch is decoded and then stored by one worker (ingest/staged.ts): only counts and corrupt
  // files come back here. Up to `ahead` batches decode past the one being stored, so the workers never
  // wait for IndexedDB; batches are still stored in plan order, one transaction at a time, each
  // with the metadata that counts it. Batch sizes ramp up from small (ingest/batches.ts), so the first
  // store starts early and every worker decodes from the start.
  const batches = cutBatches(todo, pool.size);
  const ahead = pool.size + 1;
  const prepared: Promise<PreparedBatch>[] = [];
  const session = ++sessions; // keys of this session's batches in the workers (crypto.randomUUID needs a secure context)
  const batchKey = (b: number) => `${session}:${b}`;
  const issueUpTo = (n: number) => {
    while (prepared.length < Math.min(n, batches.length)) {
      const b = prepared.length;
      const items: BatchItem[] = batches[b].map((img) => ({ ...img, file: byPath.get(img.path)! }));
      const p = pool.prepareBatch(batchKey(b), items, imageSize, INLINE_FILE_MAX_BYTES);
      p.catch(() => undefined); // a batch still decoding when the import stops rejects unheard
      prepared.push(p);
    }
  };
  issueUpTo(1 + ahead); // the first batches decode while a new dataset's record is created
  let meta = resumed ?? (await createDataset({ name: opts.name, source: 'folder', imageSize, expectedImages: plan.images.length }));
  mark('dataset-ready');
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

  try {
    for (let b = 0; b < batches.length; b++) {
      issueUpTo(b + 1 + ahead);
      const batch = await prepared[b];
      if (b === 0) mark('first-decoded');
      corrupt.push(...batch.corrupt);
      done += batches[b].length;
      if (opts.signal?.aborted) throw new DOMException('Import cancelled', 'AbortError');
      meta = await pool.storeBatch(batchKey(b), meta);
      if (b === 0) mark('first-stored');
      progress('decoding');
    }
    mark('last-stored');
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
  mark('completed');
  progress('done');
  return { meta, report };
}
