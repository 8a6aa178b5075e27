// Training runs in IndexedDB, and the only code that builds a run record: a small metadata record
// per run (listed without loading weights), its latest checkpoint, its best checkpoint by a val
// metric (kept beside the last, so overfitting never loses it), its curves (the metrics history
// under their own key, so viewing a run never reads weights), and the latest eval insights
// (embedding map, worst mistakes) and the last batch similarity matrix under theirs, so a finished
// run's pictures come back after a reload. Every write goes through
// the atomic path of db.ts; every read checks the record's format version.
import { get, getMany, keys } from 'idb-keyval';
import type { TrainConfig } from '../config';
import type { BatchSimilarity, EvalInsights } from '../train/insights';
import { CHECKPOINT_VERSION, type Checkpoint, type MetricsHistory } from '../train/types';
import { runStore, setManyAtomic, writeAtomic } from './db';
import { StorageError, wrapWriteError } from './errors';

/** Format version of run records; a new layout gets a new number, never an edit. */
export const RUN_FORMAT_VERSION = 1;
/** Format version of the curves record (added beside v1 runs; runs saved before it have none). */
export const CURVES_FORMAT_VERSION = 1;

/** Format version of the insights record (the latest embedding map and worst mistakes of a run). */
export const INSIGHTS_FORMAT_VERSION = 1;
/** Format version of the last batch similarity record (runs saved before it have none). */
export const SIMILARITY_FORMAT_VERSION = 1;

export type RunStatus = 'running' | 'stopped' | 'done' | 'failed';

export interface RunMeta {
  version: number;
  id: string;
  name: string;
  datasetId: string | null; // null for a run imported from a file
  datasetName: string;
  preset: string;
  config: TrainConfig;
  backend: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  step: number; // step of the stored checkpoint
  epoch: number;
  totalSteps: number;
  bestValR1: number | null; // best mean of image→text and text→image R@1 over evaluations
  best?: BestCheckpointInfo | null; // the stored best checkpoint (absent in older runs, and before the first evaluation)
  error?: string;
  source: 'trained' | 'imported';
  checkpointCreatedAt?: string; // imported runs: the file's created_at, which identifies the file on a second import
}

/** Which checkpoint of a run: the latest one, or the best one by a val metric. */
export type CheckpointChoice = 'last' | 'best';

/** What the run record says of its best checkpoint (the checkpoint itself has its own key). */
export interface BestCheckpointInfo {
  step: number;
  metric: string; // e.g. 'meanR5'
  metricLabel: string; // e.g. 'mean R@5'
  value: number;
}

interface CurvesRecord extends MetricsHistory {
  version: number;
}

const metaKey = (id: string) => `run:${id}`;
const ckptKey = (id: string) => `ckpt:${id}`;
const curvesKey = (id: string) => `curves:${id}`;
const bestKey = (id: string) => `best:${id}`;
const insightsKey = (id: string) => `insights:${id}`;
const similarityKey = (id: string) => `similarity:${id}`;

interface InsightsRecord extends EvalInsights {
  version: number;
}

interface SimilarityRecord extends BatchSimilarity {
  version: number;
}

