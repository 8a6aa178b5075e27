// e2e, issue 10's first-run journey. At 390 px (a phone): every panel fits the screen (document
// width ≤ viewport) with no serious/critical axe-core violations, a reload mid-run shows the
// interrupted-run banner whose Resume continues from the checkpoint, and after training Use has the
// run loaded. With the keyboard only (Tab, Enter, Space, arrows): import the sample, train `tiny`,
// "Try it", score an uploaded image, export and import a model file; axe-core on each panel.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileChooser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterEach, expect, it } from 'vitest';
import {
  a11yViolations,
  horizontalOverflow,
  openLab,
  showAdvancedSettings,
  tabTo,
  trainTinyOnSample,
  waitForText,
  type Lab,
} from './harness';

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'clip-lab-ux-'));

/** A 64×64 PNG: a red disc on white, for scoring. */
function discPng(): string {
  const png = new PNG({ width: 64, height: 64 });
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) {
      const i = 4 * (64 * y + x);
      const inside = (x - 32) ** 2 + (y - 32) ** 2 < 18 ** 2;
      png.data.set(inside ? [220, 30, 30, 255] : [255, 255, 255, 255], i);
    }
  const path = join(dir, 'red-disc.png');
  writeFileSync(path, PNG.sync.write(png));
  return path;
}

async function expectFitsAndAccessible(lab: Lab, panel: string) {
  const overflow = await horizontalOverflow(lab.page);
  expect(overflow, `${panel}: document wider than the viewport by ${overflow} px`).toBeLessThanOrEqual(0);
  expect(await a11yViolations(lab.page), `${panel}: axe-core violations`).toEqual([]);
}

const trainStep = async (l: Lab) =>
  Number(
    await l.page
      .getByTestId('train-last')
      .getAttribute('data-step')
      .catch(() => '0'),
  );

it('fits 390 px on every panel, resumes an interrupted run from the banner, and Use has the run loaded', async () => {
  lab = await openLab();
  const { page } = lab;
  await page.setViewportSize({ width: 390, height: 844 });
  await trainTinyOnSample(page, { epochs: 1, checkpointEverySteps: 5, maxEvalImages: 50, backend: 'wasm' });
  await page.getByTestId('tab-data').click();
  await expectFitsAndAccessible(lab, 'Data');

  await page.getByTestId('tab-train').click();
  await expect.poll(() => trainStep(lab!), { timeout: 240_000, interval: 1000 }).toBeGreaterThanOrEqual(3);
  await expectFitsAndAccessible(lab, 'Train (live charts)');
  const runStep = async () => parseInt((await page.getByTestId('run-step').first().textContent()) ?? '0', 10);
  await expect.poll(runStep, { timeout: 120_000 }).toBeGreaterThanOrEqual(5);

  // Reload mid-run: the banner names the run and its checkpoint step; Resume continues from there.
  await page.reload({ waitUntil: 'commit' });
  const banner = page.getByTestId('interrupted-banner');
  await banner.waitFor({ timeout: 30_000 });
  const resume = banner.getByTestId('interrupted-resume');
  const from = Number(/step (\d+)/.exec((await resume.textContent()) ?? '')?.[1]);
  expect(from).toBeGreaterThanOrEqual(5);
  expect(await banner.textContent()).toContain(`interrupted at step ${from}`);
  await expectFitsAndAccessible(lab, 'Data with the interrupted-run banner');
  await resume.click();
  await expect.poll(() => page.getByTestId('tab-train').getAttribute('aria-selected')).toBe('true');
  await expect.poll(() => banner.count()).toBe(0);
  await expect.poll(() => trainStep(lab!), { timeout: 240_000, interval: 1000 }).toBeGreaterThan(from);
  await waitForText(page, 'train-status', /^done — trained \d+ steps$/, 600_000);
  const bar = page.locator('[data-testid=train-progress] [role=progressbar]');
  expect(await bar.getAttribute('aria-valuenow')).toBe(await bar.getAttribute('aria-valuemax'));
  await expectFitsAndAccessible(lab, 'Train (done)');

  // After training, Use has the run loaded, without choosing it.
  await page.getByTestId('tab-use').click();
  await waitForText(page, 'model-summary', /^Loaded: tiny preset/, 120_000);
  await page.getByTestId('use-just-trained').waitFor();
  await expectFitsAndAccessible(lab, 'Use');
  lab.assertHealthy();
});

