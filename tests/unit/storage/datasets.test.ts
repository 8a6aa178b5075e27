// Dataset storage on fake-indexeddb: the create → append → complete life cycle and what the
// trainer reads back; atomic batches (an interrupted import holds whole batches only); quota
// errors become StorageError('quota') with earlier batches kept; delete frees every record.
import { keys, set } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Split } from '../../../src/data/types';
import {
  appendImages,
  completeDataset,
  countRecords,
  createDataset,
  DATASET_FORMAT_VERSION,
  deleteDataset,
  getDataset,
  getDatasetIndex,
  getImageRecords,
  getPixels,
  listDatasets,
  loadTrainingSet,
  renameDataset,
  storedNames,
  type DatasetMeta,
  type IngestReport,
  type NewImage,
} from '../../../src/storage/datasets';
import { datasetStore } from '../../../src/storage/db';
import { StorageError } from '../../../src/storage/errors';

const SIZE = 2; // 2x2 RGB: 12 bytes of pixels per image

function image(i: number, split: Split = 'train'): NewImage {
  return {
    name: `img${i}.jpg`,
    split,
    captions: [`caption ${i} a`, `caption ${i} b`],
    width: 100 + i,
    height: 50,
    thumb: new Blob([Uint8Array.of(0xff, 0xd8, i)], { type: 'image/jpeg' }),
    pixels: new Uint8Array(SIZE * SIZE * 3).fill(i),
  };
}
const images = (from: number, n: number, split: Split = 'train') => Array.from({ length: n }, (_, k) => image(from + k, split));

const REPORT: IngestReport = {
  format: 'test',
  captionFile: 'captions.txt',
  captionFileReason: 'only one',
  otherCaptionFiles: [],
  images: 0,
  captions: 0,
  captionsPerImage: {},
  vocabularySize: 0,
  imagesWithoutCaptions: [],
  missingImages: [],
  missingImageCaptions: 0,
  missingImageNames: 0,
  corrupt: [],
  ignored: [],
  duplicates: [],
  parseIssues: [],
  parseIssueCount: 0,
  splitSource: 'seeded',
  splitCounts: { train: 0, val: 0, test: 0 },
  splitNotInLists: 0,
  seconds: 1,
  imagesPerSecond: 1,
};

const created: string[] = [];
async function newDataset(name = 'test set', expectedImages = 10): Promise<DatasetMeta> {
  const meta = await createDataset({ name, source: 'folder', imageSize: SIZE, expectedImages });
  created.push(meta.id);
  return meta;
}
/** What a page sees after a reload: the metadata as stored, not the objects in hand. */
const reread = async (id: string) => (await listDatasets()).find((d) => d.id === id);

afterEach(async () => {
  vi.restoreAllMocks();
  for (const id of created.splice(0)) await deleteDataset(id);
});

/**
 * Makes the `n`-th IDBObjectStore.put from now fail with QuotaExceededError. 'async' is what
 * browsers do (the request fails, the transaction aborts with the error); 'sync' throws from put.
 */
