// e2e: on the built-in sample dataset, Train with `tiny` on WebGPU (SwiftShader here) → the charts
// draw points and the loss falls; reload mid-run → Resume continues from the checkpoint step with
// the earlier curve still drawn; a forced WebGL run trains too.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openLab, trainTinyOnSample, waitForText, type Lab } from './harness';

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

async function lastStep(lab: Lab): Promise<{ step: number; loss: number; firstLoss: number }> {
  const el = lab.page.getByTestId('train-last');
  return {
    step: Number(await el.getAttribute('data-step')),
    loss: Number(await el.getAttribute('data-loss')),
    firstLoss: Number(await el.getAttribute('data-first-loss')),
  };
}

async function setField(lab: Lab, id: string, value: string) {
  await lab.page.getByTestId(id).fill(value);
}

it('trains tiny on webgpu with live charts, resumes after a reload, and trains on webgl', async () => {
  const { page } = lab;
  await trainTinyOnSample(page, { epochs: 1, checkpointEverySteps: 5, maxEvalImages: 50, backend: 'webgpu' });
  await waitForText(page, 'backend-name', /^webgpu$/, 60_000);

  await expect.poll(async () => (await lastStep(lab)).step, { timeout: 240_000, interval: 1000 }).toBeGreaterThanOrEqual(12);
  const pts = Number(await page.getByTestId('chart-loss').getAttribute('data-points'));
  expect(pts).toBeGreaterThan(5);
  expect(await page.locator('[data-testid=chart-loss] .recharts-line-curve').count()).toBeGreaterThan(0);
  const runStep = async () => parseInt((await page.getByTestId('run-step').first().textContent()) ?? '0', 10);
  await expect.poll(runStep, { timeout: 60_000 }).toBeGreaterThanOrEqual(5);
  const before = await lastStep(lab);
  expect(before.loss).toBeLessThan(before.firstLoss);

  // Reload mid-run: the run is listed as interrupted with its checkpoint step.
  await page.reload({ waitUntil: 'commit' });
  await page.getByTestId('tab-train').click();
  const row = page.getByTestId('run-row').first();
  await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');
  expect(await row.getByTestId('run-settings').textContent()).toBe(
    'tiny · CNN from scratch, 32 px, channels 8-16-32 · 1-D conv text · 1 epoch, batch 16, lr 0.003',
  );
  const resumeBtn = row.getByTestId('run-resume');
  const label = (await resumeBtn.textContent()) ?? '';
  const ckptStep = Number(/step (\d+)/.exec(label)?.[1]);
  expect(ckptStep).toBeGreaterThanOrEqual(5);
  await page.getByTestId('train-backend').selectOption('webgpu');
  await resumeBtn.click();
  await expect
    .poll(
      async () =>
        Number(
          await page
            .getByTestId('chart-loss')
            .getAttribute('data-points')
            .catch(() => '0'),
        ),
      { timeout: 60_000 },
    )
    .toBeGreaterThanOrEqual(ckptStep);
  await expect.poll(async () => (await lastStep(lab)).step, { timeout: 240_000, interval: 1000 }).toBeGreaterThan(ckptStep);
  await page.getByTestId('train-stop').click();
  await waitForText(page, 'train-status', /stopped|done/, 120_000);

  // A forced WebGL run trains too.
  await page.getByTestId('train-backend').selectOption('webgl');
  await setField(lab, 'train-epochs', '1');
  await page.getByTestId('train-start').click();
  await waitForText(page, 'backend-name', /^webgl$/, 60_000);
  await expect.poll(async () => (await lastStep(lab)).step, { timeout: 240_000, interval: 1000 }).toBeGreaterThanOrEqual(3);
  await page.getByTestId('train-stop').click();
  await waitForText(page, 'train-status', /stopped|done/, 120_000);
  lab.assertHealthy();
});
