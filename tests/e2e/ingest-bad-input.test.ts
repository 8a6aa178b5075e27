// e2e: a folder of bad input built at runtime — a corrupt JPEG, a truncated one, a 0-byte .jpg,
// a text file named .png, an SVG, captions naming a missing image, and markup in captions and
// file names → the report names every skipped file with its reason and every missing image with
// its line; the markup shows as literal text and never runs; nothing crashes.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { chooseFolder, openLab, SHARED_DATASETS, waitForText, type Lab } from './harness';
import { itWithData } from '../datasets';

const PHOTOS = join(SHARED_DATASETS, 'flickr8k-originals', 'Flicker8k_Dataset');
const IMG_XSS = 'A dog <img src=x onerror=alert(1)> runs on the grass .';
const SCRIPT_XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">A child climbs the stairs .';
const NAME_XSS = '<img src=x onerror=alert(3)>.jpg'; // an image file without captions: listed by name

let lab: Lab;
let tmp: string;
const dialogs: string[] = [];

/** Writes the bad-input folder; returns its path. */
function buildFolder(): string {
  tmp = mkdtempSync(join(tmpdir(), 'clip-lab-bad-input-'));
  const root = join(tmp, 'bad-input');
  const images = join(root, 'images');
  mkdirSync(images, { recursive: true });
  copyFileSync(join(PHOTOS, '1000268201_693b08cb0e.jpg'), join(images, 'good1.jpg'));
  copyFileSync(join(PHOTOS, '1001773457_577c3a7d70.jpg'), join(images, 'good2.jpg'));
  copyFileSync(join(PHOTOS, '1002674143_1b742ab4b8.jpg'), join(images, NAME_XSS));
  const real = readFileSync(join(PHOTOS, '1003163366_44323f5815.jpg'));
  writeFileSync(join(images, 'truncated.jpg'), real.subarray(0, Math.floor(real.length * 0.4)));
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 251;
  writeFileSync(join(images, 'corrupt.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), garbage]));
  writeFileSync(join(images, 'empty.jpg'), '');
  writeFileSync(join(images, 'notes.png'), 'Shopping list: eggs, milk, bread.\nThis is not a picture.\n');
  writeFileSync(
    join(images, 'vector.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(4)"><rect width="10" height="10"/></svg>',
  );
  const csvField = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [
    'image,caption', //                                          line 1
    `good1.jpg,${csvField(IMG_XSS)}`, //                         line 2
    'good1.jpg,A brown dog runs .', //                           line 3
    `good2.jpg,${csvField(SCRIPT_XSS)}`, //                      line 4
    'good2.jpg,A girl goes into a wooden building .', //         line 5
    'corrupt.jpg,Scrambled bytes behind a JPEG header .', //    line 6
    'truncated.jpg,A photo cut off after 40% of its bytes .', // line 7
    'empty.jpg,Nothing at all .', //                             line 8
    'notes.png,A note pretending to be a picture .', //          line 9
    'vector.svg,A vector drawing .', //                          line 10
    'missing.jpg,A photo that is not in the folder .', //        line 11
    '<svg onload=alert(5)>.jpg,Markup as a missing name .', //   line 12
  ];
  writeFileSync(join(root, 'captions.txt'), lines.join('\n') + '\n');
  return root;
}

beforeAll(async () => {
  lab = await openLab();
  lab.page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
});
afterAll(async () => {
  await lab?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const items = (testId: string) => lab.page.getByTestId(testId).locator('li').allTextContents();

itWithData('flickr8k-originals')('reports every bad file with its reason and shows markup as text', async () => {
  const { page } = lab;
  await chooseFolder(page, buildFolder());
  await waitForText(page, 'report-images', /^2$/, 60_000);
  expect(await page.getByTestId('report-captions').textContent()).toBe('4');
  expect(await page.getByTestId('report-format').textContent()).toMatch(/Kaggle captions\.txt/);
  expect(await page.getByTestId('error-banner').count()).toBe(0);

  // Unreadable images: each with the reason its bytes give.
  expect(await page.getByTestId('report-corrupt-count').textContent()).toBe('5');
  const corrupt = await items('report-corrupt');
  expect(corrupt).toHaveLength(5);
  const reason = (name: string) => corrupt.find((t) => t.startsWith(`images/${name}: `))?.slice(`images/${name}: `.length);
  expect(reason('empty.jpg')).toBe('empty file (0 bytes)');
  expect(reason('notes.png')).toBe('not an image: expected PNG data, found text');
  expect(reason('vector.svg')).toBe('SVG is a vector format: convert it to PNG or JPEG to use it');
  expect(reason('corrupt.jpg')).toMatch(/^corrupt or truncated image data: the browser could not decode it/);
  expect(reason('truncated.jpg')).toMatch(/^(damaged image: the bottom \d+% is a flat fill|corrupt or truncated image data)/);

  // Captions naming images that are not there: file and line.
  expect(await page.getByTestId('report-missing-count').textContent()).toBe('2');
  expect(await items('report-missing')).toEqual(['captions.txt line 11: missing.jpg', 'captions.txt line 12: <svg onload=alert(5)>.jpg']);
  expect(await items('report-uncaptioned')).toEqual([NAME_XSS]);

  // The gallery shows both good images, their first captions as literal text.
  await expect.poll(() => page.getByTestId('gallery-thumb').count(), { timeout: 30_000 }).toBe(2);
  const captions = await page.getByTestId('gallery-caption').allTextContents();
  expect(captions.sort()).toEqual([IMG_XSS, SCRIPT_XSS].sort());
  await page.getByTestId('gallery-search').fill('onerror=alert(1)');
  await expect.poll(() => page.getByTestId('gallery-caption').allTextContents()).toEqual([IMG_XSS]);

  // ... and none of the markup became elements or ran.
  const dom = await page.evaluate(() => ({
    imgX: document.querySelectorAll('img[src="x"]').length,
    handlers: document.querySelectorAll('[onerror], [onload]').length,
    svg: document.querySelectorAll('main svg, .report svg').length,
    scripts: [...document.scripts].filter((s) => s.textContent?.includes('__xss')).length,
    flag: (window as unknown as { __xss?: unknown }).__xss ?? null,
  }));
  expect(dom).toEqual({ imgX: 0, handlers: 0, svg: 0, scripts: 0, flag: null });
  // Let the page render two more frames and run its pending tasks, so a stray handler would have fired.
  await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 0)))));
  expect(dialogs).toEqual([]);
  lab.assertHealthy();
});
