// e2e: train `tiny` on the built-in sample for two epochs → a text search puts matching images at
// the top, and an image's own caption outranks a caption of another scene; export → a file
// arrives; reload, import it → the same two probabilities to 1e-6; each bad model file gives its
// own error and the loaded model still scores the same; the imported (finished) model trains one more epoch.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SAMPLE_COLORS, SAMPLE_SHAPES } from '../../src/data/sample';
import { openLab, trainTinyOnSample, waitForText, type Lab } from './harness';

let lab: Lab;
const dir = mkdtempSync(join(tmpdir(), 'clip-lab-use-'));
beforeAll(async () => {
  lab = await openLab();
});
afterAll(async () => {
  await lab?.close();
});

/** A minimal safetensors writer for the hostile files (independent of the app's writer). */
function safetensors(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function withMetadata(file: Uint8Array, patch: Record<string, string>): Uint8Array {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n)));
  header.__metadata__ = { ...header.__metadata__, ...patch };
  return safetensors(header, file.subarray(8 + n));
}

const COLOURS = Object.keys(SAMPLE_COLORS);
const SHAPES: string[] = [...SAMPLE_SHAPES];

/** The same sentence about another scene: every colour and shape word replaced by one the caption lacks. */
function otherScene(caption: string): string {
  const words = caption.split(' ');
  const unused = (pool: string[]) => pool.filter((w) => !words.includes(w));
  const colours = unused(COLOURS);
  const shapes = unused(SHAPES);
  return words.map((w) => (COLOURS.includes(w) ? colours.shift()! : SHAPES.includes(w) ? shapes.shift()! : w)).join(' ');
}

/** Searches by text; picks the top result for Score; returns its index, its caption, every result's caption. */
async function pickSearchResult(query: string): Promise<{ index: string; own: string; captions: string[] }> {
  const { page } = lab;
  await page.getByTestId('search-query').fill(query);
  await page.getByTestId('search-text-button').click();
  await expect.poll(() => page.getByTestId('search-result').count(), { timeout: 180_000 }).toBeGreaterThan(3);
  const first = page.getByTestId('search-result').first();
  const own = (await first.getByTestId('search-result-caption').textContent()) ?? '';
  const captions = await page.getByTestId('search-result-caption').allTextContents();
  const index = (await first.getAttribute('data-index')) ?? '';
  await first.click();
  await waitForText(page, 'score-image-label', new RegExp(`#${index}$`));
  return { index, own, captions };
}

async function score(captions: string[]): Promise<number[]> {
  const { page } = lab;
  await page.getByTestId('score-captions').fill(captions.join('\n'));
  await page.getByTestId('score-button').click();
  await expect.poll(() => page.getByTestId('score-row').count(), { timeout: 60_000 }).toBe(captions.length);
  const rows = await page
    .getByTestId('score-row')
    .evaluateAll((els) => els.map((e) => [e.querySelector('td')!.textContent, Number(e.getAttribute('data-probability'))] as const));
  const byCaption = new Map(rows);
  return captions.map((c) => byCaption.get(c)!);
}

