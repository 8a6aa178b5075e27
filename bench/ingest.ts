// Ingestion throughput: imports flickr8k-224 (7,000 small JPEGs) and flickr8k-originals (120
// photos) through the real page in headless Chromium, in a fresh profile each time, and reads
// images/s from the stored import report, and the import's phase marks (src/ingest/run.ts). Two
// Pillow peers (one process) on the same files are the reference, interleaved with the page: page,
// Pillow, page, Pillow, … (3 pairs by default): `full` decodes at full size and resizes bicubic (the
// row kept from before), `draft` does the page's JPEG work (draft() to the DCT scale the wasm decoder
// picks, centre crop, resize to 128). Each ratio is the median of the per-pair ratios.
// Run: npm run bench:ingest [-- --only=originals] [-- --pairs=5]
// Writes bench/results/ingest.json. Not a test: nothing here asserts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenCpuSeconds, machineInfo, PYTHON } from './lib/machine';
import { pillowAvailable, runPillowPeers, type PillowPeer, type PillowRun } from './lib/pillowPeers';
import { summarize, type Summary } from './lib/stats';
import { chooseFolder, chromiumPath, openLab, REPO_ROOT, SHARED_DATASETS } from '../tests/e2e/harness';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const REPEATS = Number(arg('pairs') ?? 3); // pairs
const DATASETS = [
  { name: 'flickr8k-224', dir: join(SHARED_DATASETS, 'flickr8k-224'), images: join(SHARED_DATASETS, 'flickr8k-224', 'Images') },
  {
    name: 'flickr8k-originals',
    dir: join(SHARED_DATASETS, 'flickr8k-originals'),
    images: join(SHARED_DATASETS, 'flickr8k-originals', 'Flicker8k_Dataset'),
  },
];

interface AppRun {
  imagesPerSecond: number; // the report's own rate: images decoded and stored / import seconds
  reportSeconds: number; // planning + decoding + storing, as the report says
  wallSeconds: number; // from choosing the folder to the report on screen (includes the file input)
  cpuMsPerImage: number | null; // CPU of every Chromium process over that span, per stored image (Linux)
  images: number;
  corrupt: number;
  loadAverage: number;
  phases?: Record<string, number>; // ms after the import's 'start' mark, by phase (src/ingest/run.ts INGEST_PHASES)
}

interface StoredReport {
  images: number;
  corrupt: unknown[];
  seconds: number;
  imagesPerSecond: number;
}

/** One import in a fresh browser profile; the numbers come from the stored report. */
async function ingestOnce(dir: string): Promise<AppRun> {
  const lab = await openLab();
  try {
    const { page } = lab;
    await page.getByTestId('dataset-list-empty').waitFor({ timeout: 60_000 });
    const loadAverage = (await import('node:os')).loadavg()[0];
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    await chooseFolder(page, dir);
    await page.getByTestId('report-images').waitFor({ timeout: 600_000 });
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu1 = childrenCpuSeconds();
    const report = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('clip-lab-datasets');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const metas = await new Promise<{ report?: unknown }[]>((res, rej) => {
        const q = db.transaction('kv').objectStore('kv').getAll(IDBKeyRange.bound('meta:', 'meta:\uffff'));
        q.onsuccess = () => res(q.result);
        q.onerror = () => rej(q.error);
      });
      db.close();
      return metas[0]?.report;
    });
    const r = report as StoredReport | undefined;
    if (!r) throw new Error(`no import report stored for ${dir}`);
    lab.assertHealthy();
    const phases = await page.evaluate(() => {
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('ingest:'));
      const start = marks.find((m) => m.name === 'ingest:start')?.startTime ?? 0;
      return Object.fromEntries(marks.map((m) => [m.name.slice('ingest:'.length), Math.round((m.startTime - start) * 10) / 10]));
    });
    return {
      imagesPerSecond: r.imagesPerSecond,
      reportSeconds: r.seconds,
      wallSeconds,
      cpuMsPerImage: cpu0 !== null && cpu1 !== null && r.images ? ((cpu1 - cpu0) * 1000) / r.images : null,
      images: r.images,
      corrupt: r.corrupt.length,
      loadAverage,
      phases,
    };
  } finally {
    await lab.close();
  }
}

