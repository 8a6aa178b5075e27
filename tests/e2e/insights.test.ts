// e2e: the insight pictures from real runs of `tiny` on the built-in sample: the batch similarity
// heatmap (its diagonal mean above its off-diagonal mean, hover shows a caption), the embedding map
// (one dot per val image, one line per caption), the worst mistakes (worst first, with
// thumbnails), the heatmap, map and mistakes again after a reload (stored per run), and the comparison of
// two runs (two distinct curves, two rows, log scale). Each card fits 390 px and has no serious axe issue.
// With SCREENSHOT_DIR=docs it also writes docs/insights-*.png.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { a11yViolations, type Lab, openLab, REPO_ROOT, showAdvancedSettings, waitForText } from './harness';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

const shotDir = process.env.SCREENSHOT_DIR ? join(REPO_ROOT, process.env.SCREENSHOT_DIR) : null;
async function shoot(testId: string, name: string) {
  if (!shotDir) return;
  const card = lab.page.getByTestId(testId).locator('xpath=ancestor::div[contains(@class, "insight-card")]');
  await card.screenshot({ path: join(shotDir, `insights-${name}.png`) });
}

const num = async (testId: string, attr: string) => Number(await lab.page.getByTestId(testId).getAttribute(attr));

/**
 * Trains `tiny` for one epoch on wasm; with `stopAtStep`, stops it once this run has trained that
 * many steps. The step is read only after the new run has started: until then the panel still
 * shows the previous run's steps, and stopping on those stopped the new run before its first step.
 */
