// e2e: the pretrained image tower in the page. Chooses the nsfwjs MobileNetV2 (layers, 1,280-d at
// flatten_1; the devDependency fixture, unwrapped to model.json + shards) from files, computes
// features of flickr8k-originals with the progress bar seen, reloads mid-pass and resumes without
// recomputing the stored chunks, trains a few epochs on the features, then scores held-out photos
// (uploaded as files: the backbone runs in the page, on the file decoded at its input size) against
// every held-out photo's caption: the true caption outranks the next photo's for most of them
// (asserted), and its rank among all of them is logged. Every feature comes from the originals.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { itWithData } from '../datasets';
import { writeNsfwjsFixture } from '../fixtures/nsfwjs';
import { a11yViolations, chooseFolder, datasetStoreGet, openLab, SHARED_DATASETS, waitForText, type Lab } from './harness';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

const ORIGINALS = join(SHARED_DATASETS, 'flickr8k-originals');

async function chooseStoredDataset(): Promise<string> {
  const { page } = lab;
  await page.getByTestId('tab-train').click();
  const id = await page
    .getByTestId('train-dataset')
    .evaluate((s: HTMLSelectElement) => [...s.options].find((o) => !o.disabled && o.value)?.value ?? '');
  await page.getByTestId('train-dataset').selectOption(id);
  return id;
}

