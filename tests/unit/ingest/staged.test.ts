// The decode worker's side of an import (ingest/staged.ts), without a worker: a batch decodes with
// its failures as corrupt entries (file path + reason) and is stored, in one transaction with the
// metadata, only when the page says so; stored records read back as the page's own path stores them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StagedBatches, type BatchItem, type DecodeFile } from '../../../src/ingest/staged';
import { createDataset, deleteDataset, getImageRecords, getPixels, storedNames, type DatasetMeta } from '../../../src/storage/datasets';

const SIZE = 2;

function item(i: number): BatchItem {
  const path = `Images/img${i}.jpg`;
  return {
    path,
    name: `img${i}.jpg`,
    split: 'train',
    captions: [`caption ${i}`],
    file: new File([Uint8Array.of(0xff, 0xd8, i)], path, { type: 'image/jpeg' }),
  };
}

/** Decodes image i to pixels filled with i; `bad` paths fail with a reason; i odd keeps the bytes inline. */
const fakeDecode =
  (bad: Set<string> = new Set()): DecodeFile =>
  async (file, path) => {
    if (bad.has(path)) throw new Error(`corrupt data in ${path}`);
    const i = new Uint8Array(await file.arrayBuffer())[2];
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { pixels: new Uint8Array(SIZE * SIZE * 3).fill(i), original: i % 2 ? bytes : undefined, width: 10 + i, height: 20 };
  };

let meta: DatasetMeta | undefined;
afterEach(async () => {
  if (meta) await deleteDataset(meta.id);
  meta = undefined;
});

describe('StagedBatches', () => {
  it.each([
    { concurrency: 1, bad: [] as number[] },
    { concurrency: 4, bad: [1] },
    { concurrency: 3, bad: [0, 4] },
  ])('decodes a batch (concurrency $concurrency, corrupt $bad) in order and stores only on store()', async ({ concurrency, bad }) => {
    meta = await createDataset({ name: 'staged', source: 'folder', imageSize: SIZE, expectedImages: 5 });
    const staged = new StagedBatches(concurrency);
    const items = [0, 1, 2, 3, 4].map(item);
    const prepared = await staged.prepare('k0', items, fakeDecode(new Set(bad.map((i) => items[i].path))));
    expect(prepared.images).toBe(5 - bad.length);
    expect(prepared.corrupt).toEqual(bad.map((i) => ({ name: items[i].path, reason: `corrupt data in ${items[i].path}` })));
    expect(await storedNames(meta)).toEqual(new Set()); // nothing stored before store()

    const next = await staged.store('k0', meta);
    const good = [0, 1, 2, 3, 4].filter((i) => !bad.includes(i));
    expect(next).toMatchObject({ storedImages: good.length, batches: 1 });
    expect(await storedNames(next)).toEqual(new Set(good.map((i) => `img${i}.jpg`)));
    const ids = good.map((_, k) => k);
    expect((await getPixels(meta.id, ids)).map((p) => p[0])).toEqual(good);
    const records = await getImageRecords(meta.id, ids);
    expect(records.map((r) => [r?.name, r?.width, r?.original?.size])).toEqual(good.map((i) => [`img${i}.jpg`, 10 + i, 3]));
    expect(staged.waiting).toBe(0);
  });

  it('stores batches in the order the page asks, each after the metadata it is given', async () => {
    meta = await createDataset({ name: 'staged', source: 'folder', imageSize: SIZE, expectedImages: 4 });
    const staged = new StagedBatches();
    await staged.prepare('a', [0, 1].map(item), fakeDecode());
    await staged.prepare('b', [2, 3].map(item), fakeDecode());
    const afterB = await staged.store('b', meta);
    const afterA = await staged.store('a', afterB);
    expect(afterA).toMatchObject({ storedImages: 4, batches: 2 });
    expect((await getPixels(meta.id, [0, 1, 2, 3])).map((p) => p[0])).toEqual([2, 3, 0, 1]);
  });

  it('a full disk while a worker stores a batch is a quota StorageError naming its files; nothing of it lands', async () => {
    meta = await createDataset({ name: 'full', source: 'folder', imageSize: SIZE, expectedImages: 3 });
    const staged = new StagedBatches();
    await staged.prepare('q', [0, 1, 2].map(item), fakeDecode());
    const realPut = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (++calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.call(this, value, key);
    });
    try {
      await expect(staged.store('q', meta)).rejects.toMatchObject({
        name: 'StorageError',
        code: 'quota',
        message: /Storage is full: .*3 images of "full" \(img0\.jpg to img2\.jpg, after 0 stored\)/,
      });
    } finally {
      vi.restoreAllMocks();
    }
    expect(await storedNames(meta)).toEqual(new Set());
  });

  it('an all-corrupt batch stores nothing and keeps the metadata; an unknown key is refused', async () => {
    meta = await createDataset({ name: 'staged', source: 'folder', imageSize: SIZE, expectedImages: 1 });
    const staged = new StagedBatches();
    const items = [item(0)];
    await staged.prepare('x', items, fakeDecode(new Set([items[0].path])));
    expect(await staged.store('x', meta)).toBe(meta);
    await expect(staged.store('x', meta)).rejects.toThrow(/Expected decoded batch "x" waiting in this worker, found none/);
  });
});
