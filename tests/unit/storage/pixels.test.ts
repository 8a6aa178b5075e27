// The two pixel layouts on fake-indexeddb: format 3 stores a batch's copies in one record and every
// reader (getPixels, thumbnails, the training set, resume, delete) finds images across batches;
// a format-2 dataset written record by record as the previous version wrote it reads the same; a
// partial format-2 import resumed keeps its layout; wrong sizes fail saying expected vs found.
import { keys, set, setMany } from 'idb-keyval';
import { afterEach, describe, expect, it } from 'vitest';
import { rgbToBmp } from '../../../src/data/bmp';
import type { Split } from '../../../src/data/types';
import {
  appendImages,
  completeDataset,
  countRecords,
  createDataset,
  deleteDataset,
  getDataset,
  getImageRecords,
  getPixels,
  loadTrainingSet,
  storedNames,
  type DatasetMeta,
  type IngestReport,
  type NewImage,
} from '../../../src/storage/datasets';
import { datasetStore } from '../../../src/storage/db';

const SIZE = 2;
const PER = SIZE * SIZE * 3;

/** Image i's pixels: byte k is (i * 16 + k) % 256, so each image and each byte differ. */
const pixelsOf = (i: number) => Uint8Array.from({ length: PER }, (_, k) => (i * 16 + k) % 256);

function image(i: number, split: Split = 'train'): NewImage {
  return { name: `img${i}.jpg`, split, captions: [`caption ${i}`], width: 10, height: 10, pixels: pixelsOf(i) };
}
const images = (from: number, n: number) => Array.from({ length: n }, (_, k) => image(from + k));
const REPORT = { images: 0 } as IngestReport;

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await deleteDataset(id);
});
async function newDataset(expectedImages = 10): Promise<DatasetMeta> {
  const meta = await createDataset({ name: 'px', source: 'folder', imageSize: SIZE, expectedImages });
  created.push(meta.id);
  return meta;
}
const keysOf = async (id: string) => (await keys(datasetStore())).map(String).filter((k) => k.includes(id));

/** Stores batches of the given sizes in format 3 and completes the dataset. */
async function batchesOf(sizes: number[]): Promise<DatasetMeta> {
  let meta = await newDataset(sizes.reduce((a, b) => a + b, 0));
  let next = 0;
  for (const n of sizes) {
    meta = await appendImages(meta, images(next, n));
    next += n;
  }
  return completeDataset(meta, REPORT);
}

/**
 * A dataset as format 2 stored it (meta version 2; img:, px:, batch:, index: records), written
 * record by record, without this version's code.
 */
async function format2Dataset(sizes: number[]): Promise<DatasetMeta> {
  const meta = { ...(await newDataset()), version: 2, status: 'complete' as const, batches: sizes.length, report: REPORT };
  const entries: [string, unknown][] = [];
  let start = 0;
  sizes.forEach((n, b) => {
    const imgs = images(start, n);
    imgs.forEach(({ pixels, ...record }, k) => {
      entries.push([`img:${meta.id}:${start + k}`, record], [`px:${meta.id}:${start + k}`, pixels]);
    });
    entries.push([
      `batch:${meta.id}:${b}`,
      { start, names: imgs.map((i) => i.name), splits: imgs.map((i) => i.split), captions: imgs.map((i) => i.captions) },
    ]);
    start += n;
  });
  const all = images(0, start);
  entries.push([
    `index:${meta.id}`,
    { names: all.map((i) => i.name), splits: all.map((i) => i.split), captions: all.map((i) => i.captions) },
  ]);
  const done = { ...meta, storedImages: start };
  entries.push([`meta:${meta.id}`, done]);
  await setMany(entries, datasetStore());
  return done;
}

