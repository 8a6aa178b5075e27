// ModelService without a worker: import a model file (stored as a run), load it with the
// backend's convolution choice, and search a stored dataset: the index is built once with
// progress, then kept in memory (no storage read per search), rebuilt for another split.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withOverrides } from '../../../src/config';
import { decodeModelFile, encodeModelFile } from '../../../src/io/modelFile';
import { sigmoid } from '../../../src/model/calibration';
import { deleteDataset, type DatasetMeta } from '../../../src/storage/datasets';
import { createRun, deleteRun, getRun, saveCheckpoint } from '../../../src/storage/runs';
import type { Checkpoint } from '../../../src/train/types';
import { runTraining } from '../../../src/train/trainer';
import { ModelService } from '../../../src/use/modelService';
import { ModelSession } from '../../../src/use/modelSession';
import type { BackendInfo } from '../../../src/use/backend';
import { syntheticSet } from '../train/fixtures';
import { storeSyntheticSet } from '../workers/storedSet';

const config = withOverrides('tiny', {
  imageSize: 16,
  convChannels: [4, 8],
  embedDim: 16,
  textWidth: 16,
  matchHidden: 16,
  batchSize: 4,
  epochs: 1,
});
const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });

let ds: DatasetMeta;
let bytes: Uint8Array;
let trained: Checkpoint;
const service = new ModelService(cpu);

beforeAll(async () => {
  ds = await storeSyntheticSet({ images: 12, val: 4, size: 16 });
  trained = await runTraining(syntheticSet({ images: 12, val: 4, size: 16 }), config, { callbacks: {} });
  bytes = encodeModelFile(trained);
});
afterAll(async () => {
  service.dispose();
  await deleteDataset(ds.id);
});