const fmt = (s: Summary, digits = 1) =>
  `${s.median.toFixed(digits)} ±${Math.round(s.spread * 100)}% (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

async function main() {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  if (!existsSync(join(REPO_ROOT, 'dist/index.html'))) {
    console.log('dist/ is missing: building the app (npx vite build)…');
    execFileSync('npx', ['vite', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const chromium = execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const machine = { ...machineInfo(), chromium };
  const pillow = pillowAvailable();
  const notes: string[] = [];
  console.log(
    `machine: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; ${chromium}; load ${machine.loadAverage.join(' / ')}`,
  );
  if (!pillow) {
    const note = `Pillow reference skipped: ${PYTHON} cannot import PIL (Debian: apt-get install python3-pil; or set PYTHON).`;
    notes.push(note);
    console.log(note);
  }

  // pillow: the full-decode peer (1 process, then `cores`); pillowDraft: the peer doing the page's JPEG work.
  type Row = {
    dataset: string;
    app: { imagesPerSecond: Summary; wallSeconds: Summary; cpuMsPerImage: Summary | null; runs: AppRun[] };
    pillow: PillowRun[];
    pillowOnePerPair?: number[];
    ratioToPillowOne?: Summary | null;
    pillowDraft?: PillowRun[];
    pillowDraftOnePerPair?: number[];
    ratioToPillowDraftOne?: Summary | null;
  };
  const rows: Row[] = [];
  const only = arg('only');
  const peers: PillowPeer[] = ['full', 'draft'];
  for (const ds of DATASETS.filter((d) => !only || d.name.includes(only))) {
    const runs: AppRun[] = [];
    const one: Record<PillowPeer, PillowRun[]> = { full: [], draft: [] };
    const ratios: Record<PillowPeer, number[]> = { full: [], draft: [] };
    for (let i = 0; i < REPEATS; i++) {
      const run = await ingestOnce(ds.dir);
      runs.push(run);
      // Right after the page: both peers, their order swapped every pair.
      const ref = pillow ? runPillowPeers(ds.images, i % 2 ? [...peers].reverse() : peers, 1) : null;
      for (const peer of peers) {
        if (!ref) continue;
        one[peer].push(ref[peer]);
        ratios[peer].push(run.imagesPerSecond / ref[peer].imagesPerSecond.median);
      }
      const phases = Object.entries(run.phases ?? {})
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ');
      console.log(
        `${ds.name} pair ${i + 1}/${REPEATS}: page ${run.imagesPerSecond.toFixed(1)} images/s (report: ${run.images} images, ${run.corrupt} corrupt, ` +
          `${run.reportSeconds.toFixed(2)} s; wall ${run.wallSeconds.toFixed(1)} s; CPU ${run.cpuMsPerImage?.toFixed(1) ?? '?'} ms/image; load ${run.loadAverage.toFixed(2)}); ` +
          peers
            .map(
              (p) =>
                `Pillow ${p} ${ref?.[p].imagesPerSecond.median.toFixed(1) ?? '?'} images/s, CPU ${ref?.[p].cpuMsPerImage?.toFixed(1) ?? '?'} ms/image`,
            )
            .join('; ') +
          `\n  phases (ms after start): ${phases}`,
      );
    }
    const multi = pillow && machine.cores > 1 ? runPillowPeers(ds.images, peers, machine.cores) : null;
    const reference = (peer: PillowPeer): PillowRun[] => {
      if (!pillow) return [];
      const cpu = one[peer].map((r) => r.cpuMsPerImage).filter((c): c is number => c !== undefined);
      const single = { processes: 1, imagesPerSecond: summarize(one[peer].map((r) => r.imagesPerSecond.median)) };
      return [{ ...single, ...(cpu.length ? { cpuMsPerImage: summarize(cpu).median } : {}) }, ...(multi ? [multi[peer]] : [])];
    };
    const app = summarize(runs.map((r) => r.imagesPerSecond));
    const cpus = runs.map((r) => r.cpuMsPerImage).filter((c): c is number => c !== null);
    const ratio = (peer: PillowPeer) => (ratios[peer].length ? summarize(ratios[peer]) : null);
    rows.push({
      dataset: ds.name,
      app: {
        imagesPerSecond: app,
        wallSeconds: summarize(runs.map((r) => r.wallSeconds)),
        cpuMsPerImage: cpus.length ? summarize(cpus) : null,
        runs,
      },
      pillow: reference('full'),
      pillowOnePerPair: one.full.map((r) => r.imagesPerSecond.median),
      ratioToPillowOne: ratio('full'),
      pillowDraft: reference('draft'),
      pillowDraftOnePerPair: one.draft.map((r) => r.imagesPerSecond.median),
      ratioToPillowDraftOne: ratio('draft'),
    });
    console.log(`${ds.name}: app ${fmt(app)} images/s (median ±half-range, ${REPEATS} fresh profiles)`);
    for (const peer of peers) {
      const q = ratio(peer);
      if (q)
        console.log(
          `${ds.name}: page ÷ Pillow ${peer} 1 process, median of ${ratios[peer].length} interleaved pairs: ${q.median.toFixed(2)}× (${q.min.toFixed(2)}–${q.max.toFixed(2)})`,
        );
      for (const p of reference(peer))
        console.log(
          `${ds.name}: Pillow ${pillow} ${peer}, ${p.processes} process${p.processes > 1 ? 'es' : ''}: ${fmt(p.imagesPerSecond)} images/s`,
        );
    }
  }

  notes.push(
    'app images/s = images decoded and stored / seconds from the start of the import (once the browser has listed the chosen folder and the page has its files) to the last batch stored (IngestReport.imagesPerSecond); ' +
      "its work per image: sniff, decode (a JPEG: read whole once, libjpeg-turbo in wasm at the DCT scale Pillow's draft() would pick, centre crop and area resample to 128 RGB in the module, EXIF orientation applied; other types: createImageBitmap and a canvas), and storing pixels and original in IndexedDB " +
      '(the stored pixels are the thumbnail), in a pool of min(4, hardwareConcurrency) decode workers, which also store what they decode.',
    'CPU ms/image: page = CPU time (user + system) of every Chromium process from choosing the folder to the report, per stored image; ' +
      'Pillow = its process_time per image. Less swayed by load than images/s: it counts the work, not the waiting.',
    "Pillow peers (bench/lib/pillowPeers.ts; no storage, no thumbnail): 'draft' does the same work as the page's JPEG path: draft('RGB', (128, 128)) so libjpeg-turbo decodes at the DCT scale the page's wasm decoder picks (the originals at 1/2, flickr8k-224 at 1/1), EXIF transpose, centre crop and a resize to 128 (antialiased bilinear; the page averages areas); it is the peer of the issue's 'Pillow's one process'. " +
      "'full' = full-size decode (no draft()) + EXIF transpose + centre crop + bicubic resize to 128, the row kept from before: more decoding than the page does. Both 1-process runs follow each page import (interleaved pairs, their order swapped each pair); the multi-process runs are once, after them.",
    'phases: performance.mark times of one import on the page (src/ingest/run.ts INGEST_PHASES), ms after its start: caption/split texts read, planned, decode workers ready, dataset record created, first batch decoded, first batch stored, last stored, completed.',
    "Other processes may share this machine: see each run's load average; compare ratios within one run.",
  );
  if (only) {
    // Datasets not re-run keep their rows from the last run.
    const last = existsSync(join(REPO_ROOT, 'bench/results/ingest.json'))
      ? (JSON.parse(readFileSync(join(REPO_ROOT, 'bench/results/ingest.json'), 'utf8')) as { rows: Row[] })
      : null;
    rows.push(...(last?.rows ?? []).filter((r) => !rows.some((x) => x.dataset === r.dataset)));
    notes.push(`Re-run with --only=${only}; other datasets' rows are from the run before.`);
  }
  const result = {
    version: 1,
    benchmark: 'ingest',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    pillow,
    rows,
    notes,
  };
  const dir = join(REPO_ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ingest.json'), JSON.stringify(result, null, 1) + '\n');
  console.log(`\n| dataset | app images/s | wall s | Pillow 1 proc images/s | Pillow ${machine.cores} procs images/s |`);
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const p = (n: number) => r.pillow.find((x) => x.processes === n); // the full-decode peer
    console.log(
      `| ${r.dataset} | ${fmt(r.app.imagesPerSecond)} | ${r.app.wallSeconds.median.toFixed(1)} | ${p(1) ? fmt(p(1)!.imagesPerSecond) : '—'} | ${p(machine.cores) ? fmt(p(machine.cores)!.imagesPerSecond) : '—'} |`,
    );
  }
  console.log(`\nwrote bench/results/ingest.json after ${result.seconds} s`);
}

await main();