it('scores, exports, re-imports identically, searches, and rejects bad files', async () => {
  const { page } = lab;
  await trainTinyOnSample(page, { epochs: 2, checkpointEverySteps: 50, backend: 'wasm' });
  await waitForText(page, 'train-status', /done/, 480_000);

  await page.getByTestId('tab-use').click();
  await page.getByTestId('use-run').selectOption({ index: 1 });
  await waitForText(page, 'model-summary', /^Loaded/, 120_000);
  // A model trained for it finds what was asked for: most of the top results show a red circle
  // (by chance about 1 in 20 sample scenes has one), and the picked image's own caption
  // outranks the same sentence about another scene.
  const picked = await pickSearchResult('red circle');
  const redCircles = picked.captions.slice(0, 10).filter((c) => /\bred circle\b/.test(c));
  console.log(`search "red circle": ${redCircles.length} of the top ${Math.min(10, picked.captions.length)} captions name a red circle`);
  expect(redCircles.length).toBeGreaterThanOrEqual(3); // 5 seen; at chance P(>= 3) is about 2%
  const other = otherScene(picked.own);
  expect(other).not.toBe(picked.own);
  const before = await score([picked.own, other]);
  for (const p of before) expect(p).toBeGreaterThanOrEqual(0), expect(p).toBeLessThanOrEqual(1);
  console.log(`P(match): own caption ${before[0].toFixed(3)}, other scene ${before[1].toFixed(3)} ("${picked.own}" vs "${other}")`);
  expect(before[0]).toBeGreaterThan(before[1]);
  expect(await page.getByTestId('score-probability').getAttribute('data-value')).toBe(String(before[0]));

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-weights').click()]);
  const exported = join(dir, download.suggestedFilename());
  await download.saveAs(exported);
  expect(exported).toMatch(/\.clip\.safetensors$/);
  const bytes = new Uint8Array(readFileSync(exported));
  expect(bytes.length).toBeGreaterThan(1000);
  // The file carries the stacked calibration P = sigmoid(wz·logit + wc·cosine + b), and the page says so.
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const calibration = JSON.parse(header.__metadata__.calibration);
  console.log(`exported calibration: ${header.__metadata__.calibration}`);
  expect(calibration).toMatchObject({ method: 'stacked' });
  for (const w of ['wz', 'wc', 'b']) expect(Number.isFinite(calibration[w])).toBe(true);
  expect(await page.getByTestId('model-calibration').textContent()).toMatch(/weighs the classifier and the cosine/);
  expect(await page.getByTestId('score-verdict-explanation').textContent()).toMatch(
    /^P\(match\) [\d.]+ weighs the classifier and the cosine, calibrated on the validation split: /,
  );

  await page.reload({ waitUntil: 'commit' });
  await page.getByTestId('tab-use').click();
  await page.getByTestId('import-input').setInputFiles(exported);
  await waitForText(page, 'model-summary', /^Loaded/, 120_000);
  const again = await pickSearchResult('red circle');
  expect(again.index).toBe(picked.index);
  const after = await score([picked.own, other]);
  expect(Math.abs(after[0] - before[0])).toBeLessThan(1e-6);
  expect(Math.abs(after[1] - before[1])).toBeLessThan(1e-6);

  // Hostile files: each gets its own error; the loaded model is untouched.
  const summary = await page.getByTestId('model-summary').textContent();
  const huge = new Uint8Array(64);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
  const bad: [string, Uint8Array, RegExp][] = [
    ['empty.clip.safetensors', new Uint8Array(0), /empty|0 bytes/i],
    ['truncated.clip.safetensors', bytes.subarray(0, Math.floor(bytes.length / 2)), /truncated|shorter|ends/i],
    ['random.safetensors', random, /header|bytes/i],
    ['huge-header.safetensors', huge, /header/i],
    [
      'bert.safetensors',
      safetensors({ 'bert.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /not a CLIP Lab/i,
    ],
    ['future.clip.safetensors', withMetadata(bytes, { format_version: '99' }), /newer/i],
  ];
  for (const [name, content, re] of bad) {
    const path = join(dir, name);
    writeFileSync(path, content);
    await page.getByTestId('import-input').setInputFiles(path);
    await waitForText(page, 'error-message', re, 30_000);
    expect(await page.getByTestId('error-banner').textContent()).toContain(name);
    expect(await page.getByTestId('model-summary').textContent()).toBe(summary);
    await page.getByRole('button', { name: 'Dismiss error' }).click();
  }
  const still = await score([picked.own, other]);
  expect(Math.abs(still[0] - before[0])).toBeLessThan(1e-6);

  // The imported model continues training from its step, optimizer state included.
  await page.getByTestId('tab-train').click();
  await page.getByTestId('train-backend').selectOption('wasm');
  const imported = page.getByTestId('run-row').filter({ hasText: '(imported)' });
  const cont = imported.getByTestId('run-resume');
  const label = (await cont.textContent()) ?? '';
  expect(label).toMatch(/^Train one more epoch from step \d+$/); // it finished its two epochs
  const from = Number(/step (\d+)/.exec(label)?.[1]);
  expect(from).toBeGreaterThanOrEqual(10);
  await cont.click();
  await expect
    .poll(
      async () =>
        Number(
          await page
            .getByTestId('train-last')
            .getAttribute('data-step')
            .catch(() => '0'),
        ),
      { timeout: 120_000 },
    )
    .toBeGreaterThan(from + 2);
  await page.getByTestId('train-stop').click();
  await waitForText(page, 'train-status', /stopped|done/, 120_000);
  lab.assertHealthy();
});
