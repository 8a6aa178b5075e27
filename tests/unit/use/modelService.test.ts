// ModelService without a worker: import a model file (stored as a run), load it with the
// backend's convolution choice, and search a stored dataset: the index is built once with
// progress, then kept in memory (no storage read per search), rebuilt for another split.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { withOverrides } from '../../../src/config';
import { encodeModelFile } from '../../../src/io/modelFile';
import { deleteDataset, type DatasetMeta } from '../../../src/storage/datasets';
import { deleteRun, getRun } from '../../../src/storage/runs';
import { runTraining } from '../../../src/train/trainer';
import { ModelService } from '../../../src/use/modelService';
import { ModelSession } from '../../../src/use/modelSession';
import type { BackendInfo } from '../../../src/use/backend';
import { syntheticSet } from '../train/fixtures';
import { storeSyntheticSet } from '../workers/storedSet';

const config = withOverrides('tiny', { imageSize: 16, convChannels: [4, 8], embedDim: 16, textWidth: 16, matchHidden: 16, batchSize: 4, epochs: 1 });
const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });

let ds: DatasetMeta;
let bytes: Uint8Array;
const service = new ModelService(cpu);

beforeAll(async () => {
  ds = await storeSyntheticSet({ images: 12, val: 4, size: 16 });
  bytes = encodeModelFile(await runTraining(syntheticSet({ images: 12, val: 4, size: 16 }), config, { callbacks: {} }));
});
afterAll(async () => {
  service.dispose();
  await deleteDataset(ds.id);
});

describe('ModelService', () => {
  it('refuses to search with no model loaded', async () => {
    await expect(new ModelService(cpu).searchText({ datasetId: ds.id, split: 'all', query: 'x', k: 1 })).rejects.toMatchObject({ name: 'UseError', code: 'no-model' });
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

    const captions = await service.searchImage({ datasetId: ds.id, split: 'all', image: { kind: 'dataset', datasetId: ds.id, index: 5 }, k: 2 });
    expect(captions).toHaveLength(2);
  });

  it('another split is another index (read from storage when it was built before)', async () => {
    expect(await service.buildIndex({ datasetId: ds.id, split: 'val' })).toMatchObject({ images: 4, cached: false });
    expect(await service.buildIndex({ datasetId: ds.id, split: 'all' })).toMatchObject({ images: 12, cached: true });
  });

  it('exports the run as a model file of the same checkpoint', async () => {
    const runId = (await service.load({ runId: (await service.importFile({ bytes: bytes.slice().buffer, fileName: 'x', backend: 'auto' })).runId, backend: 'auto' })).runId;
    const out = await service.exportFile({ runId });
    expect(out.fileName).toMatch(/^tiny-synthetic-12-step2\.clip\.safetensors$/);
    expect(out.bytes.byteLength).toBeGreaterThan(0);
    await deleteRun(runId);
  });
});