describe('format 3: one pixel record per batch', () => {
  it('stores one pxb record per batch, none per image, keyed by the first image', async () => {
    const meta = await batchesOf([3, 1, 4]);
    expect(meta.version).toBe(3);
    const pxKeys = (await keysOf(meta.id)).filter((k) => k.startsWith('px'));
    expect(pxKeys.sort()).toEqual([`pxb:${meta.id}:000000000`, `pxb:${meta.id}:000000003`, `pxb:${meta.id}:000000004`]);
    expect(await countRecords(meta.id)).toBe(1 + 1 + 8 + 3 + 3); // meta, index, images, pixel batches, name lists
  });

  it.each([
    { sizes: [3, 1, 4], ask: [7, 0, 3, 3, 4, 2] },
    { sizes: [1], ask: [0] },
    { sizes: [48, 48, 5], ask: [100, 47, 48, 0, 95, 96] },
  ])('getPixels finds images across batches $sizes in any order, repeats included: $ask', async ({ sizes, ask }) => {
    const meta = await batchesOf(sizes);
    for (const round of [1, 2]) {
      // round 2 reads through the cached layout of the complete dataset
      const got = await getPixels(meta.id, ask);
      expect(
        got.map((p) => [...p]),
        `round ${round}`,
      ).toEqual(ask.map((i) => [...pixelsOf(i)]));
    }
  });

  it('each image read is its own copy', async () => {
    const meta = await batchesOf([3]);
    const [a, b] = await getPixels(meta.id, [0, 1]);
    expect(a.buffer).not.toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(PER);
    a.fill(0);
    expect([...(await getPixels(meta.id, [0]))[0]]).toEqual([...pixelsOf(0)]);
  });

  it('an image past the end, or of an incomplete dataset past what is stored, is a read-failed error naming it', async () => {
    const done = await batchesOf([3]);
    await expect(getPixels(done.id, [1, 3])).rejects.toMatchObject({
      code: 'read-failed',
      message: /Pixels of image #3 of dataset .* are missing/,
    });
    let partial = await newDataset();
    partial = await appendImages(partial, images(0, 2));
    await expect(getPixels(partial.id, [2])).rejects.toMatchObject({ code: 'read-failed', message: /image #2/ });
    partial = await appendImages(partial, images(2, 2)); // not cached while incomplete: the new batch is found
    expect([...(await getPixels(partial.id, [3]))[0]]).toEqual([...pixelsOf(3)]);
  });

  it('thumbnails of images without one are BMPs of their stored copy', async () => {
    const meta = await batchesOf([2, 2]);
    const recs = await getImageRecords(meta.id, [3, 0]);
    for (const [k, i] of [3, 0].entries()) {
      expect(recs[k]!.thumb.type).toBe('image/bmp');
      expect([...new Uint8Array(await recs[k]!.thumb.arrayBuffer())]).toEqual([...rgbToBmp(pixelsOf(i), SIZE, SIZE)]);
    }
  });

  it('loadTrainingSet reads every batch in order into one array', async () => {
    const sizes = [48, 48, 48, 48, 48, 48, 48, 48, 48, 7]; // more batches than one read takes
    const meta = await batchesOf(sizes);
    const setOf = await loadTrainingSet(meta.id);
    const n = sizes.reduce((a, b) => a + b, 0);
    expect(setOf.pixels.length).toBe(n * PER);
    for (const i of [0, 47, 48, 200, n - 1])
      expect([...setOf.pixels.subarray(i * PER, (i + 1) * PER)], `image ${i}`).toEqual([...pixelsOf(i)]);
    expect(setOf.imageNames[n - 1]).toBe(`img${n - 1}.jpg`);
  });

  it('a batch record of the wrong length is a read-failed error saying expected vs found', async () => {
    const meta = await newDataset();
    const stored = await completeDataset(await appendImages(meta, images(0, 3)), REPORT);
    await set(`pxb:${meta.id}:000000000`, new Uint8Array(2 * PER), datasetStore());
    await expect(loadTrainingSet(stored.id)).rejects.toMatchObject({
      code: 'read-failed',
      message: new RegExp(`expected 3 images \\(${3 * PER} bytes\\), found ${2 * PER} bytes`),
    });
  });

  it('pixels of the wrong size are refused before anything of the batch is stored', async () => {
    const meta = await appendImages(await newDataset(), images(0, 2));
    const bad = { ...image(3), pixels: new Uint8Array(PER + 1) };
    await expect(appendImages(meta, [image(2), bad])).rejects.toMatchObject({
      code: 'write-failed',
      message: new RegExp(`Image #3 has ${PER + 1} bytes of pixels; expected ${PER}`),
    });
    expect(await getDataset(meta.id)).toMatchObject({ storedImages: 2, batches: 1 });
    expect(await countRecords(meta.id)).toBe(1 + 2 + 1 + 1);
  });

  it('delete removes the batch records too', async () => {
    const meta = await batchesOf([2, 2]);
    await deleteDataset(meta.id);
    expect(await keysOf(meta.id)).toEqual([]);
    await expect(getPixels(meta.id, [0])).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('format 2 datasets (one pixel record per image) still read', () => {
  it('getPixels, thumbnails, training set, resume names, count and delete', async () => {
    const meta = await format2Dataset([3, 2]);
    expect([...(await getPixels(meta.id, [4, 0]))[0]]).toEqual([...pixelsOf(4)]);
    expect([...(await getPixels(meta.id, [4, 0]))[1]]).toEqual([...pixelsOf(0)]);
    const [rec] = await getImageRecords(meta.id, [2]);
    expect([...new Uint8Array(await rec!.thumb.arrayBuffer())]).toEqual([...rgbToBmp(pixelsOf(2), SIZE, SIZE)]);
    const setOf = await loadTrainingSet(meta.id);
    expect([...setOf.pixels]).toEqual(images(0, 5).flatMap((i) => [...i.pixels]));
    expect(await storedNames(meta)).toEqual(new Set(images(0, 5).map((i) => i.name)));
    expect(await countRecords(meta.id)).toBe(1 + 1 + 5 + 5 + 2);
    await deleteDataset(meta.id);
    expect(await keysOf(meta.id)).toEqual([]);
  });

  it('a partial format-2 import resumed keeps per-image pixel records and format 2', async () => {
    const old = { ...(await format2Dataset([2])), status: 'ingesting' as const, report: undefined };
    await set(`meta:${old.id}`, old, datasetStore());
    const resumed = await appendImages(await getDataset(old.id), images(2, 2));
    expect(resumed.version).toBe(2);
    const done = await completeDataset(resumed, REPORT);
    expect((await keysOf(done.id)).filter((k) => k.startsWith('pxb'))).toEqual([]);
    expect([...(await loadTrainingSet(done.id)).pixels]).toEqual(images(0, 4).flatMap((i) => [...i.pixels]));
  });
});
