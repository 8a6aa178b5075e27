// e2e: the MobileNetV2 download, with Playwright intercepting https://storage.googleapis.com and
// serving the nsfwjs fixture's layers MobileNetV2 (width 1.0) under the real URL's folder. Checks:
// no request to that origin before the click (the page's CSP lets it through: a blocked request
// would never reach the route), the size shown before the download, the byte progress bar, the
// backbone stored and selected with its source URL; after a reload with every request to the
// origin aborted, the stored backbone is still usable (Compute features runs) and Download takes
// it from the store without a request.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Route } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MOBILENET_V2_IMAGENET } from '../../src/model/backboneSources';
import { writeNsfwjsFixture } from '../fixtures/nsfwjs';
import { a11yViolations, chooseFolder, openLab, waitForText, type Lab } from './harness';

const URL_ = MOBILENET_V2_IMAGENET.url;
const ORIGIN = new URL(URL_).origin;
const FOLDER = URL_.slice(0, URL_.lastIndexOf('/') + 1);

let lab: Lab;
const tmp = mkdtempSync(join(tmpdir(), 'clip-lab-download-'));
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Six 48×48 PNGs of coloured squares with captions (4 train, 1 val, 1 test). */
function writeFolder(): string {
  const dir = join(tmp, 'squares');
  mkdirSync(dir, { recursive: true });
  const colours: [string, number[]][] = [
    ['red', [220, 30, 30]],
    ['green', [30, 180, 60]],
    ['blue', [40, 70, 220]],
    ['yellow', [235, 210, 40]],
    ['black', [15, 15, 15]],
    ['white', [245, 245, 245]],
  ];
  const lines = ['image,caption,split'];
  colours.forEach(([name, rgb], i) => {
    const img = new PNG({ width: 48, height: 48 });
    for (let p = 0; p < 48 * 48; p++) img.data.set([...rgb, 255], p * 4);
    writeFileSync(join(dir, `${name}.png`), PNG.sync.write(img));
    lines.push(`${name}.png,a ${name} square,${i < 4 ? 'train' : i === 4 ? 'val' : 'test'}`);
  });
  writeFileSync(join(dir, 'captions.csv'), `${lines.join('\n')}\n`);
  return dir;
}

it('downloads MobileNetV2 only on click, shows its size and progress, stores it, and uses it offline after a reload', async () => {
  const { page, context } = lab;
  const fixture = writeNsfwjsFixture('mobilenet_v2');
  const asked: string[] = [];
  let offline = false;
  let notFound = true; // the first try answers 404

  let release!: () => void;
  const shardGate = new Promise<void>((r) => (release = r));
  await context.route(`${ORIGIN}/**`, async (route: Route) => {
    const url = route.request().url();
    asked.push(url);
    if (offline || !url.startsWith(FOLDER)) return route.abort('internetdisconnected');
    if (notFound) return route.fulfill({ status: 404, headers: { 'Access-Control-Allow-Origin': '*' }, body: 'Not Found' });
    const name = url.slice(FOLDER.length);
    if (name !== 'model.json') await shardGate; // hold the shard until the test has seen the progress bar
    await route.fulfill({
      status: 200,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Content-Type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      },
      body: readFileSync(join(fixture, name)),
    });
  });

  await chooseFolder(page, writeFolder());
  await waitForText(page, 'report-images', /^6$/, 120_000);
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-dataset').selectOption({ label: 'squares' });
  await page.getByTestId('train-preset').selectOption('tiny');
  await page.getByTestId('tower-backbone').check();
  await expect.poll(() => page.getByTestId('download-backbone').count()).toBe(1);
  expect(asked).toEqual([]); // nothing before the click
  expect(await a11yViolations(page, '[data-testid="image-tower"]')).toEqual([]);

  // An HTTP error is shown in the download's own banner, and the button comes back.
  await page.getByTestId('download-backbone').click();
  await waitForText(page, 'error-message', /model\.json: expected HTTP 200, found 404/, 30_000);
  expect(await page.getByTestId('backbone-download').getByTestId('error-banner').textContent()).toMatch(/^Could not download MobileNetV2/);
  await page.getByRole('button', { name: 'Dismiss error' }).click();
  notFound = false;
  asked.length = 0;

  // First click: model.json alone, then the exact size (from the manifest) and the origin.
  await page.getByTestId('download-backbone').click();
  const size = await waitForText(page, 'download-size', /MB of weights/, 30_000);
  const weightBytes = readFileSync(join(fixture, 'group1-shard1of1.bin')).length;
  expect(size).toContain(`(${weightBytes.toLocaleString('en')} bytes in one file) from ${ORIGIN}`);
  expect(asked).toEqual([URL_]);
  expect(await page.getByTestId('download-confirm').textContent()).toBe(`Download ${(weightBytes / 1e6).toFixed(1)} MB`);

  // Second click: the progress bar (bytes) while the shard is held, then stored and selected.
  await page.getByTestId('download-confirm').click();
  await expect.poll(() => page.getByTestId('download-progress').count(), { timeout: 30_000 }).toBe(1);
  expect(await page.getByTestId('download-progress').getByRole('progressbar').getAttribute('aria-valuemax')).toBe(String(weightBytes));
  expect(await page.getByTestId('download-cancel').count()).toBe(1);
  release();
  const found = await waitForText(page, 'backbone-found', /1280 features/, 180_000);
  console.log(`downloaded: ${size} -> ${found}`);
  expect(found).toMatch(/^MobileNetV2 \(ImageNet\): layers model, input 224×224 RGB, values in \[-1, 1\]/);
  expect(found).toContain(`downloaded from ${ORIGIN}, stored in this browser`);
  expect(await page.getByTestId('backbone-found').getAttribute('data-source')).toBe(URL_);
  expect(asked).toEqual([URL_, `${FOLDER}group1-shard1of1.bin`]);
  const sha = await page.getByTestId('backbone-found').getAttribute('data-sha256');

  // Offline: every request to the origin aborted. The stored backbone still computes features,
  // and Download takes it from the store without asking the network.
  offline = true;
  asked.length = 0;
  await page.reload({ waitUntil: 'commit' });
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-dataset').selectOption({ label: 'squares' });
  await waitForText(page, 'backbone-found', /1280 features/, 60_000); // the draft kept it
  await page.getByTestId('flip-views').uncheck();
  await page.getByTestId('compute-features').click();
  await waitForText(page, 'features-status', /Features ready \(6 image views\)/, 180_000);
  await page.getByTestId('download-backbone').click();
  await expect.poll(() => page.getByTestId('backbone-busy').count(), { timeout: 30_000, interval: 50 }).toBe(1); // reading the stored files
  await expect.poll(() => page.getByTestId('backbone-busy').count(), { timeout: 120_000 }).toBe(0);
  expect(await page.getByTestId('backbone-found').getAttribute('data-sha256')).toBe(sha);
  // (A reload with imageTower=backbone in the address bar also shows "The link's training settings
  // were not used": links leave the backbone out. Not this feature's; the download shows no error.)
  expect(await page.getByTestId('backbone-download').getByTestId('error-banner').allTextContents()).toEqual([]);
  expect(asked).toEqual([]);
  lab.assertHealthy();
});
