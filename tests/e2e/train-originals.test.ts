// e2e: one short run on the real flickr8k-originals photos shows val R@1/5/10 both ways and the
// classifier's ROC AUC after its epoch.
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { chooseFolder, openLab, SHARED_DATASETS, waitForText, type Lab } from './harness';
import { itWithData } from '../datasets';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

itWithData('flickr8k-originals')('trains tiny for one epoch on flickr8k-originals and reports val R@K and AUC', async () => {
  const { page } = lab;
  await chooseFolder(page, join(SHARED_DATASETS, 'flickr8k-originals'));
  await waitForText(page, 'report-images', /^120$/, 180_000);
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-preset').selectOption('tiny');
  await page.getByTestId('train-epochs').fill('1');
  await page.getByTestId('train-backend').selectOption('wasm');
  await page.getByTestId('train-start').click();
  const summary = await waitForText(page, 'eval-summary', /R@10/, 300_000);
  expect(summary).toMatch(/image→text R@1 \d\.\d{3} R@5 \d\.\d{3} R@10 \d\.\d{3}/);
  expect(summary).toMatch(/text→image R@1 \d\.\d{3}/);
  expect(summary).toMatch(/12 images/); // the seeded split's val images
  const auc = Number(await page.getByTestId('eval-summary').getAttribute('data-auc'));
  expect(auc).toBeGreaterThanOrEqual(0);
  expect(auc).toBeLessThanOrEqual(1);
  await expect.poll(() => page.getByTestId('chart-recall').count(), { timeout: 10_000 }).toBe(1);
  await expect.poll(() => page.getByTestId('chart-auc').count()).toBe(1);
  await waitForText(page, 'train-status', /done/, 120_000);
  lab.assertHealthy();
});
