// e2e: choose the real flickr8k-originals folder → the report counts it right; reload → still
// listed with the same counts and thumbnails; delete → gone and its records freed.
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { chooseFolder, datasetStoreKeys, openLab, SHARED_DATASETS, waitForText, type Lab } from './harness';
import { itWithData } from '../datasets';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

itWithData('flickr8k-originals')('ingests flickr8k-originals, survives a reload, and deletes cleanly', async () => {
  const { page } = lab;
  await chooseFolder(page, join(SHARED_DATASETS, 'flickr8k-originals'));
  await waitForText(page, 'report-images', /^120$/, 180_000);
  expect(await page.getByTestId('report-captions').textContent()).toBe('600');
  expect(await page.getByTestId('report-format').textContent()).toMatch(/Flickr8k token/i);
  await expect.poll(() => page.getByTestId('gallery-thumb').count(), { timeout: 30_000 }).toBeGreaterThan(5);

  await page.reload({ waitUntil: 'commit' });
  const row = page.getByTestId('dataset-row').filter({ hasText: 'flickr8k-originals' });
  await waitForText(page, 'dataset-summary', /120 images · 600 captions/);
  await row.getByTestId('dataset-open').click();
  await waitForText(page, 'report-images', /^120$/);
  await expect.poll(() => page.getByTestId('gallery-thumb').count(), { timeout: 30_000 }).toBeGreaterThan(5);
  const src = await page.getByTestId('gallery-thumb').first().getAttribute('src');
  expect(src).toMatch(/^blob:/);

  page.once('dialog', (d) => void d.accept());
  await row.getByTestId('dataset-delete').click();
  await expect.poll(() => page.getByTestId('dataset-row').count()).toBe(0);
  const left = (await datasetStoreKeys(page)).length;
  expect(left).toBe(0);
  lab.assertHealthy();
});
