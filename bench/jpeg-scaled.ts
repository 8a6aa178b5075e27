// Decode-and-downscale in one step (issue 11 item 4): libjpeg-turbo in wasm (src/data/jpeg) decoding
// at the smallest DCT scale (1/8, 1/4, 1/2, 1) that still covers the 128 px copy, then the centre
// square resampled as rgb.ts does, in the module; against the paths used before it, on the same
// files in the same run, interleaved (A B A B …). In headless Chromium: 'wasm' is preprocessImage
// as the decode worker calls it (small files' bytes handed over, larger ones read from their Blob),
// 'wasm-core' the module alone on bytes in memory, 'canvas' the path before (WebCodecs
// ImageDecoder on bytes up to 56 KiB, else createImageBitmap on the Blob; canvas resample). In
// Node: cli/image.ts now (wasm) against jpeg-js + rgb.ts (before). Prints ms per image (wall, one
// file at a time; CPU of every Chromium process, or of Node), how far the 128 px copies moved from
// before, and whether Node's copies equal the browser's. 'wasm-core-before' is the module as
// committed at JPEG_BEFORE_REF (default main), for old-vs-new in one run; and the decode worker's
// file read (File.arrayBuffer() vs FileReaderSync, alone and with the decode) on chosen Files.
// Run: node --import tsx bench/jpeg-scaled.ts [originals N] [224 N] [rounds]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodeImageFile } from '../cli/image';
import { applyOrientation, jpegOrientation } from '../src/data/orientation';
import { centreCropResize } from '../src/data/rgb';
import { SHARED_DATASETS } from '../tests/e2e/harness';
import { buildBenchPage, openBenchBrowser } from './lib/browser';
import { childrenCpuSeconds } from './lib/machine';
import { decodeJpegSquare } from '../src/data/jpeg/jpegWasm';
import { loadSquareDecoder } from './lib/jpegModule';
import { levelDiff } from './lib/levelDiff';
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
/** Median (range) of the per-round ratios a[r] / b[r]. */
const ratio = (a: number[], b: number[]) => {
  const s = summarize(a.map((x, r) => x / b[r]));
  return `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
};
const fmt = (xs: number[]) => {
  const s = summarize(xs);
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
};

/** The Node trainer's JPEG path before the wasm decoder: jpeg-js at full size, EXIF, rgb.ts. */
function jpegJsCopy(bytes: Uint8Array): Uint8Array {
  const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return centreCropResize(applyOrientation({ width: d.width, height: d.height, data: d.data }, jpegOrientation(bytes)), SIZE);
}

/** Node: cli/image.ts (wasm), the module alone, BEFORE_REF's module alone, jpeg-js, interleaved; CPU ms per image. */
async function nodeRows(files: Uint8Array[]) {
  const before = await loadSquareDecoder(Uint8Array.from(Buffer.from(beforeModule(), 'base64')));
  const paths = {
    wasm: (b: Uint8Array) => decodeImageFile(b, 'x.jpg', SIZE).pixels,
    'wasm-core': (b: Uint8Array) => decodeJpegSquare(b, SIZE).data,
    'wasm-core-before': (b: Uint8Array) => before(b, SIZE),
    'jpeg-js': jpegJsCopy,
  };
  const ms: Record<string, number[]> = { wasm: [], 'wasm-core': [], 'wasm-core-before': [], 'jpeg-js': [] };
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

/**
 * The decode worker's file read (issue 11 item 4): the same files chosen in a file input (so the
 * Files are file-backed, as an import's are) and read in a worker with File.arrayBuffer() or
 * FileReaderSync, alone and followed by the wasm decode, interleaved; CPU of all Chromium
 * processes per image.
 */
async function readRows(
  page: import('playwright-core').Page,
  paths: string[],
  call: <R>(m: string, ...a: unknown[]) => Promise<R>,
  nodeSums: number[],
) {
  await page.locator('#files').setInputFiles(paths);
  await call('readerFiles', beforeModule());
  const variants = [
    ['arrayBuffer', false],
    ['readerSync', false],
    ['arrayBuffer', 'before'],
    ['arrayBuffer', 'now'],
    ['readerSync', 'now'],
  ] as const;
  const key = (m: string, d: false | 'now' | 'before') => `${m}${d ? `+decode${d === 'before' ? `(${BEFORE_REF})` : ''}` : ''}`;
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (const [m, d] of variants) {
    // warm-up, and the worker's pixels checked against Node's
    const { sums } = await call<{ sums: number[] }>('readerPass', m, d, SIZE, true);
    if (d && !sums.every((s, i) => s === nodeSums[i])) throw new Error(`${key(m, d)}: the worker's pixels differ from Node's`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [m, d] of variants) {
      const c0 = childrenCpuSeconds();
      const { ms } = await call<{ ms: number }>('readerPass', m, d, SIZE);
      const c1 = childrenCpuSeconds();
      (wall[key(m, d)] ??= []).push(ms);
      if (c0 !== null && c1 !== null) (cpu[key(m, d)] ??= []).push(((c1 - c0) * 1000) / paths.length);
    }
  }
  const row = (x: Record<string, number[]>) =>
    Object.entries(x)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join('   ');
  console.log(`  worker read, wall   ${row(wall)}`);
  if (Object.keys(cpu).length) {
    console.log(`  worker read, CPU    ${row(cpu)}   (all Chromium processes)`);
    console.log(
      `  worker, CPU ratios (median of per-round ratios, range): readerSync÷arrayBuffer read ${ratio(cpu.readerSync, cpu.arrayBuffer)}; ` +
        `read+decode with this module ÷ ${BEFORE_REF}'s (both arrayBuffer, as the decode worker reads) ${ratio(cpu['arrayBuffer+decode'], cpu[key('arrayBuffer', 'before')])}`,
    );
  }
}

