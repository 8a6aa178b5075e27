// Training runs in IndexedDB: a small metadata record per run (listed without loading weights)
// and its latest checkpoint, written together in one transaction.
import { del, delMany, get, getMany, keys, set, setMany } from 'idb-keyval';
import type { TrainConfig } from '../config';
import type { Checkpoint } from '../train/types';
import { runStore } from './db';
import { StorageError, wrapWriteError } from './errors';

export const RUN_FORMAT_VERSION = 1;

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

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
  error?: string;
  source: 'trained' | 'imported';
}

const metaKey = (id: string) => `run:${id}`;
const ckptKey = (id: string) => `ckpt:${id}`;

export function newRunId(): string {
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function listRuns(datasetId?: string): Promise<RunMeta[]> {
  const ks = (await keys(runStore())).filter((k): k is string => typeof k === 'string' && k.startsWith('run:'));
  const metas = (await getMany<RunMeta | undefined>(ks, runStore())).filter((m): m is RunMeta => !!m);
  return metas.filter((m) => !datasetId || m.datasetId === datasetId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export async function getRun(id: string): Promise<RunMeta> {
  const meta = await get<RunMeta>(metaKey(id), runStore());
  if (!meta) throw new StorageError('not-found', `No run with id ${id} is stored.`);
  return meta;
}

export async function putRun(meta: RunMeta): Promise<void> {
  try {
    await set(metaKey(meta.id), { ...meta, updatedAt: new Date().toISOString() }, runStore());
  } catch (err) {
    throw wrapWriteError(err, `run "${meta.name}"`);
  }
}

function bestR1(ckpt: Checkpoint): number | null {
  const vals = ckpt.history.evals.map((e) => (e.i2t.r1 + e.t2i.r1) / 2);
  return vals.length ? Math.max(...vals) : null;
}

/** Stores a checkpoint and the run metadata that points at it, atomically. */
export async function saveCheckpoint(meta: RunMeta, ckpt: Checkpoint): Promise<RunMeta> {
  const next: RunMeta = { ...meta, step: ckpt.step, epoch: ckpt.epoch, bestValR1: bestR1(ckpt), updatedAt: new Date().toISOString() };
  try {
    await setMany([[ckptKey(meta.id), ckpt], [metaKey(meta.id), next]], runStore());
  } catch (err) {
    throw wrapWriteError(err, `the checkpoint at step ${ckpt.step} of run "${meta.name}" (the previous checkpoint is kept)`);
  }
  return next;
}

export async function loadCheckpoint(id: string): Promise<Checkpoint> {
  const ckpt = await get<Checkpoint>(ckptKey(id), runStore());
  if (!ckpt) throw new StorageError('not-found', `Run ${id} has no stored checkpoint yet.`);
  return ckpt;
}

export async function deleteRun(id: string): Promise<void> {
  await del(metaKey(id), runStore());
  await delMany([ckptKey(id)], runStore());
}
