// The feature pass without a worker: a tiny generated layers backbone stored by SHA-256 runs over
// a stored dataset; features equal extractFeatures on the stored pixels (plain and flipped);
// progress reaches the total; a cancelled pass resumes without recomputing its stored chunks; a
// backbone whose files are not stored, or that differs from the identity asked for, is refused.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, loadBackbone, type Backbone } from '../../../src/model/backbone';
import { deleteBackbone, putBackbone } from '../../../src/storage/backbones';
import { deleteDataset, getPixels, type DatasetMeta } from '../../../src/storage/datasets';
import { loadFeatures, storedFeatureChunks } from '../../../src/storage/features';
import type { BackendInfo } from '../../../src/use/backend';
import { FEATURE_CHUNK, FeatureJob, type FeatureEvent } from '../../../src/workers/featureJob';
import { tinyModelFiles } from '../../fixtures/tinyBackbone';
import { storeSyntheticSet } from './storedSet';

const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });
const IMAGES = FEATURE_CHUNK + 6; // two chunks

let ds: DatasetMeta;
let backbone: Backbone;
beforeAll(async () => {
  ds = await storeSyntheticSet({ images: IMAGES, val: 6, size: 16 });
  const { files } = await tinyModelFiles([8, 8, 3], 64); // stored pixels are 16 px: the pass resizes them to 8
  backbone = await loadBackbone(files, { name: 'tiny', outputNode: 'pool' }); // F = 64 is below the automatic pick's minimum
  await putBackbone(backbone.identity, files);
});
afterAll(async () => {
  backbone.dispose();
  await deleteBackbone(backbone.identity.sha256);
  await deleteDataset(ds.id);
});

const request = () => ({
  datasetId: ds.id,
  backbone: backbone.identity,
  views: ['plain', 'flip'] as ('plain' | 'flip')[],
  backend: 'cpu' as const,
});

describe('FeatureJob', () => {
  it('stores features equal to extractFeatures, both views, with progress to the total and no leak', async () => {
    const events: FeatureEvent[] = [];
    const before = tf.memory().numTensors;
    const result = await new FeatureJob(cpu).run(request(), (e) => events.push(e));
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ images: IMAGES, computed: 2 * IMAGES, cancelled: false });
    const last = events.filter((e) => e.type === 'progress').pop() as Extract<FeatureEvent, { type: 'progress' }>;
    expect(last.progress).toMatchObject({ done: 2 * IMAGES, total: 2 * IMAGES, etaSeconds: 0 });
    const S = ds.imageSize;
    const ids = [0, FEATURE_CHUNK + 5];
    const px = await getPixels(ds.id, ids);
    const x = tf.tensor4d(Int32Array.from(px.flatMap((p) => [...p])), [2, S, S, 3], 'int32');
    for (const view of ['plain', 'flip'] as const) {
      const want = extractFeatures(backbone, x, { flip: view === 'flip' });
      const rows = await loadFeatures({ datasetId: ds.id, backbone: backbone.identity, view }, IMAGES);
      const F = backbone.identity.featureSize;
      const got = ids.flatMap((i) => [...rows.subarray(i * F, (i + 1) * F)]);
      const w = [...want.dataSync()];
      expect(Math.max(...got.map((g, k) => Math.abs(g - w[k])))).toBeLessThan(1e-5);
      want.dispose();
    }
    x.dispose();
    // Everything is stored: a second run computes nothing and does not even load the backbone.
    const again: FeatureEvent[] = [];
    expect(await new FeatureJob(cpu).run(request(), (e) => again.push(e))).toMatchObject({ computed: 0, cancelled: false });
    expect(again.map((e) => e.type)).toEqual(['progress']);
  });

  it('resumes a cancelled pass without recomputing the chunks it stored', async () => {
    const other = await storeSyntheticSet({ images: IMAGES, val: 6, size: 16 });
    const job = new FeatureJob(cpu);
    const first = await job.run(request2(other.id), (e) => {
      if (e.type === 'progress' && e.progress.computed > 0) job.cancel(); // after the first chunk
    });
    expect(first).toMatchObject({ computed: FEATURE_CHUNK, cancelled: true });
    const src = { datasetId: other.id, backbone: backbone.identity, view: 'plain' as const };
    expect(await storedFeatureChunks(src)).toEqual([0]);
    const events: FeatureEvent[] = [];
    const second = await new FeatureJob(cpu).run(request2(other.id), (e) => events.push(e));
    expect(second).toMatchObject({ computed: 6 + IMAGES, cancelled: false }); // plain's last chunk, all of flip
    const firstProgress = events.find((e) => e.type === 'progress') as Extract<FeatureEvent, { type: 'progress' }>;
    expect(firstProgress.progress.done).toBe(FEATURE_CHUNK);
    await deleteDataset(other.id);
    expect(await storedFeatureChunks(src)).toEqual([]);
  });

  it.each([
    ['files not stored', { sha256: 'f'.repeat(64) }, /No backbone with SHA-256 ffffffffffff… is stored/],
    ['another feature size', { featureSize: 99 }, /expected sha256 .* with 99 features, found .* with 64/],
  ])('refuses a backbone whose %s', async (_, change, message) => {
    const req = { ...request(), datasetId: (await storeSyntheticSet({ images: 4, val: 1, size: 16 })).id };
    await expect(new FeatureJob(cpu).run({ ...req, backbone: { ...backbone.identity, ...change } }, () => {})).rejects.toThrow(message);
    await deleteDataset(req.datasetId);
  });
});

function request2(datasetId: string) {
  return { ...request(), datasetId };
}