function newRunId(): string {
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Throws a 'version' StorageError unless `found` is a version this build reads. */
function checkVersion(found: unknown, expected: number, what: string): void {
  if (found === expected) return;
  const newer = typeof found === 'number' && found > expected;
  throw new StorageError(
    'version',
    `${what} was stored by ${newer ? 'a newer' : 'an older'} CLIP Lab: expected format ${expected}, found ${String(found)}. ` +
      (newer
        ? 'Open it with the newer CLIP Lab, or delete it here.'
        : 'This build cannot read it: delete it, or export it from the build that made it.'),
  );
}

async function write(entries: [IDBValidKey, unknown][], what: string): Promise<void> {
  try {
    await setManyAtomic(entries, runStore());
  } catch (err) {
    throw wrapWriteError(err, what);
  }
}

function bestR1(history: MetricsHistory): number | null {
  const vals = history.evals.map((e) => (e.i2t.r1 + e.t2i.r1) / 2);
  return vals.length ? Math.max(...vals) : null;
}

const curvesOf = (ckpt: Checkpoint): CurvesRecord => ({
  version: CURVES_FORMAT_VERSION,
  steps: ckpt.history.steps,
  evals: ckpt.history.evals,
});

export async function listRuns(datasetId?: string): Promise<RunMeta[]> {
  const ks = (await keys(runStore())).filter((k): k is string => typeof k === 'string' && k.startsWith('run:'));
  const metas = (await getMany<RunMeta | undefined>(ks, runStore())).filter((m): m is RunMeta => !!m);
  return metas.filter((m) => !datasetId || m.datasetId === datasetId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getRun(id: string): Promise<RunMeta> {
  const meta = await get<RunMeta>(metaKey(id), runStore());
  if (!meta) throw new StorageError('not-found', `No run with id ${id} is stored.`);
  checkVersion(meta.version, RUN_FORMAT_VERSION, `Run "${meta.name}"`);
  return meta;
}

/** Creates and stores a new run on a dataset, status 'running', no checkpoint yet. */
export async function createRun(init: { dataset: { id: string; name: string }; config: TrainConfig; backend: string }): Promise<RunMeta> {
  const now = new Date().toISOString();
  const meta: RunMeta = {
    version: RUN_FORMAT_VERSION,
    id: newRunId(),
    name: `${init.config.preset} · ${new Date().toLocaleString('en-GB')}`,
    datasetId: init.dataset.id,
    datasetName: init.dataset.name,
    preset: init.config.preset,
    config: init.config,
    backend: init.backend,
    status: 'running',
    createdAt: now,
    updatedAt: now,
    step: 0,
    epoch: 0,
    totalSteps: 0,
    bestValR1: null,
    source: 'trained',
  };
  await write([[metaKey(meta.id), meta]], `the new run "${meta.name}"`);
  return meta;
}

/** Stores a model file's checkpoint as a new, stopped run of no dataset (it can continue on any). */
export async function importRun(ckpt: Checkpoint, init: { fileName: string; backend: string }): Promise<RunMeta> {
  const now = new Date().toISOString();
  const meta: RunMeta = {
    version: RUN_FORMAT_VERSION,
    id: newRunId(),
    name: `${init.fileName} (imported)`,
    datasetId: null,
    datasetName: ckpt.datasetName,
    preset: ckpt.config.preset,
    config: ckpt.config,
    backend: init.backend,
    status: 'stopped',
    createdAt: now,
    updatedAt: now,
    step: ckpt.step,
    epoch: ckpt.epoch,
    totalSteps: 0,
    bestValR1: bestR1(ckpt.history),
    source: 'imported',
    checkpointCreatedAt: ckpt.createdAt,
  };
  await write(
    [
      [ckptKey(meta.id), ckpt],
      [curvesKey(meta.id), curvesOf(ckpt)],
      [metaKey(meta.id), meta],
    ],
    `the imported model "${init.fileName}"`,
  );
  return meta;
}

/**
 * The stored, still unattached import of this same checkpoint (same created_at, step and dataset
 * name), if any: importing one file twice then opens the first entry instead of adding a second.
 */
export async function findImportedRun(ckpt: Checkpoint): Promise<RunMeta | undefined> {
  return (await listRuns()).find(
    (r) =>
      r.source === 'imported' &&
      r.datasetId === null &&
      r.checkpointCreatedAt === ckpt.createdAt &&
      r.step === ckpt.step &&
      r.datasetName === ckpt.datasetName,
  );
}

/** What a status change may also record: the backend in use, the run's length, the error shown. */
export interface RunStatusDetail {
  backend?: string;
  totalSteps?: number;
  error?: string;
}

/** Sets a run's status (clearing its last error unless one is given). */
export async function setRunStatus(id: string, status: RunStatus, detail: RunStatusDetail = {}): Promise<RunMeta> {
  const meta = await getRun(id);
  const next: RunMeta = { ...meta, ...detail, status, error: detail.error, updatedAt: new Date().toISOString() };
  await write([[metaKey(id), next]], `the status of run "${meta.name}"`);
  return next;
}

/** An imported model continues on `dataset`: the run becomes that dataset's. */
export async function attachRunToDataset(id: string, dataset: { id: string; name: string }): Promise<RunMeta> {
  const meta = await getRun(id);
  const next: RunMeta = {
    ...meta,
    datasetId: dataset.id,
    datasetName: dataset.name,
    name: `${meta.name} → ${dataset.name}`,
    updatedAt: new Date().toISOString(),
  };
  await write([[metaKey(id), next]], `run "${meta.name}"`);
  return next;
}

/**
 * Stores a checkpoint, its curves and the run metadata that points at them, atomically. With
 * `best` (the caller found this checkpoint's evaluation the best so far; best.step must equal
 * ckpt.step) it is also stored as the run's best checkpoint, in the same transaction.
 */
export async function saveCheckpoint(id: string, ckpt: Checkpoint, opts: { best?: BestCheckpointInfo } = {}): Promise<RunMeta> {
  const meta = await getRun(id);
  const { best } = opts;
  if (best && best.step !== ckpt.step) {
    throw new StorageError(
      'write-failed',
      `the best checkpoint of run "${meta.name}": expected the step of the checkpoint saved (${ckpt.step}), found ${best.step}`,
    );
  }
  const next: RunMeta = {
    ...meta,
    step: ckpt.step,
    epoch: ckpt.epoch,
    bestValR1: bestR1(ckpt.history),
    ...(best ? { best } : {}),
    updatedAt: new Date().toISOString(),
  };
  await write(
    [
      [ckptKey(id), ckpt],
      ...(best ? [[bestKey(id), ckpt] as [string, Checkpoint]] : []),
      [curvesKey(id), curvesOf(ckpt)],
      [metaKey(id), next],
    ],
    `the checkpoint at step ${ckpt.step} of run "${meta.name}" (the previous checkpoint is kept)`,
  );
  return next;
}

/** The run's last checkpoint, or its best one ('not-found' when it has none of that kind yet). */
export async function loadCheckpoint(id: string, which: CheckpointChoice = 'last'): Promise<Checkpoint> {
  const ckpt = await get<Checkpoint>(which === 'best' ? bestKey(id) : ckptKey(id), runStore());
  if (!ckpt)
    throw new StorageError(
      'not-found',
      `Run ${id} has no stored ${which === 'best' ? 'best checkpoint (no evaluation yet)' : 'checkpoint yet'}.`,
    );
  checkVersion(ckpt.version, CHECKPOINT_VERSION, `The ${which === 'best' ? 'best ' : ''}checkpoint of run ${id}`);
  return ckpt;
}

/** The run's metrics history without its weights (runs saved before curves had a key: from the checkpoint). */
export async function loadCurves(id: string): Promise<MetricsHistory> {
  const curves = await get<CurvesRecord>(curvesKey(id), runStore());
  if (!curves) {
    const ckpt = await get<Checkpoint>(ckptKey(id), runStore());
    if (!ckpt) return { steps: [], evals: [] }; // a run that has not reached its first checkpoint
    checkVersion(ckpt.version, CHECKPOINT_VERSION, `The checkpoint of run ${id}`);
    return ckpt.history;
  }
  checkVersion(curves.version, CURVES_FORMAT_VERSION, `The curves of run ${id}`);
  return { steps: curves.steps, evals: curves.evals };
}

/** Stores a run's latest eval insights, replacing the previous ones. */
export async function saveInsights(id: string, insights: EvalInsights): Promise<void> {
  const record: InsightsRecord = { version: INSIGHTS_FORMAT_VERSION, ...insights };
  await write([[insightsKey(id), record]], `the embedding map of run ${id} at step ${insights.step}`);
}

/** A run's latest eval insights; null when it has not been evaluated since insights were kept. */
export async function loadInsights(id: string): Promise<EvalInsights | null> {
  const record = await get<InsightsRecord>(insightsKey(id), runStore());
  if (!record) return null;
  checkVersion(record.version, INSIGHTS_FORMAT_VERSION, `The embedding map of run ${id}`);
  const { version: _, ...insights } = record;
  return insights;
}

/** Stores the run's latest batch similarity matrix (the live heatmap), replacing the previous one. */
export async function saveSimilarity(id: string, similarity: BatchSimilarity): Promise<void> {
  const record: SimilarityRecord = { version: SIMILARITY_FORMAT_VERSION, ...similarity };
  await write([[similarityKey(id), record]], `the batch similarity of run ${id} at step ${similarity.step}`);
}

/** The run's latest stored batch similarity matrix; null for a run saved before these were kept. */
export async function loadSimilarity(id: string): Promise<BatchSimilarity | null> {
  const record = await get<SimilarityRecord>(similarityKey(id), runStore());
  if (!record) return null;
  checkVersion(record.version, SIMILARITY_FORMAT_VERSION, `The batch similarity of run ${id}`);
  const { version: _, ...similarity } = record;
  return similarity;
}

/** Deletes a run, its checkpoints (last and best), its curves, insights and similarity in one transaction. */
export async function deleteRun(id: string): Promise<void> {
  try {
    await writeAtomic(runStore(), (s) => {
      for (const key of [metaKey(id), ckptKey(id), bestKey(id), curvesKey(id), insightsKey(id), similarityKey(id)]) s.delete(key);
    });
  } catch (err) {
    throw wrapWriteError(err, `the deletion of run ${id}`);
  }
}
