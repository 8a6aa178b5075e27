// e2e: "Find similar images" from the gallery. Train `tiny` on the sample for one epoch, open an
// image's details in the Data tab, ask for similar images: Use opens with the model loaded and
// shows the dataset images closest to it (never the image itself), best first, as thumbnails.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLab, trainTinyOnSample, waitForText, type Lab } from './harness';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

it('finds the images most like a gallery image', async () => {
  const { page } = lab;
  await trainTinyOnSample(page, { epochs: 1, backend: 'wasm', maxEvalImages: 60 });
  await waitForText(page, 'train-status', /^done/, 480_000);

  await page.getByTestId('tab-data').click();
  const tile = page.getByTestId('gallery-item').nth(3);
  await tile.click();
  const name = (await page.getByTestId('image-details-name').textContent()) ?? '';
  expect(name).toMatch(/\w/);
  await page.getByTestId('image-details-similar').click();

  // Use loads the run just trained by itself, then the request runs.
  await waitForText(page, 'search-results-heading', /^Images most like the chosen image$/, 240_000);
  await expect.poll(() => page.getByTestId('search-result').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
  // Score shows the same image by its file name (and its index in the dataset).
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const shownIndex = await waitForText(page, 'score-image-label', new RegExp(`^${escaped} · dataset image #\\d+$`), 30_000);
  const picked = Number(/#(\d+)$/.exec(shownIndex ?? '')?.[1] ?? -1);
  expect(picked).toBeGreaterThanOrEqual(0); // Score shows the same image, so it can be scored next
  const indexes = (await page.getByTestId('search-result').evaluateAll((els) => els.map((e) => e.getAttribute('data-index')))).map(Number);
  expect(indexes).not.toContain(picked);
  const scores = await page
    .getByTestId('search-result')
    .evaluateAll((els) => els.map((e) => Number(e.querySelector('strong')?.textContent)));
  for (let i = 1; i < scores.length; i++) expect(scores[i - 1]).toBeGreaterThanOrEqual(scores[i]);
  expect(await page.locator('[data-testid=search-result] img').count()).toBe(indexes.length);
  lab.assertHealthy();
});
