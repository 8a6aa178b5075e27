// Run records in (fake) IndexedDB: storage builds every record; checkpoints, curves and metadata
// are written together; "View" reads curves without the checkpoint; records of another format
// version are refused with a clear message; a full disk while checkpointing is a 'quota' error;
// the latest eval insights are kept under their own key and go with the run.
import { get, set, setMany } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PRESETS } from '../../../src/config';
import { runStore } from '../../../src/storage/db';
import {
  attachRunToDataset,
  createRun,
  deleteRun,
  findImportedRun,
  getRun,
  importRun,
  listRuns,
  loadCheckpoint,
  loadCurves,
  loadInsights,
  RUN_FORMAT_VERSION,
  saveCheckpoint,
  saveInsights,
  saveSimilarity,
  loadSimilarity,
  setRunStatus,
} from '../../../src/storage/runs';
import type { BatchSimilarity, EvalInsights } from '../../../src/train/insights';
import { CHECKPOINT_VERSION, type Checkpoint, type EvalMetrics, type StepMetrics } from '../../../src/train/types';

const DATASET = { id: 'ds-1', name: 'flowers' };
const created: string[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const id of created.splice(0)) await deleteRun(id);
});

const stepAt = (step: number): StepMetrics => ({
  step,
  epoch: 0,
  loss: 1 / step,
  clipLoss: 1 / step,
  matchLoss: null,
  accI2T: 0,
  accT2I: 0,
  matchAcc: null,
  posSim: 0,
  negSim: 0,
  logitScale: 14,
  lr: 1e-3,
  pairsPerSec: 1,
  msPerStep: 1,
});
const evalAt = (step: number, r1: number): EvalMetrics => ({
  step,
  epoch: 0,
  valLoss: 1,
  i2t: { r1, r5: r1, r10: r1, medianRank: 1 },
  t2i: { r1, r5: r1, r10: r1, medianRank: 1 },
  matchAcc: null,
  auc: null,
  match: null,
  images: 10,
  captions: 10,
});

function checkpoint(step: number, evals: EvalMetrics[] = []): Checkpoint {
  return {
    version: CHECKPOINT_VERSION,
    config: PRESETS.tiny,
    vocab: ['<pad>', 'a'],
    step,
    epoch: 0,
    batchInEpoch: step,
    weights: [{ name: 'w', shape: [2], dtype: 'float32', data: new Float32Array([step, step]) }] as unknown as Checkpoint['weights'],
    optimizer: [],
    history: { steps: Array.from({ length: step }, (_, i) => stepAt(i + 1)), evals },
    datasetName: DATASET.name,
    createdAt: new Date().toISOString(),
  };
}

const insightsAt = (step: number): EvalInsights => ({
  step,
  epoch: 0,
  map: {
    images: [{ image: 3, x: 0.5, y: -1 }],
    captions: [{ imageRow: 0, text: 'a <b>red</b> circle', x: 1, y: 2 }],
    explained: [0.6, 0.2],
  },
  mistakes: [{ image: 3, rank: 4, trueCaption: 'a red circle', trueSim: 0.2, preferredCaption: 'a blue square', preferredSim: 0.5 }],
});

