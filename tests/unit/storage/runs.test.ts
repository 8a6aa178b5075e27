// Run records in (fake) IndexedDB: storage builds every record; checkpoints, curves and metadata
// are written together; "View" reads curves without the checkpoint; records of another format
// version are refused with a clear message; a full disk while checkpointing is a 'quota' error.
import { get, set, setMany } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PRESETS } from '../../../src/config';
import { runStore } from '../../../src/storage/db';
import {
  attachRunToDataset, createRun, deleteRun, findImportedRun, getRun, importRun, listRuns, loadCheckpoint, loadCurves, RUN_FORMAT_VERSION,
  saveCheckpoint, setRunStatus,
} from '../../../src/storage/runs';
import { CHECKPOINT_VERSION, type Checkpoint, type EvalMetrics, type StepMetrics } from '../../../src/train/types';

const DATASET = { id: 'ds-1', name: 'flowers' };
const created: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const id of created.splice(0)) await deleteRun(id);
});

const stepAt = (step: number): StepMetrics => ({
  step, epoch: 0, loss: 1 / step, clipLoss: 1 / step, matchLoss: null, accI2T: 0, accT2I: 0, matchAcc: null,
  posSim: 0, negSim: 0, logitScale: 14, lr: 1e-3, pairsPerSec: 1, msPerStep: 1,
});
const evalAt = (step: number, r1: number): EvalMetrics => ({
  step, epoch: 0, valLoss: 1, i2t: { r1, r5: r1, r10: r1, medianRank: 1 }, t2i: { r1, r5: r1, r10: r1, medianRank: 1 },
  matchAcc: null, auc: null, images: 10, captions: 10,
});

function checkpoint(step: number, evals: EvalMetrics[] = []): Checkpoint {
  return {
    version: CHECKPOINT_VERSION, config: PRESETS.tiny, vocab: ['<pad>', 'a'], step, epoch: 0, batchInEpoch: step,
    weights: [{ name: 'w', shape: [2], dtype: 'float32', data: new Float32Array([step, step]) }] as unknown as Checkpoint['weights'],
    optimizer: [], history: { steps: Array.from({ length: step }, (_, i) => stepAt(i + 1)), evals },
    datasetName: DATASET.name, createdAt: new Date().toISOString(),
  };
}

async function newRun() {
  const meta = await createRun({ dataset: DATASET, config: PRESETS.tiny, backend: 'auto' });
  created.push(meta.id);
  return meta;
}

/** Makes the next IDBObjectStore.put fail as a full disk does: the request errors, the transaction aborts. */
function failNextPutWithQuota() {
  const realPut = IDBObjectStore.prototype.put;
  let failed = false;
  return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (failed) return realPut.call(this, value, key);
    failed = true;
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    // fake-indexeddb internal: queue a request whose operation fails, as a full disk would.
    const tx = this.transaction as unknown as { _execRequestAsync(o: { source: IDBObjectStore; operation: () => never }): IDBRequest };
    return tx._execRequestAsync({ source: this, operation: () => { throw quota; } });
  });
}

