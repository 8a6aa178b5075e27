// e2e: a model trained by the Python package (python -m clip_lab.train, PyTorch, flickr8k-originals,
// 12 steps) imports into the page through the Use panel, scores, and its metrics history (12
// step entries and the final val evaluation) shows in the Train panel when its run is viewed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { decodeModelFile } from '../../src/io/modelFile';
import { chooseFolder, openLab, REPO_ROOT, SHARED_DATASETS, waitForText, type Lab } from './harness';
import { itWithData } from '../datasets';

const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const STEPS = 12;

let lab: Lab;
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

itWithData('flickr8k-originals')('imports a Python-trained file, scores with it and shows its metrics history', async () => {
  const data = join(SHARED_DATASETS, 'flickr8k-originals');
  const out = join(mkdtempSync(join(tmpdir(), 'clip-lab-python-')), 'python.clip.safetensors');
  const py = spawnSync(PYTHON, ['-m', 'clip_lab.train', '--data', data, '--steps', String(STEPS), '--out', out, '--threads', '1'], {
    cwd: join(REPO_ROOT, 'python'),
    encoding: 'utf8',
    timeout: 300_000,
  });
  expect(py.status, `${py.stdout}\n${py.stderr}`).toBe(0);
  const saved = decodeModelFile(readFileSync(out)); // the lab's own reader, before the page sees it
  expect(saved.history.steps).toHaveLength(STEPS);
  const lastEval = saved.history.evals.at(-1)!;
  expect(lastEval.step).toBe(STEPS);

  const { page } = lab;
  await chooseFolder(page, data); // the Train panel lists runs of a stored dataset, and imported ones beside them
  await waitForText(page, 'report-images', /^120$/, 180_000);
  await page.getByTestId('tab-use').click();
  await page.getByTestId('import-input').setInputFiles(out);
  await waitForText(page, 'model-summary', new RegExp(`^Loaded: tiny preset.*step ${STEPS}`), 60_000);
  await page.getByTestId('score-image-input').setInputFiles(join(data, 'Flicker8k_Dataset/1000268201_693b08cb0e.jpg'));
  await waitForText(page, 'score-image-label', /1000268201_693b08cb0e\.jpg/);
  await page.getByTestId('score-captions').fill('A child in a pink dress is climbing up a set of stairs .\nTwo dogs run on the beach .');
  await page.getByTestId('score-button').click();
  await expect.poll(() => page.getByTestId('score-row').count(), { timeout: 60_000 }).toBe(2);

  await page.getByTestId('tab-train').click();
  const imported = page.getByTestId('run-row').filter({ hasText: '(imported)' });
  await expect.poll(() => imported.count(), { timeout: 30_000 }).toBe(1);
  await imported.getByRole('button', { name: 'View' }).click();
  await expect.poll(() => page.getByTestId('chart-loss').getAttribute('data-points'), { timeout: 30_000 }).toBe(String(STEPS));
  expect(await page.getByTestId('train-last').getAttribute('data-step')).toBe(String(STEPS));
  expect(Number(await page.getByTestId('train-last').getAttribute('data-loss'))).toBeCloseTo(saved.history.steps.at(-1)!.loss, 5);
  const summary = page.getByTestId('eval-summary');
  expect(Number(await summary.getAttribute('data-r1'))).toBeCloseTo((lastEval.i2t.r1 + lastEval.t2i.r1) / 2, 6);
  expect(await summary.textContent()).toContain(`${lastEval.images} images`);
  lab.assertHealthy();
});
