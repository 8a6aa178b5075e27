// How far Node's image preprocessing (cli/image.ts) is from the browser's ingestion
// (src/data/decode.ts preprocessImage in Chromium): mean and max absolute difference per channel
// value at the stored side, over the first 20 images of each shared dataset (npm run bench:preprocess).

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFolder } from '../cli/dataset';
import { STORED_IMAGE_SIZE } from '../src/ingest/constants';
import { decodeImageFile } from '../cli/image';
import { buildBenchPage, openBenchBrowser, type BenchBrowser } from './lib/browser';
import { machineInfo } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';

export interface PreprocessRow {
  dataset: string;
  images: number;
  side: number;
  meanAbs: number; // levels (0..255)
  maxAbs: number;
  within2: number; // fraction of channel values
  within8: number;
  within32: number;
}

async function compare(browser: BenchBrowser, dir: string, n: number): Promise<PreprocessRow> {
  const { plan } = loadFolder(dir, { limit: 1 });
  let sum = 0,
    count = 0,
    worst = 0;
  const within = [0, 0, 0]; // values within 2, 8, 32 levels
  const images = plan.images.slice(0, n);
  for (const img of images) {
    const bytes = readFileSync(join(dir, img.path));
    const node = decodeImageFile(bytes, img.name, STORED_IMAGE_SIZE).pixels;
    const page = await browser.run<number[]>('preprocess', [bytes.toString('base64'), img.name, STORED_IMAGE_SIZE], 60_000);
    for (let i = 0; i < node.length; i++) {
      const d = Math.abs(node[i] - page[i]);
      sum += d;
      count++;
      worst = Math.max(worst, d);
      if (d <= 2) within[0]++;
      if (d <= 8) within[1]++;
      if (d <= 32) within[2]++;
    }
  }
  return {
    dataset: basename(dir),
    images: images.length,
    side: STORED_IMAGE_SIZE,
    meanAbs: sum / count,
    maxAbs: worst,
    within2: within[0] / count,
    within8: within[1] / count,
    within32: within[2] / count,
  };
}

const DATASETS = ['flickr8k-originals', 'flickr8k-224'].map((d) => fileURLToPath(new URL(`../../shared/datasets/${d}`, import.meta.url)));

export async function benchPreprocess(n = 20): Promise<ResultFile<PreprocessRow>> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  buildBenchPage('app');
  const browser = await openBenchBrowser('app');
  const rows: PreprocessRow[] = [];
  try {
    machine.chromium = browser.version;
    for (const dir of DATASETS.filter((d) => existsSync(d))) {
      const r = await compare(browser, dir, n);
      rows.push(r);
      console.log(
        `${r.images} images of ${r.dataset} at ${r.side} px: mean |Node - Chromium| ${r.meanAbs.toFixed(2)} levels, max ${r.maxAbs}; within 2 levels ${(100 * r.within2).toFixed(1)}%, within 8 ${(100 * r.within8).toFixed(1)}%`,
      );
    }
  } finally {
    await browser.close();
  }
  const file: ResultFile<PreprocessRow> = {
    version: 1,
    benchmark: 'preprocess',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      'Same files, same centre crop, same stored side: the difference is the resampling filter (exact area average in Node; Chromium\'s canvas "high" quality filter) and JPEG decoder rounding (jpeg-js vs libjpeg-turbo).',
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchPreprocess();
  (await import('./report')).writeReport();
}
