// e2e on the real flickr8k-224 folder (7,000 images, 35,000 captions, official split lists that
// also name the 1,000 absent test images): a reload mid-import leaves an honest incomplete row
// that Resume completes with every image stored once; Cancel and Discard free every record.
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Page } from 'playwright-core';
import {
  chooseFolder,
  datasetStoreByteLengths,
  datasetStoreGet,
  datasetStoreKeys,
  openLab,
  SHARED_DATASETS,
  waitForText,
  type Lab,
} from './harness';
import { itWithData } from '../datasets';

const DIR = join(SHARED_DATASETS, 'flickr8k-224');
const TOTAL = 7000;
const num = (s: string) => Number(s.replace(/,/g, ''));

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

/** The number of images the import progress line says are done (0 while it shows none). */
async function doneCount(page: Page): Promise<number> {
  const text =
    (await page
      .getByTestId('ingest-progress')
      .textContent({ timeout: 100 })
      .catch(() => null)) ?? '';
  const m = /([\d,]+) \/ ([\d,]+) images/.exec(text);
  return m ? num(m[1]) : 0;
}

/** Waits until the import progress says at least `min` images are done; returns that count. */
async function waitForDone(page: Page, min: number, timeout = 120_000): Promise<number> {
  await expect
    .poll(() => doneCount(page), { timeout, interval: 100, message: `import progress never reached ${min} images` })
    .toBeGreaterThanOrEqual(min);
  return doneCount(page);
}

/** Waits for the import report (or fails at once on an error banner); returns the images stored. */
async function waitForReport(page: Page, timeout: number): Promise<number> {
  const report = page.getByTestId('report-images');
  const banner = page.getByTestId('error-banner');
  await report.or(banner).first().waitFor({ timeout });
  if (await banner.count()) throw new Error(`the import stopped: ${await banner.first().textContent()}`);
  return num((await report.textContent()) ?? '');
}

const storedKeys = datasetStoreKeys;
const idsIn = (keys: string[]) => [...new Set(keys.map((k) => k.split(':')[1]))];

const rows = (page: Page, status: 'ingesting' | 'complete') => page.locator(`[data-testid=dataset-row][data-status=${status}]`);

/** The dataset's stored index (names in image order), read straight from IndexedDB. */
const storedIndexNames = async (page: Page, id: string): Promise<string[] | null> =>
  (await datasetStoreGet<{ names: string[] }>(page, `index:${id}`))?.names ?? null;