const similarityAt = (step: number): BatchSimilarity => ({
  step,
  size: 2,
  sim: [0.9, 0.1, -0.2, 0.8],
  images: [4, 7],
  captions: ['a red circle', 'a <i>blue</i> square'],
});

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
    return tx._execRequestAsync({
      source: this,
      operation: () => {
        throw quota;
      },
    });
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
    expect(meta).toMatchObject({
      status: 'stopped',
      datasetId: null,
      step: 4,
      bestValR1: 0.5,
      source: 'imported',
      name: 'm.clip.safetensors (imported)',
    });
    expect((await loadCurves(meta.id)).steps).toHaveLength(4);
    expect(await attachRunToDataset(meta.id, DATASET)).toMatchObject({
      datasetId: DATASET.id,
      name: 'm.clip.safetensors (imported) → flowers',
    });
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

  it('keeps the latest eval insights per run (none before the first evaluation)', async () => {
    const meta = await newRun();
    expect(await loadInsights(meta.id)).toBeNull();
    await saveInsights(meta.id, insightsAt(5));
    await saveInsights(meta.id, insightsAt(10));
    expect(await loadInsights(meta.id)).toEqual(insightsAt(10));
  });

  it('keeps the latest batch similarity per run, so the heatmap comes back after a reload', async () => {
    const meta = await newRun();
    expect(await loadSimilarity(meta.id)).toBeNull();
    await saveSimilarity(meta.id, similarityAt(5));
    await saveSimilarity(meta.id, similarityAt(10));
    expect(await loadSimilarity(meta.id)).toEqual(similarityAt(10));
  });

  it('deletes the run, its checkpoint, its curves, insights and similarity in one transaction', async () => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(2));
    await saveInsights(meta.id, insightsAt(2));
    await saveSimilarity(meta.id, similarityAt(2));
    const txSpy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    await deleteRun(meta.id);
    expect(txSpy.mock.calls.filter((c) => c[1] === 'readwrite')).toHaveLength(1);
    for (const k of ['run:', 'ckpt:', 'curves:', 'insights:', 'similarity:'])
      expect(await get(`${k}${meta.id}`, runStore())).toBeUndefined();
    await expect(getRun(meta.id)).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('the best checkpoint beside the last', () => {
  const bestAt = (step: number, value: number) => ({ step, metric: 'meanR5', metricLabel: 'mean R@5', value });

  it('is stored with its checkpoint in the same transaction, kept while later checkpoints are worse, and deleted with the run', async () => {
    const meta = await newRun();
    await expect(loadCheckpoint(meta.id, 'best')).rejects.toMatchObject({ code: 'not-found', message: /no stored best checkpoint/ });
    const txSpy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const first = await saveCheckpoint(meta.id, checkpoint(4, [evalAt(4, 0.5)]), { best: bestAt(4, 0.5) });
    expect(txSpy.mock.calls.filter((c) => c[1] === 'readwrite')).toHaveLength(1);
    expect(first.best).toEqual(bestAt(4, 0.5));
    // A later, worse checkpoint: the last moves on, the best stays.
    const later = await saveCheckpoint(meta.id, checkpoint(8, [evalAt(4, 0.5), evalAt(8, 0.25)]));
    expect(later).toMatchObject({ step: 8, best: bestAt(4, 0.5) });
    expect((await loadCheckpoint(meta.id)).step).toBe(8);
    const best = await loadCheckpoint(meta.id, 'best');
    expect(best.step).toBe(4);
    expect(Array.from(best.weights[0].data)).toEqual([4, 4]);
    expect((await getRun(meta.id)).best).toEqual(bestAt(4, 0.5));
    await deleteRun(meta.id);
    for (const k of ['run:', 'ckpt:', 'best:', 'curves:']) expect(await get(`${k}${meta.id}`, runStore())).toBeUndefined();
  });

  it("refuses a best record whose step is not the checkpoint's, writing nothing", async () => {
    const meta = await newRun();
    await expect(saveCheckpoint(meta.id, checkpoint(4), { best: bestAt(3, 0.5) })).rejects.toMatchObject({
      name: 'StorageError',
      message: /expected the step of the checkpoint saved \(4\), found 3/,
    });
    expect(await get(`ckpt:${meta.id}`, runStore())).toBeUndefined();
    expect(await get(`best:${meta.id}`, runStore())).toBeUndefined();
  });

  it("checks the best checkpoint's format version on read", async () => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(2, [evalAt(2, 0.5)]), { best: bestAt(2, 0.5) });
    await set(`best:${meta.id}`, { ...(await get<object>(`best:${meta.id}`, runStore())), version: CHECKPOINT_VERSION + 1 }, runStore());
    await expect(loadCheckpoint(meta.id, 'best')).rejects.toMatchObject({
      code: 'version',
      message: /best checkpoint of run .* newer CLIP Lab/,
    });
    expect((await loadCheckpoint(meta.id)).step).toBe(2); // the last one still reads
  });
});

describe('format versions', () => {
  it.each([
    ['run record, newer', 'run', RUN_FORMAT_VERSION + 1, /stored by a newer CLIP Lab: expected format 1, found 2/],
    ['run record, older', 'run', 0, /stored by an older CLIP Lab: expected format 1, found 0/],
    ['checkpoint, newer', 'ckpt', CHECKPOINT_VERSION + 1, /checkpoint of run .* newer CLIP Lab/],
    ['curves, newer', 'curves', 9, /curves of run .* newer CLIP Lab: expected format 1, found 9/],
    ['insights, newer', 'insights', 2, /embedding map of run .* newer CLIP Lab: expected format 1, found 2/],
    ['similarity, newer', 'similarity', 2, /batch similarity of run .* newer CLIP Lab: expected format 1, found 2/],
  ])('%s → StorageError version', async (_label, kind, version, message) => {
    const meta = await newRun();
    await saveCheckpoint(meta.id, checkpoint(1));
    await saveInsights(meta.id, insightsAt(1));
    await saveSimilarity(meta.id, similarityAt(1));
    const key = `${kind}:${meta.id}`;
    await set(key, { ...(await get<object>(key, runStore())), version }, runStore());
    const read = { run: getRun, ckpt: loadCheckpoint, curves: loadCurves, insights: loadInsights, similarity: loadSimilarity }[kind]!;
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
    expect(err).toMatchObject({
      name: 'StorageError',
      code: 'quota',
      message: /^Storage is full: .*checkpoint at step 4 .*previous checkpoint is kept/,
    });
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