itWithData('flickr8k-originals')(
  'loads a backbone from files, computes features (resuming after a reload), trains on them and ranks held-out captions',
  async () => {
    const { page } = lab;
    await chooseFolder(page, ORIGINALS);
    await waitForText(page, 'report-images', /^120$/, 180_000);
    const datasetId = await chooseStoredDataset();
    await page.getByTestId('train-preset').selectOption('tiny');
    await page.getByTestId('tower-backbone').check();
    // Before a backbone is chosen: what it costs is said, and the Train button says why it waits (no error).
    expect(await page.getByTestId('backbone-costs').textContent()).toMatch(/about 9 MB.*120 images × 2 views: /);
    await waitForText(page, 'train-waits', /Choose a pretrained model/);
    expect(await page.getByTestId('config-error').count()).toBe(0);
    const dir = writeNsfwjsFixture('mobilenet_v2');
    await page.getByTestId('backbone-input').setInputFiles(readdirSync(dir).map((f) => join(dir, f)));
    const found = await waitForText(page, 'backbone-found', /1280 features/, 180_000);
    expect(found).toMatch(/layers model, input 224×224 RGB, values in \[0, 1\], output flatten_1/);
    await page.getByTestId('head-advanced').locator('summary').click();
    expect(await a11yViolations(page, '[data-testid="image-tower"]')).toEqual([]);
    // The head's settings are validated beside them, in the form's words; the default dropout is kept.
    await page.getByTestId('train-headDropout').fill('1');
    await waitForText(page, 'head-error', /^Head dropout: expected a number in \[0, 0\.95\], found 1$/);
    expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
    await page.getByTestId('train-headDropout').fill('0.5');
    await expect.poll(() => page.getByTestId('head-error').count()).toBe(0);
    await waitForText(page, 'train-waits', /Compute the features/);

    // Compute features; reload once the first chunk (64 images) is stored.
    await page.getByTestId('flip-views').uncheck(); // one view: the pass stays short on wasm
    await page.getByTestId('compute-features').click();
    await expect.poll(() => page.getByTestId('features-progress').count(), { timeout: 60_000 }).toBe(1);
    await expect
      .poll(async () => Number(await page.getByTestId('features-progress').getByRole('progressbar').getAttribute('aria-valuenow')), {
        timeout: 240_000,
      })
      .toBeGreaterThanOrEqual(64);
    console.log(`feature pass: ${await page.getByTestId('features-progress').locator('.progress-label').textContent()}`);
    await page.reload({ waitUntil: 'commit' });
    await chooseStoredDataset();
    await waitForText(page, 'backbone-found', /1280 features/, 60_000); // the draft kept the backbone
    const stored = Number(await page.getByTestId('features-status').getAttribute('data-stored'));
    expect(stored).toBeGreaterThanOrEqual(64);
    expect(stored).toBeLessThan(120);
    await page.getByTestId('compute-features').click();
    await waitForText(page, 'features-status', /Features ready \(120 image views\)/, 240_000);
    expect(await page.getByTestId('features-from-copies').count()).toBe(0); // every feature from the photo's original

    // Train on the features, then score held-out photos uploaded as files.
    await page.getByTestId('train-epochs').fill('8');
    await page.getByTestId('train-start').click();
    await waitForText(page, 'train-status', /done/, 240_000);
    await waitForText(page, 'eval-summary', /R@10/, 10_000);
    expect(await page.getByTestId('run-settings').first().textContent()).toMatch(
      /^tiny · .+, frozen, 1280 features → linear head, dropout 0\.5 · 1-D conv text · 8 epochs/,
    );

    const index = (await datasetStoreGet<{ names: string[]; splits: string[]; captions: string[][] }>(page, `index:${datasetId}`))!;
    const heldOut = index.names.map((n, i) => ({ n, i })).filter(({ i }) => index.splits[i] !== 'train');
    expect(heldOut.length).toBeGreaterThanOrEqual(8);
    await page.getByTestId('tab-use').click();
    // Each photo is scored against every held-out photo's first caption at once: its own against
    // the next photo's (the pairwise check) and its own caption's rank among all of them (R@1).
    const pool = [...new Set(heldOut.map(({ i }) => index.captions[i][0].trim()))];
    let wins = 0;
    let top1 = 0;
    let rankSum = 0;
    for (const [k, { n, i }] of heldOut.entries()) {
      const other = heldOut[(k + 1) % heldOut.length].i;
      const own = index.captions[i][0].trim();
      const wrong = index.captions[other][0].trim();
      const captions = [own, ...pool.filter((c) => c !== own)];
      await page.getByTestId('score-image-input').setInputFiles(join(ORIGINALS, 'Flicker8k_Dataset', n));
      await waitForText(page, 'score-image-label', new RegExp(n.replace('.', '\\.')));
      await page.getByTestId('score-captions').fill(captions.join('\n'));
      await page.getByTestId('score-button').click();
      // The table ranks its rows: read each caption's softmax, once the rows are this image's.
      const read = () =>
        page
          .getByTestId('score-row')
          .evaluateAll((els) =>
            els.map((e) => [e.querySelector('td')!.textContent!.trim(), Number(e.getAttribute('data-softmax'))] as const),
          );
      await expect.poll(async () => (await read()).map(([c]) => c).sort(), { timeout: 60_000 }).toEqual([...captions].sort());
      const byCaption = new Map(await read());
      const mine = byCaption.get(own)!;
      if (mine > byCaption.get(wrong)!) wins++;
      const rank = 1 + [...byCaption.values()].filter((v) => v > mine).length;
      if (rank === 1) top1++;
      rankSum += rank;
    }
    console.log(`held-out photos whose true caption outranks another's: ${wins} / ${heldOut.length}`);
    console.log(
      `held-out photos against all ${pool.length} held-out captions: true caption first for ${top1} / ${heldOut.length}, mean rank ${(rankSum / heldOut.length).toFixed(2)}`,
    );
    expect(wins / heldOut.length).toBeGreaterThan(0.5);
    lab.assertHealthy();

    // The exported file, imported where its backbone is not stored, asks for the backbone's files
    // and refuses others by hash; with the right ones it loads and scores.
    const out = mkdtempSync(join(tmpdir(), 'clip-lab-backbone-'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-weights').click()]);
    const file = join(out, download.suggestedFilename());
    await download.saveAs(file);
    await lab.close();
    lab = await openLab();
    const fresh = lab.page;
    await fresh.getByTestId('tab-use').click();
    await fresh.getByTestId('import-input').setInputFiles(file);
    await expect.poll(() => fresh.getByTestId('need-backbone').count(), { timeout: 120_000 }).toBe(1);
    expect(await fresh.getByRole('alert').first().textContent()).toMatch(/which is not stored here: load its files/);
    const wrong = writeNsfwjsFixture('mobilenet_v2_mid');
    await fresh.getByTestId('provide-backbone-input').setInputFiles(readdirSync(wrong).map((f) => join(wrong, f)));
    await expect
      .poll(async () => (await fresh.getByRole('alert').allTextContents()).join(' '), { timeout: 60_000 })
      .toMatch(/backbone files: expected SHA-256 [0-9a-f]{64}, found [0-9a-f]{64}/);
    await fresh.getByTestId('provide-backbone-input').setInputFiles(readdirSync(dir).map((f) => join(dir, f)));
    await expect.poll(() => fresh.getByTestId('need-backbone').count(), { timeout: 120_000 }).toBe(0);
    await waitForText(fresh, 'model-summary', /step/, 120_000);
    await fresh.getByTestId('score-image-input').setInputFiles(join(ORIGINALS, 'Flicker8k_Dataset', heldOut[0].n));
    await fresh.getByTestId('score-captions').fill(`${index.captions[heldOut[0].i][0]}\n${index.captions[heldOut[1].i][0]}`);
    await fresh.getByTestId('score-button').click();
    await expect.poll(() => fresh.getByTestId('score-row').count(), { timeout: 60_000 }).toBe(2);
    rmSync(out, { recursive: true, force: true });
    lab.assertHealthy();
  },
);
