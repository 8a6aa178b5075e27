// Format 3 keeps a batch's small (inline) originals in one record, on fake-indexeddb: the image
// records say where each file lies; getOriginals and getImageRecords return each file as a Blob of
// its own bytes and type, across batches, beside Blob originals and images without one; a resumed
// format-2 import keeps its originals inline; a missing batch record fails saying expected vs found.
import { get, keys, set } from 'idb-keyval';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appendImages,
  completeDataset,
  countRecords,
  createDataset,
  deleteDataset,
  getDataset,
  getImageRecords,
  getOriginals,
  storesOriginals,
  type DatasetMeta,
  type IngestReport,
  type NewImage,
} from '../../../src/storage/datasets';
import { datasetStore } from '../../../src/storage/db';

const SIZE = 2;

/** Image i's original: i % 4 == 3 a Blob (a large file), i % 4 == 2 none, else inline bytes of length 3 + i. */
function image(i: number): NewImage {
  const bytes = Uint8Array.from({ length: 3 + i }, (_, k) => (i * 7 + k) % 256);
  const type = i % 2 ? 'image/png' : 'image/jpeg';
  const original = i % 4 === 3 ? new Blob([bytes], { type }) : i % 4 === 2 ? undefined : { bytes, type };
  return { name: `img${i}.jpg`, split: 'train', captions: ['c'], width: 1, height: 1, original, pixels: new Uint8Array(SIZE * SIZE * 3) };
}
const expectedBytes = (i: number) => Array.from({ length: 3 + i }, (_, k) => (i * 7 + k) % 256);
const images = (from: number, n: number) => Array.from({ length: n }, (_, k) => image(from + k));

const created: string[] = [];
afterEach(async () => {
  for (const id of created.splice(0)) await deleteDataset(id);
});
async function stored(sizes: number[]): Promise<DatasetMeta> {
  let meta = await createDataset({ name: 'orig', source: 'folder', imageSize: SIZE, expectedImages: 20 });
  created.push(meta.id);
  let next = 0;
  for (const n of sizes) {
    meta = await appendImages(meta, images(next, n));
    next += n;
  }
  return completeDataset(meta, { images: next } as IngestReport);
}
const keysOf = async (id: string) =>
  (await keys(datasetStore()))
    .map(String)
    .filter((k) => k.includes(id))
    .sort();

async function check(blob: Blob | undefined, i: number) {
  if (i % 4 === 2) return expect(blob, `image ${i}`).toBeUndefined();
  expect(blob!.type, `image ${i}`).toBe(i % 2 ? 'image/png' : 'image/jpeg');
  expect([...new Uint8Array(await blob!.arrayBuffer())], `image ${i}`).toEqual(expectedBytes(i));
}

describe('format 3: one record of small originals per batch', () => {
  it('stores one orib record per batch with inline originals; image records say where their file lies', async () => {
    const meta = await stored([5, 2, 1]); // the last batch (image 7) has only a Blob original: no record
    expect((await keysOf(meta.id)).filter((k) => k.startsWith('orib'))).toEqual([`orib:${meta.id}:000000000`, `orib:${meta.id}:000000005`]);
    expect(await get(`img:${meta.id}:1`, datasetStore())).toMatchObject({
      original: { batch: 0, offset: 3, length: 4, type: 'image/png' },
    });
    expect(await get(`img:${meta.id}:5`, datasetStore())).toMatchObject({ original: { batch: 5, offset: 0, length: 8 } });
    expect(((await get(`img:${meta.id}:3`, datasetStore())) as { original: unknown }).original).toBeInstanceOf(Blob);
    expect(await countRecords(meta.id)).toBe(1 + 1 + 8 + 3 + 3 + 2); // meta, index, images, pixels, names, originals
    expect(await storesOriginals(meta.id)).toBe(true);
  });

  it.each([[[7, 0, 5, 3, 1, 2, 6, 4]], [[4]], [[6, 6, 0]]])('getOriginals %j: each file its own bytes and type', async (ask) => {
    const meta = await stored([5, 2, 1]);
    const got = await getOriginals(meta.id, ask);
    for (const [k, i] of ask.entries()) await check(got[k], i);
  });

  it('getImageRecords gives originals unless asked not to', async () => {
    const meta = await stored([3, 3]);
    const recs = await getImageRecords(meta.id, [4, 0, 5, 2]);
    for (const [k, i] of [4, 0, 5, 2].entries()) await check(recs[k]!.original, i);
    const thumbsOnly = await getImageRecords(meta.id, [4, 0], { originals: false });
    expect(thumbsOnly.map((r) => r && 'original' in r)).toEqual([false, false]);
    expect(thumbsOnly[0]!.thumb.type).toBe('image/bmp');
  });

  it('a missing batch of originals is a read-failed error saying expected vs found', async () => {
    const meta = await stored([3]);
    await set(`orib:${meta.id}:000000000`, new Uint8Array(5), datasetStore());
    await expect(getOriginals(meta.id, [1])).rejects.toMatchObject({
      code: 'read-failed',
      message: /batch at image #0 of dataset .*: expected at least 7 bytes, found 5/,
    });
  });

  it('delete removes the originals records too', async () => {
    const meta = await stored([3, 3]);
    await deleteDataset(meta.id);
    expect(await keysOf(meta.id)).toEqual([]);
  });

  it('a partial format-2 import resumed keeps its small originals in their image records', async () => {
    const fresh = await createDataset({ name: 'old', source: 'folder', imageSize: SIZE, expectedImages: 4 });
    created.push(fresh.id);
    const old = { ...fresh, version: 2 };
    await set(`meta:${old.id}`, old, datasetStore());
    const next = await appendImages(await getDataset(old.id), images(0, 2));
    expect(next.version).toBe(2);
    expect((await keysOf(old.id)).filter((k) => k.startsWith('orib'))).toEqual([]);
    expect(await get(`img:${old.id}:0`, datasetStore())).toMatchObject({ original: { type: 'image/jpeg' } });
    const got = await getOriginals(old.id, [1, 0]);
    await check(got[0], 1);
    await check(got[1], 0);
  });
});
