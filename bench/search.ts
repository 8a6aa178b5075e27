// Search benchmark (npm run bench:search) in headless Chromium with the app's inference code:
// index build (embedImages of the `default` preset over 128 px stored pixels, a subset timed and
// extrapolated to Flickr8k's 7,000 images) and text -> top-10 latency over a 7,000-row index.

import os from 'node:os';
import { STORED_IMAGE_SIZE } from '../src/ingest/constants';
import type { BackendInfo } from '../src/use/backend';
import { buildBenchPage, openBenchBrowser } from './lib/browser';
import { machineInfo } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';
import type { IndexBenchResult, SearchBenchResult } from './lib/searchBench';

export interface SearchRow {
  what: string;
  backend: string;
  status: 'ok' | 'failed';
  result: string; // the headline number, formatted
  detail: string;
  raw?: IndexBenchResult | SearchBenchResult;
  loadAverage: number[];
}

// Batches of 64 timed per backend: fewer where a batch takes many seconds (software GPU).
const INDEX_IMAGES: Record<string, number> = { wasm: 448, webgl: 192, webgpu: 128 };
const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;

export async function benchSearchAll(): Promise<ResultFile<SearchRow>> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  buildBenchPage('app');
  const browser = await openBenchBrowser('app');
  const rows: SearchRow[] = [];
  const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
  const add = (r: SearchRow) => {
    rows.push(r);
    console.log(`${r.status.padEnd(7)} ${r.what.padEnd(40)} ${r.backend.padEnd(7)} ${r.result} ${r.detail}`);
  };
  try {
    machine.chromium = browser.version;
    machine.page = await browser.run('machine', [], 60_000);
    for (const backend of BACKENDS) {
      const loadAverage = load();
      try {
        const { result: r } = await browser.run<{ backend: BackendInfo; result: IndexBenchResult }>(
          'index',
          [backend, { preset: 'default', images: INDEX_IMAGES[backend], storedSide: STORED_IMAGE_SIZE }],
          480_000,
        );
        add({
          what: 'index build, default preset',
          backend,
          status: 'ok',
          raw: r,
          loadAverage,
          result: `${(r.extrapolatedMsFor7000 / 1000).toFixed(0)} s for 7,000 images (extrapolated)`,
          detail: `${r.images} images in ${(r.ms / 1000).toFixed(1)} s = ${r.imagesPerSec.toFixed(1)} images/s, convs ${r.convImpl}; first batch of 64 (warm-up) ${(r.warmupMs / 1000).toFixed(1)} s`,
        });
      } catch (err) {
        add({
          what: 'index build, default preset',
          backend,
          status: 'failed',
          result: '',
          detail: String((err as Error).message).split('\n')[0],
          loadAverage,
        });
      }
    }
    for (const backend of BACKENDS) {
      const loadAverage = load();
      try {
        const { result: r } = await browser.run<{ backend: BackendInfo; result: SearchBenchResult }>(
          'search',
          [backend, { preset: 'default', queries: 30 }],
          300_000,
        );
        add({
          what: 'text -> top-10 of 7,000, default preset',
          backend,
          status: 'ok',
          raw: r,
          loadAverage,
          result: `${r.total.median.toFixed(1)} ms median`,
          detail: `n=${r.total.n}, range ${r.total.min.toFixed(1)}–${r.total.max.toFixed(1)} ms; of which text encoder ${r.embedText.median.toFixed(1)} ms, topK scan over ${r.indexRows}×${r.dim} ${r.topK.median.toFixed(2)} ms`,
        });
      } catch (err) {
        add({
          what: 'text -> top-10 of 7,000, default preset',
          backend,
          status: 'failed',
          result: '',
          detail: String((err as Error).message).split('\n')[0],
          loadAverage,
        });
      }
    }
  } finally {
    await browser.close();
  }
  const file: ResultFile<SearchRow> = {
    version: 1,
    benchmark: 'search',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      `Index build: embedImages (the app's batch-64 image embedding, resize from ${STORED_IMAGE_SIZE} px stored pixels to 64 px included) over random images after one warm-up batch (${Object.entries(
        INDEX_IMAGES,
      )
        .map(([b, n]) => `${b} ${n}`)
        .join(', ')} images), extrapolated linearly to the 7,000 images of Flickr8k.`,
      'Search: embedTexts of one caption (untrained default-preset model) + topK (k-sized heap over a [7000, 256] Float32Array of random unit rows), 3 warm-up queries then 30 timed.',
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchSearchAll();
  (await import('./report')).writeReport();
  console.log(`search benchmark: ${file.seconds} s`);
}
