// Decode-and-downscale in one step (issue 11 item 4): libjpeg-turbo in wasm (src/data/jpeg) decoding
// at the smallest DCT scale M/8 that still covers the 128 px copy, then rgb.ts's centre crop and
// area resample, against today's paths on the same files in the same run, interleaved
// (A B A B …): in headless Chromium, preprocessImage as the decode worker calls it
// (createImageBitmap or ImageDecoder, then canvas); in Node, cli/image.ts (jpeg-js + the same
// resample). Prints ms per image (wall, one file at a time; and CPU of every Chromium process /
// of Node), the 128 px copies' difference from today's, and whether Node's wasm copies equal the
// browser's. Run: node --import tsx bench/jpeg-scaled.ts [originals N] [224 N] [rounds]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImageFile } from '../cli/image';
import { decodeJpegSquare } from '../src/data/jpeg/jpegWasm';
import { SHARED_DATASETS } from '../tests/e2e/harness';
import { buildBenchPage, openBenchBrowser } from './lib/browser';
import { childrenCpuSeconds } from './lib/machine';
import { summarize } from './lib/stats';

const [nOriginals = '120', n224 = '500', roundsArg = '3'] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const SIZE = 128;
const DATASETS = [
  { name: 'flickr8k-originals', dir: join(SHARED_DATASETS, 'flickr8k-originals', 'Flicker8k_Dataset'), n: Number(nOriginals) },
  { name: 'flickr8k-224', dir: join(SHARED_DATASETS, 'flickr8k-224', 'Images'), n: Number(n224) },
];

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const fmt = (xs: number[]) => {
  const s = summarize(xs);
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
};

function diff(a: Uint8Array[], b: Uint8Array[]) {
  let sum = 0;
  let max = 0;
  let n = 0;
  a.forEach((x, i) =>
    x.forEach((v, k) => {
      const d = Math.abs(v - b[i][k]);
      sum += d;
      max = Math.max(max, d);
      n++;
    }),
  );
  return { mean: sum / n, max };
}

/** Node: wasm scaled decode + resample vs cli/image.ts (jpeg-js), interleaved; CPU ms per image. */
function nodeRows(files: Uint8Array[]) {
  const paths = {
    wasm: (b: Uint8Array) => decodeJpegSquare(b, SIZE).data,
    'jpeg-js': (b: Uint8Array) => decodeImageFile(b, 'x.jpg', SIZE).pixels,
  };
  const ms: Record<string, number[]> = { wasm: [], 'jpeg-js': [] };
  const copies: Record<string, Uint8Array[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(paths)) {
      const c0 = cpuNow();
      copies[name] = files.map(run);
      ms[name].push(((cpuNow() - c0) * 1000) / files.length);
    }
  }
  return { ms, copies };
}

const bench = (buildBenchPage(), await openBenchBrowser());
try {
  const context = await bench.browser.newContext();
  const page = await context.newPage();
  await page.goto(bench.url, { waitUntil: 'load' });
  await page.waitForFunction(() => 'clipBench' in globalThis, null, { timeout: 60_000 });
  type Api = Record<string, (...a: unknown[]) => Promise<unknown>>;
  const call = <R>(m: string, ...a: unknown[]) =>
    page.evaluate(([m, a]) => (globalThis as unknown as { clipBench: Api }).clipBench[m](...a), [m, a] as [string, unknown[]]) as Promise<R>;
  console.log(`Chromium ${bench.version}; load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
  for (const ds of DATASETS) {
    const names = readdirSync(ds.dir).filter((f) => /\.jpe?g$/i.test(f)).sort().slice(0, ds.n);
    const files = names.map((f) => new Uint8Array(readFileSync(join(ds.dir, f))));
    await call('jpegFiles', files.map((b) => Buffer.from(b).toString('base64')));
    await call('jpegScaled', 'wasm', SIZE); // warm-up: wasm compile, decoders
    await call('jpegScaled', 'today', SIZE);
    const wall: Record<string, number[]> = { wasm: [], today: [] };
    const cpu: Record<string, number[]> = { wasm: [], today: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const path of ['wasm', 'today'] as const) {
        const c0 = childrenCpuSeconds();
        const { ms } = await call<{ ms: number }>('jpegScaled', path, SIZE);
        const c1 = childrenCpuSeconds();
        wall[path].push(ms);
        if (c0 !== null && c1 !== null) cpu[path].push(((c1 - c0) * 1000) / files.length);
      }
    }
    const d = await call<{ mean: number; max: number; wasmSums: number[] }>('jpegDiff');
    const node = nodeRows(files);
    const nodeSums = node.copies.wasm.map((x) => x.reduce((s, v) => s + v, 0));
    const sameAsBrowser = nodeSums.every((s, i) => s === d.wasmSums[i]);
    const nd = diff(node.copies.wasm, node.copies['jpeg-js']);
    console.log(`\n${ds.name}: ${files.length} files, ${ROUNDS} rounds, ms per image median (range)`);
    console.log(`  Chromium wall   wasm ${fmt(wall.wasm)}   today ${fmt(wall.today)}`);
    if (cpu.wasm.length) console.log(`  Chromium CPU    wasm ${fmt(cpu.wasm)}   today ${fmt(cpu.today)}   (all Chromium processes)`);
    console.log(`  Node CPU        wasm ${fmt(node.ms.wasm)}   jpeg-js ${fmt(node.ms['jpeg-js'])}`);
    console.log(`  128 px copies: wasm vs today's browser path mean ${d.mean.toFixed(2)} max ${d.max}; wasm vs jpeg-js (Node) mean ${nd.mean.toFixed(2)} max ${nd.max}`);
    console.log(`  Node's wasm copies equal the browser's: ${sameAsBrowser} (per-image byte sums)`);
  }
  await context.close();
} finally {
  await bench.close();
}
