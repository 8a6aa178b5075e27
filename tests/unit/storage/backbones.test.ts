// Backbone file sets and cached features on fake-indexeddb: store / list / get / delete by
// SHA-256; feature chunks written one at a time (originals' and copies' apart; format-1 chunks deleted), listed for resuming, read back as rows, refused
// when a chunk is missing, counted by bytes, and deleted with their dataset or backbone.
import { describe, expect, it } from 'vitest';
import type { BackboneIdentity } from '../../../src/model/backbone';
import { backboneBytes, deleteBackbone, findBackbone, getBackboneFiles, listBackbones, putBackbone } from '../../../src/storage/backbones';
import { createDataset, deleteDataset } from '../../../src/storage/datasets';
import { StorageError } from '../../../src/storage/errors';
import { setMany } from 'idb-keyval';
import { cacheStore } from '../../../src/storage/db';
import {
  deleteFeatures,
  deleteStaleFeatures,
  featureBytes,
  loadFeatures,
  putFeatureChunk,
  storedFeatureChunks,
  type FeatureSource,
} from '../../../src/storage/features';

const identity = (sha: string): BackboneIdentity => ({
  name: `net ${sha}`,
  kind: 'layers',
  sha256: sha.repeat(64),
  inputSize: 32,
  range: '0,1',
  outputNode: 'pool',
  featureSize: 3,
});
const files = [
  { name: 'model.json', bytes: new TextEncoder().encode('{}') },
  { name: 'group1-shard1of1.bin', bytes: new Uint8Array(10).fill(7) },
];
const rows = (count: number, start: number) => Float32Array.from({ length: count * 3 }, (_, i) => start * 3 + i);

describe('backbone file sets', () => {
  it('stores, lists, reads back and deletes by sha256', async () => {
    const a = identity('a');
    await putBackbone(a, files);
    await putBackbone(identity('b'), files.slice(0, 1));
    expect((await listBackbones()).map((b) => b.sha256).sort()).toEqual([a.sha256, identity('b').sha256]);
    expect((await findBackbone(a.sha256))?.identity).toEqual(a);
    expect(await backboneBytes()).toBe(12 + 2);
    const back = await getBackboneFiles(a.sha256);
    expect(back.map((f) => [f.name, [...f.bytes]])).toEqual(files.map((f) => [f.name, [...f.bytes]]));
    await deleteBackbone(a.sha256);
    await deleteBackbone(identity('b').sha256);
    expect(await listBackbones()).toEqual([]);
    await expect(getBackboneFiles(a.sha256)).rejects.toThrow(/No backbone with SHA-256 aaaaaaaaaaaa… is stored/);
  });
});

describe('feature chunks', () => {
  const source = (datasetId: string, sha = 'c', view: FeatureSource['view'] = 'plain'): FeatureSource => ({
    datasetId,
    images: 'original',
    backbone: identity(sha),
    view,
  });

  it('reads chunks back as rows in image order, whatever order they were written in', async () => {
    const s = source('d1');
    await putFeatureChunk(s, 1, { start: 2, count: 2, rows: rows(2, 2) });
    expect(await storedFeatureChunks(s)).toEqual([1]);
    await expect(loadFeatures(s, 4)).rejects.toThrow(/expected all 4 images, found none for image #0/);
    await putFeatureChunk(s, 0, { start: 0, count: 2, rows: rows(2, 0) });
    expect(await storedFeatureChunks(s)).toEqual([0, 1]);
    expect([...(await loadFeatures(s, 4))]).toEqual([...rows(4, 0)]);
    expect(await storedFeatureChunks(source('d1', 'c', 'flip'))).toEqual([]); // views are apart
    expect(await featureBytes('d1')).toBe(4 * 3 * 4);
    await deleteFeatures({ datasetId: 'd1' });
  });

  it.each<[string, Partial<FeatureSource['backbone']>]>([
    ['another output node', { outputNode: 'other' }],
    ['another input size', { inputSize: 64 }],
    ['another range', { range: '-1,1' }],
  ])('keeps the features of %s apart', async (_, change) => {
    const s = source('d2');
    await putFeatureChunk(s, 0, { start: 0, count: 1, rows: rows(1, 0) });
    expect(await storedFeatureChunks({ ...s, backbone: { ...s.backbone, ...change } })).toEqual([]);
    await deleteFeatures({ datasetId: 'd2' });
  });

  it('keeps features of the originals apart from those of the 128-px copies', async () => {
    const s = source('d4');
    await putFeatureChunk(s, 0, { start: 0, count: 1, rows: rows(1, 0) });
    const copies: FeatureSource = { ...s, images: 'copy' };
    expect(await storedFeatureChunks(copies)).toEqual([]);
    await expect(loadFeatures(copies, 1)).rejects.toThrow(/found none for image #0/);
    await deleteFeatures({ datasetId: 'd4' });
  });

  it('deletes format-1 chunks (no pixel source in the key) of a dataset, and nothing else', async () => {
    const s = source('d5');
    await putFeatureChunk(s, 0, { start: 0, count: 1, rows: rows(1, 0) });
    await putFeatureChunk({ ...s, images: 'copy' }, 0, { start: 0, count: 1, rows: rows(1, 0) });
    await putFeatureChunk(source('d6'), 0, { start: 0, count: 1, rows: rows(1, 0) });
    // What version 1 wrote: feat:<dataset>:<sha256>:<view>:<input size>/<range>/<node>#<chunk>
    const old = `feat:d5:${s.backbone.sha256}:plain:${s.backbone.inputSize}/${s.backbone.range}/${s.backbone.outputNode}#000000`;
    await setMany(
      [
        [old, { version: 1, featureSize: 3, start: 0, count: 1, rows: rows(1, 0) }],
        [`size:${old}`, 12],
      ],
      cacheStore(),
    );
    expect(await featureBytes('d5')).toBe(3 * 12);
    expect(await deleteStaleFeatures('d5')).toBe(1);
    expect(await featureBytes('d5')).toBe(2 * 12);
    expect(await storedFeatureChunks(s)).toEqual([0]);
    expect(await deleteStaleFeatures('d6')).toBe(0);
    await deleteFeatures({ datasetId: 'd5' });
    await deleteFeatures({ datasetId: 'd6' });
  });

  it('refuses a chunk whose rows do not match its count', async () => {
    const err = await putFeatureChunk(source('d3'), 0, { start: 0, count: 2, rows: rows(1, 0) }).catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toMatch(/expected 2 x 3 values, found 3/);
  });

  it('deletes features with their dataset, and with their backbone only', async () => {
    const meta = await createDataset({ name: 'x', source: 'folder', imageSize: 2, expectedImages: 1 });
    await putFeatureChunk(source(meta.id, 'e'), 0, { start: 0, count: 1, rows: rows(1, 0) });
    await putFeatureChunk(source(meta.id, 'f'), 0, { start: 0, count: 1, rows: rows(1, 0) });
    await putFeatureChunk(source('other', 'f'), 0, { start: 0, count: 1, rows: rows(1, 0) });
    await putBackbone(identity('f'), files);
    await deleteBackbone(identity('f').sha256);
    expect(await storedFeatureChunks(source(meta.id, 'e'))).toEqual([0]);
    expect(await storedFeatureChunks(source(meta.id, 'f'))).toEqual([]);
    expect(await storedFeatureChunks(source('other', 'f'))).toEqual([]);
    await deleteDataset(meta.id);
    expect(await storedFeatureChunks(source(meta.id, 'e'))).toEqual([]);
    expect(await featureBytes()).toBe(0);
  });
});