itWithData('flickr8k-224', 'flickr8k-originals')(
  'a reload mid-import leaves an incomplete dataset; Resume completes it with the official splits',
  async () => {
    const { page } = lab;
    await chooseFolder(page, DIR);
    const seen = await waitForDone(page, 800);
    await page.reload({ waitUntil: 'commit' });

    // After the reload: one incomplete row, honest about its count, offering Resume, not Open.
    const partial = rows(page, 'ingesting');
    await expect.poll(() => partial.count(), { timeout: 30_000 }).toBe(1);
    const summary = (await partial.getByTestId('dataset-summary').textContent()) ?? '';
    const m = /^Incomplete import: ([\d,]+) of 7,000 images stored/.exec(summary);
    expect(m, summary).not.toBeNull();
    const storedAtReload = num(m![1]);
    expect(storedAtReload).toBeGreaterThanOrEqual(Math.min(seen, 800) - 100);
    expect(storedAtReload).toBeLessThan(TOTAL);
    expect(await partial.getByTestId('dataset-resume').count()).toBe(1);
    expect(await page.getByTestId('dataset-open').count()).toBe(0);
    expect(await rows(page, 'complete').count()).toBe(0);
    expect(await page.getByTestId('ingest-report').count()).toBe(0);
    expect(await page.getByTestId('gallery').count()).toBe(0);
    const [id] = idsIn(await storedKeys(page));
    expect(await storedIndexNames(page, id)).toBeNull(); // no index: nothing reads it as complete

    // Resuming from another folder is refused and changes nothing.
    let chooser = page.waitForEvent('filechooser');
    await partial.getByTestId('dataset-resume').click();
    await (await chooser).setFiles(join(SHARED_DATASETS, 'flickr8k-originals'));
    await waitForText(page, 'error-message', /not the folder "flickr8k-224" was imported from/, 30_000);
    expect(await partial.getByTestId('dataset-summary').textContent()).toMatch(
      new RegExp(`^Incomplete import: ${storedAtReload.toLocaleString('en-US')} of 7,000`),
    );

    // Resume with the same folder: it completes.
    chooser = page.waitForEvent('filechooser');
    await partial.getByTestId('dataset-resume').click();
    await (await chooser).setFiles(DIR);
    const shown = await waitForReport(page, 300_000);
    const corrupt = (await page.getByTestId('report-corrupt-count').count())
      ? num((await page.getByTestId('report-corrupt-count').textContent()) ?? '')
      : 0;
    expect(shown + corrupt).toBe(TOTAL);
    expect(corrupt).toBeLessThan(20);
    expect(await page.getByTestId('report-captions').textContent()).toBe((5 * shown).toLocaleString('en-US'));
    expect(await page.getByTestId('report-histogram').textContent()).toBe(`5: ${shown.toLocaleString('en-US')}`);
    const splits = (await page.getByTestId('report-splits').textContent()) ?? '';
    const s = /train ([\d,]+) · val ([\d,]+) · test ([\d,]+)/.exec(splits)!;
    expect([num(s[1]) + num(s[2]), num(s[3])]).toEqual([shown, 0]);
    if (corrupt === 0) expect(s.slice(1)).toEqual(['6,000', '1,000', '0']);
    expect(splits).toMatch(/official split lists/);
    expect(await page.getByTestId('report-split-absent').textContent()).toMatch(/the split lists name 1,000 images absent from the folder/);
    expect(await page.getByTestId('report-missing').count()).toBe(0);
    expect(await page.getByTestId('report-split-unlisted').count()).toBe(0);

    const done = rows(page, 'complete');
    expect(await done.count()).toBe(1);
    expect(await rows(page, 'ingesting').count()).toBe(0);
    expect(await done.getByTestId('dataset-summary').textContent()).toMatch(
      new RegExp(`^${shown.toLocaleString('en-US')} images · ${(5 * shown).toLocaleString('en-US')} captions`),
    );
    await waitForText(page, 'gallery-count', new RegExp(`^${shown.toLocaleString('en-US')} images$`));

    // Every image stored exactly once across the two sessions, under the one dataset id.
    const keys = await storedKeys(page);
    expect(idsIn(keys)).toEqual([id]);
    expect(keys.filter((k) => k.startsWith(`img:${id}:`))).toHaveLength(shown);
    // Format 3: one pixel record per stored batch (none per image), holding every image once.
    expect(keys.filter((k) => k.startsWith(`px:${id}:`))).toHaveLength(0);
    const pixelBatches = await datasetStoreByteLengths(page, `pxb:${id}:`);
    expect(Object.keys(pixelBatches)).toHaveLength(keys.filter((k) => k.startsWith(`batch:${id}:`)).length);
    expect(Object.values(pixelBatches).reduce((a, b) => a + b, 0)).toBe(shown * 128 * 128 * 3);
    const names = (await storedIndexNames(page, id))!;
    expect(names).toHaveLength(shown);
    expect(new Set(names).size).toBe(shown);
    lab.assertHealthy();
  },
);

itWithData('flickr8k-224', 'flickr8k-originals')('Cancel during an import deletes the partial dataset', async () => {
  const { page } = lab;
  const before = idsIn(await storedKeys(page));
  await chooseFolder(page, DIR);
  await waitForDone(page, 100);
  expect(idsIn(await storedKeys(page)).length).toBe(before.length + 1); // batches were stored
  await page.getByTestId('ingest-cancel').click();
  await expect.poll(() => page.getByTestId('ingest-progress').count(), { timeout: 30_000 }).toBe(0);
  expect(await rows(page, 'ingesting').count()).toBe(0);
  expect(await page.getByTestId('error-banner').count()).toBe(0);
  expect(idsIn(await storedKeys(page))).toEqual(before);
  lab.assertHealthy();
});

itWithData('flickr8k-224', 'flickr8k-originals')('Discard removes an interrupted import and every record of it', async () => {
  const { page } = lab;
  const before = idsIn(await storedKeys(page));
  await chooseFolder(page, DIR);
  await waitForDone(page, 100);
  await page.reload({ waitUntil: 'commit' });
  const partial = rows(page, 'ingesting');
  await expect.poll(() => partial.count(), { timeout: 30_000 }).toBe(1);
  expect(idsIn(await storedKeys(page)).length).toBe(before.length + 1);

  const completeRows = await rows(page, 'complete').count();
  const storedBytes = async () => Number(await page.getByTestId('storage-datasets').getAttribute('data-bytes'));
  const bytesBefore = await storedBytes();
  expect(bytesBefore).toBeGreaterThan(1_000_000); // the interrupted import's batches count
  page.once('dialog', (d) => void d.accept());
  await partial.getByTestId('dataset-discard').click();
  await expect.poll(() => partial.count(), { timeout: 30_000 }).toBe(0);
  // The storage figure drops at once (the lab's own byte counts, not the browser's lagging estimate).
  await expect.poll(storedBytes, { timeout: 10_000 }).toBeLessThan(bytesBefore - 1_000_000);
  expect(await rows(page, 'complete').count()).toBe(completeRows); // finished imports are untouched
  expect(idsIn(await storedKeys(page))).toEqual(before);
  lab.assertHealthy();
});