function failPut(n: number, how: 'async' | 'sync') {
  const realPut = IDBObjectStore.prototype.put;
  let calls = 0;
  return vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (++calls !== n) return realPut.call(this, value, key);
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    if (how === 'sync') throw quota;
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

describe('dataset life cycle', () => {
  it('create → append batches → complete → list, index, records, training set', async () => {
    let meta = await newDataset('flowers', 5);
    expect(meta).toMatchObject({ version: DATASET_FORMAT_VERSION, status: 'ingesting', storedImages: 0, batches: 0, expectedImages: 5 });
    meta = await appendImages(meta, [image(0, 'train'), image(1, 'val'), image(2, 'train')]);
    meta = await appendImages(meta, [image(3, 'test'), image(4, 'train')]);
    expect(meta).toMatchObject({ storedImages: 5, batches: 2 });
    expect(meta.bytes).toBeGreaterThan(5 * 12);
    meta = await completeDataset(meta, { ...REPORT, images: 5 });

    const listed = await reread(meta.id);
    expect(listed).toMatchObject({ name: 'flowers', status: 'complete', storedImages: 5, batches: 2, report: { images: 5 } });

    const index = await getDatasetIndex(meta.id);
    expect(index.names).toEqual(['img0.jpg', 'img1.jpg', 'img2.jpg', 'img3.jpg', 'img4.jpg']);
    expect(index.splits).toEqual(['train', 'val', 'train', 'test', 'train']);
    expect(index.captions[3]).toEqual(['caption 3 a', 'caption 3 b']);

    const [rec] = await getImageRecords(meta.id, [4]);
    expect(rec).toMatchObject({ name: 'img4.jpg', width: 104, height: 50 });
    expect(rec).not.toHaveProperty('pixels'); // pixels live in their own records
    expect(rec!.thumb).toBeInstanceOf(Blob);
    expect([...new Uint8Array(await rec!.thumb.arrayBuffer())]).toEqual([0xff, 0xd8, 4]);
    expect([...(await getPixels(meta.id, [2]))[0]]).toEqual(new Array(12).fill(2));

    const set = await loadTrainingSet(meta.id);
    expect(set.imageSize).toBe(SIZE);
    expect(set.imageNames).toEqual(index.names);
    expect([...set.imageSplit]).toEqual([0, 1, 0, 2, 0]);
    expect(set.pixels.length).toBe(5 * 12);
    expect([...set.pixels.subarray(3 * 12, 4 * 12)]).toEqual(new Array(12).fill(3));
    expect(set.captions).toHaveLength(10);
    expect(set.captions[7]).toEqual({ image: 3, text: 'caption 3 b' });
  });

  it.each([
    ['Blobs (format 1 records)', (b: Uint8Array<ArrayBuffer>, type: string) => new Blob([b], { type })],
    ['InlineFile bytes (format 2)', (b: Uint8Array<ArrayBuffer>, type: string) => ({ bytes: b, type })],
  ])('thumbnail and original stored as %s read back as Blobs with their bytes and type', async (_, file) => {
    let meta = await newDataset('files', 1);
    const original = Uint8Array.of(0x42, 0x4d, 7, 7, 7);
    meta = await appendImages(meta, [
      { ...image(0), thumb: file(Uint8Array.of(0xff, 0xd8, 9), 'image/jpeg'), original: file(original, 'image/bmp') },
    ]);
    expect(meta.bytes).toBeGreaterThan(12 + 3 + 5);
    const [rec] = await getImageRecords(meta.id, [0]);
    expect(rec!.thumb).toBeInstanceOf(Blob);
    expect(rec!.original).toBeInstanceOf(Blob);
    expect(rec!.original!.type).toBe('image/bmp');
    expect([...new Uint8Array(await rec!.thumb.arrayBuffer())]).toEqual([0xff, 0xd8, 9]);
    expect([...new Uint8Array(await rec!.original!.arrayBuffer())]).toEqual([...original]);
  });

  it('lists datasets newest first', async () => {
    const a = await newDataset('older');
    await new Promise((r) => setTimeout(r, 5));
    const b = await newDataset('newer');
    const ids = (await listDatasets()).map((d) => d.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
  });

  it('a complete dataset takes no more images', async () => {
    const meta = await completeDataset(await appendImages(await newDataset(), images(0, 2)), REPORT);
    await expect(appendImages(meta, images(2, 1))).rejects.toMatchObject({
      name: 'StorageError',
      code: 'write-failed',
      message: /is complete/,
    });
  });

  it('a crash between batches leaves an incomplete dataset of whole batches that resume can read', async () => {
    let meta = await newDataset('interrupted', 9);
    meta = await appendImages(meta, images(0, 3));
    meta = await appendImages(meta, images(3, 3));
    // ... the page is closed here: completeDataset never runs.
    const seen = await reread(meta.id);
    expect(seen).toMatchObject({ status: 'ingesting', storedImages: 6, batches: 2, expectedImages: 9 });
    expect(seen!.report).toBeUndefined();
    expect([...(await storedNames(seen!))].sort()).toEqual(
      images(0, 6)
        .map((i) => i.name)
        .sort(),
    );
    // 1 meta + 2 batch records + 2 pixel batches + an image record per image; no index yet.
    expect(await countRecords(meta.id)).toBe(1 + 2 + 2 + 6);
    await expect(getDatasetIndex(meta.id)).rejects.toMatchObject({ code: 'not-found', message: /did not complete/ });
    await expect(loadTrainingSet(meta.id)).rejects.toMatchObject({ code: 'read-failed', message: /not completely imported/ });

    // Resuming continues from the stored metadata and completes with every image once.
    const done = await completeDataset(await appendImages(seen!, images(6, 3)), REPORT);
    expect((await getDatasetIndex(done.id)).names).toEqual(images(0, 9).map((i) => i.name));
  });
});

describe('write failures keep earlier batches whole', () => {
  // A batch of 4 is 7 puts: 4 image records, the batch's names, the metadata, then its pixels.
  it.each([
    ['async', 3],
    ['sync', 3],
    ['async', 7],
    ['sync', 7],
  ] as const)('QuotaExceededError (%s, put %i) in the 3rd batch → StorageError quota, batches 1–2 intact', async (how, put) => {
    let meta = await newDataset('big', 12);
    meta = await appendImages(meta, images(0, 4));
    meta = await appendImages(meta, images(4, 4));
    const before = await countRecords(meta.id);
    failPut(put, how); // some puts of this batch came before it

    const err = await appendImages(meta, images(8, 4)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({
      code: 'quota',
      message:
        /Storage is full: .*4 images of "big" \(img8\.jpg to img11\.jpg, after 8 stored\).*Everything stored before this point is kept/,
    });
    expect((err as StorageError).cause).toMatchObject({ name: 'QuotaExceededError' });
    vi.restoreAllMocks();

    // Nothing of the failed batch landed: not its images, not its batch record, not a new count.
    expect(await countRecords(meta.id)).toBe(before);
    expect(await reread(meta.id)).toMatchObject({ status: 'ingesting', storedImages: 8, batches: 2 });
    expect(await getImageRecords(meta.id, [8, 9, 10, 11])).toEqual([undefined, undefined, undefined, undefined]);

    // Once space is free, the same metadata continues where it stopped.
    const done = await completeDataset(await appendImages(meta, images(8, 4)), REPORT);
    expect((await loadTrainingSet(done.id)).pixels.length).toBe(12 * 12);
  });

  it('a quota error while creating a dataset is a quota StorageError too', async () => {
    failPut(1, 'async');
    await expect(createDataset({ name: 'x', source: 'folder', imageSize: SIZE, expectedImages: 1 })).rejects.toMatchObject({
      code: 'quota',
    });
  });

  it('other write errors become write-failed with the cause named', async () => {
    const meta = await newDataset('clone');
    const bad = { ...image(0), thumb: (() => 1) as unknown as Blob }; // functions cannot be cloned
    await expect(appendImages(meta, [image(1), bad])).rejects.toMatchObject({
      code: 'write-failed',
      message: /Could not store 2 images of "clone".*DataCloneError/,
    });
    expect(await countRecords(meta.id)).toBe(1);
    expect(await reread(meta.id)).toMatchObject({ storedImages: 0, batches: 0 });
  });
});

describe('rename and delete', () => {
  it('rename trims and persists; an empty name is refused', async () => {
    const meta = await newDataset('old name');
    expect((await renameDataset(meta.id, '  new name  ')).name).toBe('new name');
    expect((await reread(meta.id))!.name).toBe('new name');
    await expect(renameDataset(meta.id, '   ')).rejects.toMatchObject({ code: 'write-failed', message: /cannot be empty/ });
    await expect(renameDataset('no-such-id', 'x')).rejects.toMatchObject({ code: 'not-found' });
  });

  it.each(['complete', 'incomplete'])('delete removes every record of a %s dataset and nothing of another', async (state) => {
    const keep = await appendImages(await newDataset('keep'), images(0, 2));
    let meta = await newDataset('doomed');
    meta = await appendImages(meta, images(0, 3));
    meta = await appendImages(meta, images(3, 3));
    if (state === 'complete') meta = await completeDataset(meta, REPORT);
    expect(await countRecords(meta.id)).toBe(state === 'complete' ? 12 : 11); // meta, index, 6 images, 2 pixel batches, 2 name lists
    const keepCount = await countRecords(keep.id);

    await deleteDataset(meta.id);
    expect(await countRecords(meta.id)).toBe(0);
    expect((await keys(datasetStore())).filter((k) => String(k).includes(meta.id))).toEqual([]); // a raw scan agrees
    expect(await reread(meta.id)).toBeUndefined();
    await expect(getDataset(meta.id)).rejects.toMatchObject({ code: 'not-found' });
    expect(await countRecords(keep.id)).toBe(keepCount);
  });

  it('a delete that fails part-way deletes nothing', async () => {
    const meta = await completeDataset(await appendImages(await newDataset('sturdy'), images(0, 3)), REPORT);
    const count = await countRecords(meta.id);
    const realDelete = IDBObjectStore.prototype.delete;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
      if (++calls === 3) throw new DOMException('simulated failure', 'UnknownError');
      return realDelete.call(this, key);
    });
    await expect(deleteDataset(meta.id)).rejects.toMatchObject({ code: 'write-failed', message: /UnknownError: simulated failure/ });
    vi.restoreAllMocks();
    expect(await countRecords(meta.id)).toBe(count);
    expect(await reread(meta.id)).toMatchObject({ status: 'complete' });
  });
});

describe('format versions', () => {
  it('refuses a dataset stored by a newer format, saying both versions', async () => {
    const meta = await newDataset('future');
    await set(`meta:${meta.id}`, { ...meta, version: DATASET_FORMAT_VERSION + 1 }, datasetStore());
    await expect(getDataset(meta.id)).rejects.toMatchObject({
      code: 'version',
      message: new RegExp(`format ${DATASET_FORMAT_VERSION + 1}, this one reads ${DATASET_FORMAT_VERSION}`),
    });
  });
});
