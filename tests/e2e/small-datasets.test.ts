// e2e: small datasets before a run exists, and what Use then says. A 12-image folder (written
// here: PNGs + captions.csv with a split column, 8 train / 2 val / 2 test) trains `tiny` with its
// batch of 16 clamped to 8 and the note shown; Use loads its best checkpoint and says which, and
// the score card shows a verdict line; an empty caption is refused. A 1-image folder shows why it
// cannot train and leaves no run row.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chooseFolder, openLab, waitForText, type Lab } from './harness';

const COLOURS: [string, [number, number, number]][] = [
  ['red', [220, 30, 30]],
  ['green', [30, 180, 60]],
  ['blue', [40, 70, 220]],
  ['yellow', [235, 210, 40]],
  ['purple', [140, 50, 170]],
  ['orange', [240, 140, 20]],
  ['black', [15, 15, 15]],
  ['white', [245, 245, 245]],
  ['pink', [240, 130, 180]],
  ['brown', [120, 70, 30]],
  ['grey', [128, 128, 128]],
  ['cyan', [40, 210, 220]],
];

/** A 48×48 PNG: a coloured square on a light background. */
function png(rgb: [number, number, number]): Buffer {
  const img = new PNG({ width: 48, height: 48 });
  for (let y = 0; y < 48; y++)
    for (let x = 0; x < 48; x++) {
      const inside = x >= 12 && x < 36 && y >= 12 && y < 36;
      const o = (y * 48 + x) * 4;
      const [r, g, b] = inside ? rgb : [200, 200, 200];
      (img.data[o] = r), (img.data[o + 1] = g), (img.data[o + 2] = b), (img.data[o + 3] = 255);
    }
  return PNG.sync.write(img);
}

/** Writes a folder of `n` images with two captions each and a split column; returns its path. */
function writeFolder(root: string, name: string, n: number, splitOf: (i: number) => string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const lines = ['image,caption,split'];
  COLOURS.slice(0, n).forEach(([colour, rgb], i) => {
    writeFileSync(join(dir, `${colour}.png`), png(rgb));
    lines.push(`${colour}.png,a ${colour} square,${splitOf(i)}`, `${colour}.png,a ${colour} box on grey,${splitOf(i)}`);
  });
  writeFileSync(join(dir, 'captions.csv'), lines.join('\n') + '\n');
  return dir;
}

let lab: Lab;
const tmp = mkdtempSync(join(tmpdir(), 'clip-lab-small-'));
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
  rmSync(tmp, { recursive: true, force: true });
});

it('a 12-image dataset trains with the batch clamped; Use says which checkpoint; a 1-image dataset leaves no run', async () => {
  const { page } = lab;
  await chooseFolder(
    page,
    writeFolder(tmp, 'twelve', 12, (i) => (i < 8 ? 'train' : i < 10 ? 'val' : 'test')),
  );
  await waitForText(page, 'report-images', /^12$/, 120_000);
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-dataset').selectOption({ label: 'twelve' });
  await page.getByTestId('train-preset').selectOption('tiny');
  await page.getByTestId('train-epochs').fill('3');
  await page.getByTestId('train-backend').selectOption('wasm');
  const note = await waitForText(page, 'train-note', /Batch size 16 → 8/, 30_000);
  expect(note).toMatch(/8 distinct images/);
  await page.getByTestId('train-start').click();
  await waitForText(page, 'train-status', /done/, 300_000);
  expect(await page.getByTestId('train-note').textContent()).toMatch(/Batch size 16 → 8/); // still shown
  expect(await page.getByTestId('run-row').count()).toBe(1);
  expect(await page.getByTestId('error-banner').count()).toBe(0);
  // Evaluated (2 val images): the calibration card shows ECE and the classifier's AUC beside cosine's.
  await expect.poll(() => page.getByTestId('calibration-card').count(), { timeout: 10_000 }).toBe(1);
  expect(await page.getByTestId('calibration-ece').textContent()).toMatch(/after calibration, held out/);
  expect(await page.getByTestId('calibration-auc-random').textContent()).toMatch(
    /calibrated P\(match\) .* vs plain cosine .* raw classifier/,
  );
  console.log(`train note: ${note}\ncalibration: ${await page.getByTestId('calibration-ece').textContent()}`);
  if (process.env.SHOT) await page.getByTestId('calibration-card').screenshot({ path: process.env.SHOT });

  // Use: the best checkpoint by default, named with its step and the last one's.
  await page.getByTestId('tab-use').click();
  await page.getByTestId('use-run').selectOption({ index: 1 });
  await waitForText(page, 'model-summary', /^Loaded/, 120_000);
  const choice = await waitForText(page, 'model-choice', /best: step \d+, mean R@5 [\d.]+; last: step \d+/, 30_000);
  expect(choice).toMatch(/^Loaded the best checkpoint/);
  await page.getByTestId('use-checkpoint').selectOption('last');
  await waitForText(page, 'model-choice', /^Loaded the last checkpoint/, 60_000);
  expect(Number(await page.getByTestId('model-choice').getAttribute('data-step'))).toBe(Number(/last: step (\d+)/.exec(choice)![1]));

  // Score: a verdict line under the score; an empty caption is refused, not scored.
  await page.getByTestId('search-query').fill('a red square');
  await page.getByTestId('search-text-button').click();
  await expect.poll(() => page.getByTestId('search-result').count(), { timeout: 120_000 }).toBeGreaterThan(0);
  await page.getByTestId('search-result').first().click();
  await page.getByTestId('score-captions').fill('a red square');
  await page.getByTestId('score-button').click();
  const verdict = await waitForText(page, 'score-verdict', /^(Match|Unsure|No match)$/, 60_000);
  expect(verdict).toBeTruthy();
  console.log(`Use: ${choice}; verdict ${verdict}: ${await page.getByTestId('score-verdict-explanation').textContent()}`);
  expect(await page.getByTestId('score-verdict-explanation').textContent()).toMatch(
    /^P\(match\) [\d.]+( weighs the classifier and the cosine| is the classifier), calibrated on the validation split: .*\(Match ≥ 0\.7, No match ≤ 0\.3\)\.$/,
  );
  await page.getByTestId('score-captions').fill('?!');
  await page.getByTestId('score-button').click();
  await waitForText(page, 'error-message', /caption: expected at least one word to score, found "\?!"/, 30_000);
  await page.getByRole('button', { name: 'Dismiss error' }).click();

  // A 1-image dataset: the reason is shown before any run exists, Train is off, no run row appears.
  await page.getByTestId('tab-data').click();
  await chooseFolder(
    page,
    writeFolder(tmp, 'one', 1, () => 'train'),
  );
  await waitForText(page, 'report-images', /^1$/, 120_000);
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-dataset').selectOption({ label: 'one' });
  await waitForText(page, 'train-blocked', /cannot train: .*at least 2 training images with captions, found 1/, 30_000);
  expect(await page.getByTestId('train-start').isDisabled()).toBe(true);
  expect(await page.getByTestId('run-row').count()).toBe(0);
  lab.assertHealthy();
});
