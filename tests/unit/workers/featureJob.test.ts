// The feature pass without a worker: a tiny generated layers backbone stored by SHA-256 runs over
// a stored dataset; features equal extractFeatures on the pixels the pass must feed it (each
// original decoded at the backbone's input size when the dataset keeps originals, falling back to
// the copy for one that does not decode; else the stored copies resized), plain and flipped, under
// a key naming that source; format-1 chunks are deleted; progress reaches the total; a cancelled
// pass resumes without recomputing its stored chunks; a backbone whose files are not stored, or
// that differs from the identity asked for, is refused.
import * as tf from '@tensorflow/tfjs';
import { setMany } from 'idb-keyval';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../../cli/image';
import { mulberry32 } from '../../../src/data/random';
import { centreCropResize } from '../../../src/data/rgb';
import { extractFeatures, loadBackbone, type Backbone } from '../../../src/model/backbone';
import { deleteBackbone, putBackbone } from '../../../src/storage/backbones';
import { deleteDataset, getPixels, type DatasetMeta } from '../../../src/storage/datasets';
import { cacheStore } from '../../../src/storage/db';
import { featureBytes, loadFeatures, storedFeatureChunks, type FeatureImages } from '../../../src/storage/features';
import type { ImageDecoder } from '../../../src/use/backboneImages';
import type { BackendInfo } from '../../../src/use/backend';
import { FEATURE_CHUNK, FeatureJob, type FeatureEvent } from '../../../src/workers/featureJob';
import { tinyModelFiles } from '../../fixtures/tinyBackbone';
import { storeSyntheticSet } from './storedSet';

const cpu = async (): Promise<BackendInfo> => ({ name: 'cpu', reason: 'test', adapter: null, fallbackAdapter: null, convImpl: 'im2col' });
const IMAGES = FEATURE_CHUNK + 6; // two chunks
/** Node's decoder for the originals (jpeg-js / pngjs + data/rgb.ts), standing in for the browser's canvas. */
const nodeDecoder: ImageDecoder = async (file, name, side) =>
  decodeImageFile(new Uint8Array(await file.arrayBuffer()), `${name}.png`, side).pixels;