/** The wasm module at BEFORE_REF (git), for 'wasm-core-before': old vs new in one run. */
const BEFORE_REF = process.env.JPEG_BEFORE_REF ?? 'main';
function beforeModule(): string {
  const ts = execFileSync('git', ['show', `${BEFORE_REF}:src/data/jpeg/jpegDecode.wasm.ts`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return /'([A-Za-z0-9+/=]+)'/.exec(ts)![1];
}

const bench = (buildBenchPage(), await openBenchBrowser());
try {
  const context = await bench.browser.newContext();
  const page = await context.newPage();
  await page.goto(bench.url, { waitUntil: 'load' });
  await page.waitForFunction(() => 'clipBench' in globalThis, null, { timeout: 60_000 });
  type Api = Record<string, (...a: unknown[]) => Promise<unknown>>;
  const call = <R>(m: string, ...a: unknown[]) =>
    page.evaluate(([m, a]) => (globalThis as unknown as { clipBench: Api }).clipBench[m](...a), [m, a] as [
      string,
      unknown[],
    ]) as Promise<R>;
  console.log(
    `Chromium ${bench.version}; load ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
  );
  await call('loadBeforeModule', beforeModule());
  for (const ds of DATASETS) {
    const names = readdirSync(ds.dir)
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort()
      .slice(0, ds.n);
    const files = names.map((f) => new Uint8Array(readFileSync(join(ds.dir, f))));
    await call(
      'jpegFiles',
      files.map((b) => Buffer.from(b).toString('base64')),
    );
    const PATHS = ['wasm', 'canvas', 'wasm-core', 'wasm-core-before'] as const;
    for (const path of PATHS) await call('jpegScaled', path, SIZE); // warm-up: wasm compile, decoders
    const wall: Record<string, number[]> = { wasm: [], canvas: [], 'wasm-core': [], 'wasm-core-before': [] };
    const cpu: Record<string, number[]> = { wasm: [], canvas: [], 'wasm-core': [], 'wasm-core-before': [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const path of PATHS) {
        const c0 = childrenCpuSeconds();
        const { ms } = await call<{ ms: number }>('jpegScaled', path, SIZE);
        const c1 = childrenCpuSeconds();
        wall[path].push(ms);
        if (c0 !== null && c1 !== null) cpu[path].push(((c1 - c0) * 1000) / files.length);
      }
    }
    const d = await call<{ mean: number; max: number; wasmSums: number[] }>('jpegDiff');
    const beforeDiff = await call<number>('jpegDiffBytes', 'wasm-core', 'wasm-core-before');
    const node = await nodeRows(files);
    const nodeSums = node.copies.wasm.map((x) => x.reduce((s, v) => s + v, 0));
    const sameAsBrowser = nodeSums.every((s, i) => s === d.wasmSums[i]);
    const nd = levelDiff(node.copies.wasm, node.copies['jpeg-js']);
    console.log(`\n${ds.name}: ${files.length} files, ${ROUNDS} rounds, ms per image median (range)`);
    const row = (m: Record<string, number[]>) => PATHS.map((p) => `${p} ${fmt(m[p])}`).join('   ');
    console.log(`  Chromium wall   ${row(wall)}`);
    if (cpu.wasm.length) console.log(`  Chromium CPU    ${row(cpu)}   (all Chromium processes)`);
    if (cpu.wasm.length)
      console.log(
        `  Chromium CPU, module alone, this ÷ ${BEFORE_REF}'s (median of per-round ratios): ${ratio(cpu['wasm-core'], cpu['wasm-core-before'])}`,
      );
    console.log(
      `  Node CPU        ${Object.entries(node.ms)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join('   ')}`,
    );
    console.log(
      `  Node CPU, module alone, this ÷ ${BEFORE_REF}'s (median of per-round ratios): ${ratio(node.ms['wasm-core'], node.ms['wasm-core-before'])}`,
    );
    console.log(
      `  Node: this module's copies vs ${BEFORE_REF}'s: ${levelDiff(node.copies['wasm-core'], node.copies['wasm-core-before']).max} max level difference`,
    );
    console.log(
      `  128 px copies: wasm vs canvas (browser before) mean ${d.mean.toFixed(2)} max ${d.max}; wasm vs jpeg-js (Node before) mean ${nd.mean.toFixed(2)} max ${nd.max}`,
    );
    console.log(`  Node's wasm copies equal the browser's: ${sameAsBrowser} (per-image byte sums)`);
    console.log(`  this module's copies vs ${BEFORE_REF}'s module: ${beforeDiff} differing bytes`);
    await readRows(
      page,
      names.map((f) => join(ds.dir, f)),
      call,
      nodeSums,
    );
  }
  await context.close();
} finally {
  await bench.close();
}