describe('run life cycle', () => {
  it('create → running → checkpoints → done; curves without weights; list', async () => {
    const meta = await newRun();
    expect(meta).toMatchObject({ version: RUN_FORMAT_VERSION, status: 'running', step: 0, datasetId: DATASET.id, source: 'trained' });
    expect(await loadCurves(meta.id)).toEqual({ steps: [], evals: [] });
    await setRunStatus(meta.id, 'running', { backend: 'wasm', totalSteps: 12 });
    await saveCheckpoint(meta.id, checkpoint(3));
    const after = await saveCheckpoint(meta.id, checkpoint(6, [evalAt(6, 0.25)]));
    expect(after).toMatchObject({ step: 6, bestValR1: 0.25, backend: 'wasm', totalSteps: 12 });
    await setRunStatus(meta.id, 'done');
    expect(await getRun(meta.id)).toMatchObject({ status: 'done', step: 6, totalSteps: 12 });
    expect((await loadCheckpoint(meta.id)).step).toBe(6);

    const getSpy = vi.spyOn(IDBObjectStore.prototype, 'get');
    const curves = await loadCurves(meta.id);
    expect(curves.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(curves.evals).toHaveLength(1);
    expect(getSpy.mock.calls.map((c) => String(c[0]))).toEqual([`curves:${meta.id}`]); // never the checkpoint
    expect((await listRuns(DATASET.id)).map((r) => r.id)).toContain(meta.id);
  });

  it('failed keeps the error; a later status clears it', async () => {
    const meta = await newRun();
    expect(await setRunStatus(meta.id, 'failed', { error: 'boom' })).toMatchObject({ status: 'failed', error: 'boom' });
    expect((await setRunStatus(meta.id, 'running')).error).toBeUndefined();
  });

  it('imports a model file as a stopped run of no dataset, then attaches it to one', async () => {
    const meta = await importRun(checkpoint(4, [evalAt(4, 0.5)]), { fileName: 'm.clip.safetensors', backend: 'wasm' });
    created.push(meta.id);
    expect(meta).toMatchObject({ status: 'stopped', datasetId: null, step: 4, bestValR1: 0.5, source: 'imported', name: 'm.clip.safetensors (imported)' });
    expect((await loadCurves(meta.id)).steps).toHaveLength(4);
    expect(await attachRunToDataset(meta.id, DATASET)).toMatchObject({ datasetId: DATASET.id, name: 'm.clip.safetensors (imported) → flowers' });
  });

  it('finds an earlier import of the same checkpoint (one entry per file), not of another', async () => {
    const ckpt = checkpoint(3);
    expect(await findImportedRun(ckpt)).toBeUndefined();
    const meta = await importRun(ckpt, { fileName: 'a.clip.safetensors', backend: 'wasm' });
    created.push(meta.id);
    expect((await findImportedRun(ckpt))?.id).toBe(meta.id);
    expect(await findImportedRun({ ...ckpt, createdAt: '2020-01-01T00:00:00.000Z' })).toBeUndefined();
    expect(await findImportedRun({ ...ckpt, step: 4 })).toBeUndefined();
    await attachRunToDataset(meta.id, DATASET); // once it trains on a dataset it is that dataset's run
    expect(await findImportedRun(ckpt)).toBeUndefined();
  });

  it('runs saved before curves had their own key show the checkpoint history', async () => {
    const meta = await newRun();
    await set(`ckpt:${meta.id}`, checkpoint(2), runStore());
    expect((await loadCurves(meta.id)).steps.map((s) => s.step)).toEqual([1, 2]);
  });

  it('deletes the run, its checkpoint and its curves in one transaction', async () => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(2));
    const txSpy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    await deleteRun(meta.id);
    expect(txSpy.mock.calls.filter((c) => c[1] === 'readwrite')).toHaveLength(1);
    for (const k of ['run:', 'ckpt:', 'curves:']) expect(await get(`${k}${meta.id}`, runStore())).toBeUndefined();
    await expect(getRun(meta.id)).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('format versions', () => {
  it.each([
    ['run record, newer', 'run', RUN_FORMAT_VERSION + 1, /stored by a newer CLIP Lab: expected format 1, found 2/],
    ['run record, older', 'run', 0, /stored by an older CLIP Lab: expected format 1, found 0/],
    ['checkpoint, newer', 'ckpt', CHECKPOINT_VERSION + 1, /checkpoint of run .* newer CLIP Lab/],
    ['curves, newer', 'curves', 9, /curves of run .* newer CLIP Lab: expected format 1, found 9/],
  ])('%s → StorageError version', async (_label, kind, version, message) => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(1));
    const key = `${kind}:${meta.id}`;
    await set(key, { ...(await get<object>(key, runStore())), version }, runStore());
    const read = kind === 'run' ? getRun : kind === 'ckpt' ? loadCheckpoint : loadCurves;
    await expect(read(meta.id)).rejects.toMatchObject({ name: 'StorageError', code: 'version', message });
  });
});

describe('a full disk', () => {
  it("idb-keyval's plain setMany rejects with null there (why every write uses the atomic path)", async () => {
    failNextPutWithQuota();
    await expect(setMany([['x', 1]], runStore())).rejects.toBeNull();
  });

  it('a checkpoint refused by quota (raw rejection null) shows the storage-full message and keeps the previous one', async () => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(2));
    failNextPutWithQuota();
    const err = await saveCheckpoint(meta.id, checkpoint(4)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StorageError', code: 'quota', message: /^Storage is full: .*checkpoint at step 4 .*previous checkpoint is kept/ });
    expect(String((err as Error).message)).not.toMatch(/null/);
    expect(await getRun(meta.id)).toMatchObject({ step: 2 });
    expect((await loadCheckpoint(meta.id)).step).toBe(2);
    expect((await loadCurves(meta.id)).steps).toHaveLength(2);
  });

  it.each([
    ['createRun', () => createRun({ dataset: DATASET, config: PRESETS.tiny, backend: 'auto' })],
    ['importRun', () => importRun(checkpoint(1), { fileName: 'f', backend: 'cpu' })],
  ])('%s refused by quota → StorageError quota', async (_label, run) => {
    failNextPutWithQuota();
    await expect(run()).rejects.toMatchObject({ code: 'quota', message: /^Storage is full/ });
  });
});