/** A seeded 40x24 RGB photo stand-in as a PNG file (not square: the decode crops its centre). */
function pngOriginal(i: number): Blob {
  const [w, h] = [40, 24];
  const random = mulberry32(1000 + i);
  const rgba = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) rgba.set([random() * 256, random() * 256, random() * 256, 255], p * 4);
  return new Blob([new Uint8Array(pngjs.PNG.sync.write({ width: w, height: h, data: rgba } as pngjs.PNG))], { type: 'image/png' });
}

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
  /** Features the pass must store for images `ids`: extractFeatures on `pixels` [ids.length, side, side, 3]. */
  async function expectFeatures(datasetId: string, images: FeatureImages, ids: number[], pixels: Uint8Array) {
    const S = backbone.identity.inputSize;
    const x = tf.tensor4d(Int32Array.from(pixels), [ids.length, S, S, 3], 'int32');
    for (const view of ['plain', 'flip'] as const) {
      const want = extractFeatures(backbone, x, { flip: view === 'flip' });
      const rows = await loadFeatures({ datasetId, images, backbone: backbone.identity, view }, IMAGES);
      const F = backbone.identity.featureSize;
      const got = ids.flatMap((i) => [...rows.subarray(i * F, (i + 1) * F)]);
      const w = [...want.dataSync()];
      expect(Math.max(...got.map((g, k) => Math.abs(g - w[k])))).toBeLessThan(1e-5);
      want.dispose();
    }
    x.dispose();
  }

  it('without originals: features of the stored copies resized, both views, progress to the total, no leak', async () => {
    const events: FeatureEvent[] = [];
    const before = tf.memory().numTensors;
    const result = await new FeatureJob(cpu).run(request(), (e) => events.push(e));
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ images: IMAGES, computed: 2 * IMAGES, cancelled: false, source: 'copy', fromCopies: IMAGES });
    const last = events.filter((e) => e.type === 'progress').pop() as Extract<FeatureEvent, { type: 'progress' }>;
    expect(last.progress).toMatchObject({ done: 2 * IMAGES, total: 2 * IMAGES, etaSeconds: 0 });
    expect(events.some((e) => e.type === 'phase' && /from their 128-px copies \(originals not stored\)/.test(e.detail))).toBe(true);
    const S = ds.imageSize;
    const ids = [0, FEATURE_CHUNK + 5];
    const px = await getPixels(ds.id, ids);
    const resized = px.flatMap((p) => [...centreCropResize({ width: S, height: S, data: p }, backbone.identity.inputSize)]);
    await expectFeatures(ds.id, 'copy', ids, Uint8Array.from(resized));
    expect(await storedFeatureChunks({ datasetId: ds.id, images: 'original', backbone: backbone.identity, view: 'plain' })).toEqual([]);
    // Everything is stored: a second run computes nothing and does not even load the backbone.
    const again: FeatureEvent[] = [];
    expect(await new FeatureJob(cpu).run(request(), (e) => again.push(e))).toMatchObject({ computed: 0, cancelled: false });
    expect(again.map((e) => e.type)).toEqual(['progress']);
  });

  it('with originals: each decoded at the input size (an undecodable one from its copy), under its own key; format-1 chunks go', async () => {
    const broken = 3;
    const withOriginals = await storeSyntheticSet({ images: IMAGES, val: 6, size: 16 }, (i) =>
      i === broken ? new Blob([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 1, 2, 3)], { type: 'image/png' }) : pngOriginal(i),
    );
    const b = backbone.identity;
    const old = `feat:${withOriginals.id}:${b.sha256}:plain:${b.inputSize}/${b.range}/${b.outputNode}#000000`; // format 1's key
    await setMany(
      [
        [old, { version: 1, featureSize: b.featureSize, start: 0, count: 1, rows: new Float32Array(b.featureSize) }],
        [`size:${old}`, 4 * b.featureSize],
      ],
      cacheStore(),
    );
    const result = await new FeatureJob(cpu, nodeDecoder).run(request2(withOriginals.id), () => {});
    expect(result).toMatchObject({ computed: 2 * IMAGES, cancelled: false, source: 'original', fromCopies: 1 });
    expect(await featureBytes(withOriginals.id)).toBe(2 * IMAGES * 4 * b.featureSize); // the format-1 chunk is gone
    const ids = [0, broken, FEATURE_CHUNK + 5];
    const [copy] = await getPixels(withOriginals.id, [broken]);
    const S = b.inputSize;
    const want = new Uint8Array(ids.length * S * S * 3);
    want.set(await nodeDecoder(pngOriginal(0), 'a', S), 0);
    want.set(centreCropResize({ width: 16, height: 16, data: copy }, S), S * S * 3);
    want.set(await nodeDecoder(pngOriginal(FEATURE_CHUNK + 5), 'b', S), 2 * S * S * 3);
    await expectFeatures(withOriginals.id, 'original', ids, want);
    expect(await storedFeatureChunks({ datasetId: withOriginals.id, images: 'copy', backbone: b, view: 'plain' })).toEqual([]);
    await deleteDataset(withOriginals.id);
  });

  it('resumes a cancelled pass without recomputing the chunks it stored', async () => {
    const other = await storeSyntheticSet({ images: IMAGES, val: 6, size: 16 });
    const job = new FeatureJob(cpu);
    const first = await job.run(request2(other.id), (e) => {
      if (e.type === 'progress' && e.progress.computed > 0) job.cancel(); // after the first chunk
    });
    expect(first).toMatchObject({ computed: FEATURE_CHUNK, cancelled: true });
    const src = { datasetId: other.id, images: 'copy' as const, backbone: backbone.identity, view: 'plain' as const };
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