describe('ModelService', () => {
  it('refuses to search with no model loaded', async () => {
    await expect(new ModelService(cpu).searchText({ datasetId: ds.id, split: 'all', query: 'x', k: 1 })).rejects.toMatchObject({
      name: 'UseError',
      code: 'no-model',
    });
  });

  it('imports a file as a stored run and builds the model with the backend’s convolution choice', async () => {
    const spy = vi.spyOn(ModelSession, 'fromCheckpoint');
    const loaded = await service.importFile({ bytes: bytes.slice().buffer, fileName: 'm.clip.safetensors', backend: 'auto' });
    expect(spy.mock.calls[0][1]).toBe('im2col');
    spy.mockRestore();
    expect(loaded).toMatchObject({ step: 2, backend: 'cpu', hasClassifier: true });
    expect(await getRun(loaded.runId)).toMatchObject({ source: 'imported', step: 2, status: 'stopped' });
    await expect(service.load({ runId: loaded.runId, backend: 'auto' })).resolves.toEqual(loaded); // same checkpoint: kept
  });

  it('builds the index once with progress, then searches from memory', async () => {
    const progress: number[] = [];
    const built = await service.buildIndex({ datasetId: ds.id, split: 'all' }, (done) => progress.push(done));
    expect(built).toMatchObject({ images: 12, captions: 12, cached: false });
    expect(progress).toEqual([12]);

    const reads = vi.spyOn(IDBObjectStore.prototype, 'get');
    expect(await service.buildIndex({ datasetId: ds.id, split: 'all' })).toMatchObject({ cached: true, seconds: 0 });
    const hits = await service.searchText({ datasetId: ds.id, split: 'all', query: 'a red dog', k: 3 });
    expect(reads).not.toHaveBeenCalled(); // the loaded index: not two reads per click, none
    reads.mockRestore();
    expect(hits).toHaveLength(3);
    for (const h of hits) expect(h.caption).toMatch(new RegExp(` i${h.index} variant0$`)); // the image's first caption

    const captions = await service.searchImage({
      datasetId: ds.id,
      split: 'all',
      image: { kind: 'dataset', datasetId: ds.id, index: 5 },
      k: 2,
    });
    expect(captions).toHaveLength(2);
  });

  it('finds the images most like a dataset image, leaving the image itself out, in the order of their cosine', async () => {
    const image = { kind: 'dataset' as const, datasetId: ds.id, index: 5 };
    const similar = await service.similarImages({ datasetId: ds.id, split: 'all', image, k: 4 });
    expect(similar).toHaveLength(4);
    expect(similar.map((h) => h.index)).not.toContain(5);
    for (let i = 1; i < similar.length; i++) expect(similar[i - 1].score).toBeGreaterThanOrEqual(similar[i].score);
    // The whole index ranked by cosine to image 5: its own row comes first (cosine 1), then exactly these.
    const all = await service.similarImages({ datasetId: ds.id, split: 'all', image, k: 11 });
    expect(all.map((h) => h.index)).toEqual(expect.arrayContaining([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]));
    expect(all.slice(0, 4)).toEqual(similar);
  });

  it('another split is another index (read from storage when it was built before)', async () => {
    expect(await service.buildIndex({ datasetId: ds.id, split: 'val' })).toMatchObject({ images: 4, cached: false });
    expect(await service.buildIndex({ datasetId: ds.id, split: 'all' })).toMatchObject({ images: 12, cached: true });
  });

  it('exports the run as a model file of the same checkpoint', async () => {
    const runId = (
      await service.load({
        runId: (await service.importFile({ bytes: bytes.slice().buffer, fileName: 'x', backend: 'auto' })).runId,
        backend: 'auto',
      })
    ).runId;
    const out = await service.exportFile({ runId });
    expect(out.fileName).toMatch(/^tiny-synthetic-12-step2\.clip\.safetensors$/);
    expect(out.bytes.byteLength).toBeGreaterThan(0);
    await deleteRun(runId);
  });

  it('loads the best checkpoint by default and says which; the last on request; exports what it loaded', async () => {
    // The trainer's checkpoint carries the calibration of its latest evaluation.
    expect(trained.calibration).toMatchObject({
      method: 'stacked',
      step: trained.step,
      wz: expect.any(Number),
      wc: expect.any(Number),
      b: expect.any(Number),
    });
    expect(decodeModelFile(bytes).calibration).toEqual(trained.calibration);
    const run = await createRun({ dataset: ds, config, backend: 'cpu' });
    const best: Checkpoint = { ...trained, step: 2, calibration: { method: 'stacked', wz: 2, wc: 3, b: -1, step: 2, eceCalibrated: 0.02 } };
    const last: Checkpoint = { ...trained, step: 7, calibration: undefined };
    await saveCheckpoint(run.id, best, { best: { step: 2, metric: 'meanR5', metricLabel: 'mean R@5', value: 0.4375 } });
    await saveCheckpoint(run.id, last);
    const s = new ModelService(cpu);
    try {
      const loaded = await s.load({ runId: run.id, backend: 'auto' });
      expect(loaded).toMatchObject({ which: 'best', step: 2, hasBest: true, calibrated: true, calibration: 'stacked' });
      expect(loaded.choice).toBe('Loaded the best checkpoint — best: step 2, mean R@5 0.438; last: step 7');
      expect(decodeModelFile((await s.exportFile({ runId: run.id })).bytes).step).toBe(2);

      // Calibrated P(match) = sigmoid(wz · logit + wc · cosine + b) of the raw logit and the cosine; an empty caption is refused.
      const image = { kind: 'dataset' as const, datasetId: ds.id, index: 3 };
      const rows = await s.score({ image, captions: ['a red dog', 'a blue cat'] });
      for (const r of rows) {
        const logit = Math.log(r.rawProbability! / (1 - r.rawProbability!));
        expect(r).toMatchObject({ calibrated: true, calibration: 'stacked' });
        expect(r.probability!).toBeCloseTo(sigmoid(2 * logit + 3 * r.cosine - 1), 5);
      }
      await expect(s.score({ image, captions: ['a red dog', '  ?! '] })).rejects.toMatchObject({
        name: 'CaptionTextError',
        code: 'empty-caption',
        message: /caption 2: expected at least one word/,
      });
      await expect(s.searchText({ datasetId: ds.id, split: 'all', query: ' ', k: 1 })).rejects.toMatchObject({ code: 'empty-caption' });

      const lastLoaded = await s.load({ runId: run.id, backend: 'auto', which: 'last' });
      expect(lastLoaded).toMatchObject({ which: 'last', step: 7, calibrated: false, calibration: null });
      expect(lastLoaded.choice).toMatch(/^Loaded the last checkpoint — best: step 2/);
      const [row] = await s.score({ image, captions: ['a red dog'] });
      expect(row).toMatchObject({ calibrated: false, calibration: null });
      expect(row.probability).toBe(row.rawProbability); // uncalibrated: sigmoid(logit) itself
      expect(decodeModelFile((await s.exportFile({ runId: run.id })).bytes).step).toBe(7);
    } finally {
      s.dispose();
      await deleteRun(run.id);
    }
  });

  it.each([
    [
      'stacked',
      { method: 'stacked' as const, wz: -0.5, wc: 4, b: 0.25 },
      'stacked',
      (z: number, c: number) => sigmoid(-0.5 * z + 4 * c + 0.25),
    ],
    [
      'platt (files made before the stacked one)',
      { method: 'platt' as const, a: 1.5, b: -2 },
      'platt',
      (z: number) => sigmoid(1.5 * z - 2),
    ],
    ['a non-finite one: uncalibrated', { method: 'stacked' as const, wz: NaN, wc: 1, b: 0 }, null, (z: number) => sigmoid(z)],
  ])('a session scores with its checkpoint’s calibration: %s', async (_what, weights, method, expected) => {
    const session = await ModelSession.fromCheckpoint({ ...trained, calibration: { ...weights, step: 1, eceCalibrated: 0.05 } }, 'im2col');
    try {
      const pixels = Uint8Array.from({ length: 16 * 16 * 3 }, (_, k) => (k * 37) % 256);
      for (const r of await session.score(pixels, 16, ['a red dog', 'a blue cat'])) {
        const logit = Math.log(r.rawProbability! / (1 - r.rawProbability!));
        expect(r.probability!).toBeCloseTo(expected(logit, r.cosine), 5);
        expect(r).toMatchObject({ calibration: method, calibrated: method !== null });
      }
    } finally {
      session.dispose();
    }
  });
});