async function trainTiny(opts: { stopAtStep?: number; learningRate?: string } = {}) {
  const { page } = lab;
  await page.getByTestId('train-preset').selectOption('tiny');
  await page.getByTestId('train-epochs').fill('1');
  if (opts.learningRate) await page.getByTestId('train-learningRate').fill(opts.learningRate);
  await showAdvancedSettings(page); // val images per eval sits under Advanced
  await page.getByTestId('train-maxEvalImages').fill('60');
  await page.getByTestId('train-backend').selectOption('wasm');
  await page.getByTestId('train-start').click();
  await expect
    .poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 60_000 })
    .toMatch(/^(starting|running)$/);
  if (opts.stopAtStep) {
    await expect
      .poll(
        async () =>
          Number(
            await page
              .getByTestId('train-last')
              .getAttribute('data-step', { timeout: 1000 })
              .catch(() => 0),
          ),
        { timeout: 240_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(opts.stopAtStep);
    await page.getByTestId('train-stop').click();
  }
  await waitForText(page, 'train-status', /^(done|stopped)/, 600_000);
}

it('draws the similarity heatmap, embedding map and worst mistakes from a real run', async () => {
  const { page } = lab;
  await page.getByTestId('load-sample').click();
  await waitForText(page, 'report-images', /^2,000$/, 120_000);
  await page.getByTestId('tab-train').click();
  await trainTiny();

  // Heatmap: the last batch's matching pairs are more similar than the rest.
  const heatmap = page.getByTestId('heatmap');
  const B = await num('heatmap', 'data-size');
  expect(B).toBe(16);
  const diag = await num('heatmap', 'data-diagonal-mean');
  const off = await num('heatmap', 'data-off-diagonal-mean');
  expect(diag).toBeGreaterThan(off + 0.05);
  const heatmapStep = await num('heatmap', 'data-step');
  expect(heatmapStep).toBeGreaterThan(10);
  const canvas = page.getByTestId('heatmap-canvas');
  const box = (await canvas.boundingBox())!;
  await canvas.hover({ position: { x: box.width * (2.5 / B), y: box.height * (2.5 / B) } }); // cell (2, 2): a matching pair
  await expect.poll(async () => ((await page.getByTestId('heatmap-caption').textContent()) ?? '').length).toBeGreaterThan(5);
  expect(await heatmap.locator('.heatmap-detail img').count()).toBe(1);
  await canvas.focus();
  await page.keyboard.press('ArrowRight'); // keyboard moves the picked cell to (2, 3)
  expect(await page.getByTestId('heatmap-detail').textContent()).toMatch(/image 3 × caption 4/);

  // Embedding map: one dot per val image evaluated, one square and one line per caption.
  const images = await num('embedding-map', 'data-images');
  const captions = await num('embedding-map', 'data-captions');
  expect(images).toBe(60);
  expect(captions).toBeGreaterThanOrEqual(images);
  expect(await page.getByTestId('map-image').count()).toBe(images);
  expect(await page.getByTestId('map-line').count()).toBe(captions);
  expect(await page.getByTestId('map-caption').count()).toBe(captions);
  const explained = ((await page.getByTestId('embedding-map').getAttribute('data-explained')) ?? '').split(',').map(Number);
  expect(explained[0]).toBeGreaterThan(explained[1]);
  expect(explained[0] + explained[1]).toBeLessThanOrEqual(1.0001);
  await page.getByTestId('embedding-svg').focus();
  await page.keyboard.press('ArrowRight');
  expect(await page.getByTestId('embedding-detail').locator('li').count()).toBeGreaterThan(0);

  // Worst mistakes: worst first, each with its thumbnail and two captions.
  const ranks = await page.getByTestId('mistake').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rank'))));
  expect(ranks.length).toBeGreaterThan(0);
  expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  await expect.poll(() => page.locator('[data-testid=mistake] img').count()).toBe(ranks.length);
  expect(((await page.getByTestId('mistake-preferred').first().textContent()) ?? '').length).toBeGreaterThan(5);

  await shoot('heatmap', 'heatmap');
  await shoot('embedding-map', 'map');
  await shoot('mistakes', 'mistakes');

  // The first run's map and mistakes come back from storage after a reload.
  await page.reload({ waitUntil: 'commit' });
  await page.getByTestId('tab-train').click();
  const rows = page.getByTestId('run-row');
  await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
  await rows.last().getByRole('button', { name: /view/i }).click();
  await expect.poll(() => num('embedding-map', 'data-images'), { timeout: 30_000 }).toBe(60);
  expect(await page.getByTestId('mistake').count()).toBe(ranks.length);
  // The heatmap shows the run's last stored batch, not an empty card.
  expect(await num('heatmap', 'data-step')).toBe(heatmapStep);
  expect(await num('heatmap', 'data-diagonal-mean')).toBe(diag);

  // At phone width every insight card fits: no sideways scroll of the section.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const widths = await page
    .getByTestId('insights')
    .evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, right: el.getBoundingClientRect().right }));
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
  expect(widths.right).toBeLessThanOrEqual(390);
  expect(await a11yViolations(page, '[data-testid=insights]')).toEqual([]);
  lab.assertHealthy();
});

it('run comparison overlays two runs as two distinct curves', async () => {
  const { page } = lab;
  // A second, shorter run at another learning rate: its loss curve differs from the first run's.
  await trainTiny({ stopAtStep: 12, learningRate: '0.001' });
  await expect.poll(() => num('run-compare', 'data-runs'), { timeout: 30_000 }).toBe(2);
  expect(await page.getByTestId('compare-row').count()).toBe(2);
  const steps = await page.getByTestId('compare-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-steps'))));
  expect(Math.min(...steps)).toBeGreaterThanOrEqual(12);
  expect(Math.max(...steps)).toBeGreaterThan(Math.min(...steps));
  // Both runs drawn (allow for a loaded machine: the stopped run's curves are read after its end).
  const compare = page.getByTestId('compare-chart');
  const paths = () => compare.locator('.recharts-line-curve').evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? ''));
  await expect.poll(async () => (await paths()).length, { timeout: 60_000 }).toBe(2);
  expect(await num('run-compare', 'data-curves')).toBe(2);
  const [a, b] = await paths();
  expect(a.split('L').length).toBeGreaterThan(2); // each a line through several points
  expect(b.split('L').length).toBeGreaterThan(2);
  expect(a).not.toBe(b);
  await page.getByTestId('compare-log').check();
  await expect.poll(() => compare.getAttribute('data-log')).toBe('true');
  expect(new Set(await paths()).size).toBe(2);
  await page.getByTestId('compare-log').uncheck();
  await shoot('run-compare', 'compare');
});