it('goes from sample to a scored image and an imported model with the keyboard only', async () => {
  lab = await openLab();
  const { page } = lab;
  const key = (k: string) => page.keyboard.press(k);
  const choosers = watchFileChoosers(lab);

  await tabTo(page, 'load-sample');
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(ring, 'focus must be visible').not.toBe('none');
  await key('Enter');
  await waitForText(page, 'report-images', /^2,000$/, 120_000);
  await expect.poll(() => a11yViolations(page)).toEqual([]);

  // Tabs (back up past the gallery's tiles with Shift+Tab): arrow keys move between them.
  await tabTo(page, 'tab-data', 80, 'Shift+Tab');
  await key('ArrowRight');
  expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.testid)).toBe('tab-train');
  await expect.poll(() => page.getByTestId('tab-train').getAttribute('aria-selected')).toBe('true');
  await waitForText(page, 'preset-note', /^Preset chosen for you — tiny: /, 30_000);
  expect(await page.getByTestId('train-preset').inputValue()).toBe('tiny');
  await tabTo(page, 'train-backend');
  for (let i = 0; i < 3; i++) await key('ArrowDown'); // auto → webgpu → webgl → wasm
  expect(await page.getByTestId('train-backend').inputValue()).toBe('wasm');
  await tabTo(page, 'train-epochs');
  await key('ControlOrMeta+a');
  await page.keyboard.type('1');
  await page.getByTestId('train-advanced').locator('summary').focus(); // the next Tab stop after the basic fields
  await key('Enter');
  expect(await page.getByTestId('train-advanced').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  await tabTo(page, 'train-maxEvalImages');
  await key('ControlOrMeta+a');
  await page.keyboard.type('50');
  await tabTo(page, 'train-start');
  await key('Enter');
  await waitForText(page, 'train-status', /^done — trained \d+ steps$/, 600_000);
  expect(await a11yViolations(page)).toEqual([]);
  expect(new URL(page.url()).searchParams.get('epochs')).toBe('1'); // the address links to these settings

  // "Try it" opens Use with the run loaded; choose an image with Enter and score it.
  await tabTo(page, 'train-try-it');
  await key('Enter');
  await waitForText(page, 'model-summary', /^Loaded: tiny preset/, 120_000);
  await tabTo(page, 'choose-image');
  await waitForEnabledFocus(page, 'choose-image'); // Use may still be settling (loading the run) when focus arrives
  await (await choosers.open(() => key('Enter'), 'Enter on "Choose image…"')).setFiles(discPng());
  await waitForText(page, 'score-image-label', /red-disc\.png/);
  await tabTo(page, 'score-captions');
  await page.keyboard.type('a red circle');
  await tabTo(page, 'score-button');
  await key('Enter');
  await expect
    .poll(
      async () =>
        Number(
          await page
            .getByTestId('score-probability')
            .getAttribute('data-value')
            .catch(() => 'NaN'),
        ),
      { timeout: 60_000 },
    )
    .toBeGreaterThanOrEqual(0);
  expect(await a11yViolations(page)).toEqual([]);

  // Export with Enter, then import the file through the "Import weights…" button.
  await tabTo(page, 'export-weights');
  const [download] = await Promise.all([page.waitForEvent('download'), key('Enter')]);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  await tabTo(page, 'import-weights');
  await (await choosers.open(() => key('Space'), 'Space on "Import weights…"')).setFiles(file);
  await waitForText(page, 'model-summary', /^Loaded: tiny preset/, 120_000);
  await expect
    .poll(async () => (await page.getByTestId('use-run').locator('option').allTextContents()).some((t) => t.includes('(imported)')))
    .toBe(true);
  lab.assertHealthy();
});

it('a link carries the Train settings; a bad link says why it was not used', async () => {
  lab = await openLab({ query: '?preset=tiny&epochs=3&batchSize=8' });
  const { page } = lab;
  await page.getByTestId('tab-train').click();
  await waitForText(page, 'preset-note', /^Settings from the link/, 30_000);
  expect(await page.getByTestId('train-epochs').inputValue()).toBe('3');
  expect(await page.getByTestId('train-batchSize').inputValue()).toBe('8');
  await showAdvancedSettings(page);
  await page.getByTestId('train-weightDecay').fill('0.01');
  await expect.poll(() => new URL(page.url()).searchParams.get('weightDecay')).toBe('0.01');
  await page.goto(`${lab.url}?preset=tiny&epochs=0`, { waitUntil: 'commit' });
  await waitForText(page, 'error-message', /config\.epochs: expected an integer in \[1, 10000\], found 0/, 30_000);
});

/**
 * File choosers the page opens, intercepted from the start. A `waitForEvent('filechooser')` armed
 * in the same Promise.all as the key press turns Chromium's interception on in a protocol message
 * that may reach the browser after the key (nothing orders the two), and a chooser opened before
 * interception is on never reaches the test. On a miss the error carries the console's last lines
 * (Chromium logs a chooser refused for want of a user activation).
 */
function watchFileChoosers(lab: Lab) {
  const seen: FileChooser[] = [];
  lab.page.on('filechooser', (c) => seen.push(c));
  return {
    async open(press: () => Promise<void>, what: string): Promise<FileChooser> {
      const before = seen.length;
      await press();
      try {
        await expect.poll(() => seen.length, { timeout: 30_000 }).toBeGreaterThan(before);
      } catch {
        const focus = await lab.page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? 'none');
        throw new Error(`${what} opened no file chooser in 30 s (focus on ${focus}); console:\n${lab.consoleLines.slice(-20).join('\n')}`);
      }
      return seen[before];
    },
  };
}

/** Waits until the focused element is `testId` and enabled (a busy panel disables its buttons for a moment). */
async function waitForEnabledFocus(page: import('playwright-core').Page, testId: string): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(() => {
          const el = document.activeElement as HTMLButtonElement | null;
          return el ? `${el.dataset.testid}:${el.disabled ? 'disabled' : 'enabled'}` : 'none';
        }),
      { timeout: 60_000 },
    )
    .toBe(`${testId}:enabled`);
}
