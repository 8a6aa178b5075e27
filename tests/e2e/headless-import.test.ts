// e2e: a model trained by the headless trainer (`npm run train`'s trainFolder, in Node) on
// flickr8k-originals imports into the page, which scores with it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { trainFolder } from '../../cli/headless';
import { openLab, SHARED_DATASETS, waitForText, type Lab } from './harness';
import { itWithData } from '../datasets';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

itWithData('flickr8k-originals')('imports and scores with a file from the headless trainer', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'clip-lab-headless-')), 'originals.clip.safetensors');
  const result = await trainFolder({
    data: join(SHARED_DATASETS, 'flickr8k-originals'),
    preset: 'tiny',
    steps: 5,
    backend: 'cpu',
    out,
    log: () => {},
  });
  expect(result.checkpoint.step).toBe(5);
  const { page } = lab;
  await page.getByTestId('tab-use').click();
  await page.getByTestId('import-input').setInputFiles(out);
  await waitForText(page, 'model-summary', /^Loaded: tiny preset.*step 5/, 60_000);

  // Score an image of the same photos, chosen as a user would, against two captions.
  const photo = join(SHARED_DATASETS, 'flickr8k-originals/Flicker8k_Dataset/1000268201_693b08cb0e.jpg');
  await page.getByTestId('score-image-input').setInputFiles(photo);
  await waitForText(page, 'score-image-label', /1000268201_693b08cb0e\.jpg/);
  await page.getByTestId('score-captions').fill('A child in a pink dress is climbing up a set of stairs .\nTwo dogs run on the beach .');
  await page.getByTestId('score-button').click();
  await expect.poll(() => page.getByTestId('score-row').count(), { timeout: 60_000 }).toBe(2);
  const probs = await page.getByTestId('score-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-probability'))));
  for (const p of probs) {
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(1);
  }
  lab.assertHealthy();
});
