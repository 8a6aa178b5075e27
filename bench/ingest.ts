// Ingestion throughput: imports flickr8k-224 (7,000 small JPEGs) and flickr8k-originals (120
// photos) through the real page in headless Chromium, in a fresh profile each time, and reads
// images/s from the stored import report. Pillow (decode + centre crop + resize to 128, one
// process) on the same files is the reference, interleaved: page, Pillow, page, Pillow, … (3 pairs),
// and the ratio is the median of the per-pair ratios. Run: npm run bench:ingest [-- --only=originals]
// Writes bench/results/ingest.json. Not a test: nothing here asserts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childrenCpuSeconds, machineInfo, PYTHON } from './lib/machine';
import { summarize, type Summary } from './lib/stats';
import { chooseFolder, chromiumPath, openLab, REPO_ROOT, SHARED_DATASETS } from '../tests/e2e/harness';

const REPEATS = 3; // pairs
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
    return {
      imagesPerSecond: r.imagesPerSecond,
      reportSeconds: r.seconds,
      wallSeconds,
      cpuMsPerImage: cpu0 !== null && cpu1 !== null && r.images ? ((cpu1 - cpu0) * 1000) / r.images : null,
      images: r.images,
      corrupt: r.corrupt.length,
      loadAverage,
    };
  } finally {
    await lab.close();
  }
}

// Pillow reference: EXIF-upright, RGB, centre square crop, resize to 128 (bicubic) — the part of
// the app's work that has a Python counterpart (the app also makes a 96 px JPEG thumbnail and stores
// both in IndexedDB). Prints {"seconds": [...], "images": n} for 1 process and for `procs`.
const PILLOW = `
import json, sys, time
from multiprocessing import Pool
from PIL import Image, ImageOps

def prep(path):
    with Image.open(path) as im:
        im = ImageOps.exif_transpose(im).convert('RGB')
        w, h = im.size
        s = min(w, h)
        box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
        return len(im.resize((128, 128), Image.BICUBIC, box=box).tobytes())

if __name__ == '__main__':
    paths, procs, repeats = json.loads(sys.stdin.read())
    out = {}
    for n in sorted({1, procs}):
        times = []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            if n == 1:
                for p in paths: prep(p)
                out.setdefault('cpu1', []).append(time.process_time() - c0)
            else:
                with Pool(n) as pool: pool.map(prep, paths, chunksize=32)
            times.append(time.perf_counter() - t0)
        out[str(n)] = times
    print(json.dumps(out))
`;

interface PillowRun {
  processes: number;
  imagesPerSecond: Summary;
  cpuMsPerImage?: number; // 1 process: its own CPU time per image (median over its runs)
}

function pillowAvailable(): string | null {
  try {
    return execFileSync(PYTHON, ['-c', 'import PIL; print(PIL.__version__)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function pillowReference(imagesDir: string, procs: number, repeats = REPEATS): PillowRun[] {
  const paths = readdirSync(imagesDir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .map((f) => join(imagesDir, f));
  const out = execFileSync(PYTHON, ['-c', PILLOW], {
    input: JSON.stringify([paths, procs, repeats]),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const { cpu1, ...times } = JSON.parse(out) as Record<string, number[]>;
  return Object.entries(times).map(([n, secs]) => ({
    processes: Number(n),
    imagesPerSecond: summarize(secs.map((s) => paths.length / s)),
    ...(n === '1' && cpu1 ? { cpuMsPerImage: (summarize(cpu1).median * 1000) / paths.length } : {}),
  }));
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

  type Row = {
    dataset: string;
    app: { imagesPerSecond: Summary; wallSeconds: Summary; cpuMsPerImage: Summary | null; runs: AppRun[] };
    pillow: PillowRun[];
    pillowOnePerPair?: number[];
    ratioToPillowOne?: Summary | null;
  };
  const rows: Row[] = [];
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  for (const ds of DATASETS.filter((d) => !only || d.name.includes(only))) {
    const runs: AppRun[] = [];
    const pillowOne: number[] = [];
    const pillowCpu: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const run = await ingestOnce(ds.dir);
      runs.push(run);
      const one = pillow ? pillowReference(ds.images, 1, 1)[0] : null;
      const ref = one ? one.imagesPerSecond.median : NaN;
      pillowOne.push(ref);
      if (one?.cpuMsPerImage !== undefined) pillowCpu.push(one.cpuMsPerImage);
      if (Number.isFinite(ref)) ratios.push(run.imagesPerSecond / ref);
      console.log(
        `${ds.name} pair ${i + 1}/${REPEATS}: page ${run.imagesPerSecond.toFixed(1)} images/s (report: ${run.images} images, ${run.corrupt} corrupt, ` +
          `${run.reportSeconds.toFixed(1)} s; wall ${run.wallSeconds.toFixed(1)} s; CPU ${run.cpuMsPerImage?.toFixed(1) ?? '?'} ms/image; load ${run.loadAverage.toFixed(2)}); ` +
          `Pillow 1 process ${ref.toFixed(1)} images/s, CPU ${pillowCpu.at(-1)?.toFixed(1) ?? '?'} ms/image`,
      );
    }
    const multi = pillow && machine.cores > 1 ? pillowReference(ds.images, machine.cores, 1).filter((p) => p.processes > 1) : [];
    const reference: PillowRun[] = pillow
      ? [
          {
            processes: 1,
            imagesPerSecond: summarize(pillowOne),
            ...(pillowCpu.length ? { cpuMsPerImage: summarize(pillowCpu).median } : {}),
          },
          ...multi,
        ]
      : [];
    const app = summarize(runs.map((r) => r.imagesPerSecond));
    const cpus = runs.map((r) => r.cpuMsPerImage).filter((c): c is number => c !== null);
    const ratio = ratios.length ? summarize(ratios) : null;
    rows.push({
      dataset: ds.name,
      app: {
        imagesPerSecond: app,
        wallSeconds: summarize(runs.map((r) => r.wallSeconds)),
        cpuMsPerImage: cpus.length ? summarize(cpus) : null,
        runs,
      },
      pillow: reference,
      pillowOnePerPair: pillowOne,
      ratioToPillowOne: ratio,
    });
    console.log(`${ds.name}: app ${fmt(app)} images/s (median ±half-range, ${REPEATS} fresh profiles)`);
    if (ratio)
      console.log(
        `${ds.name}: page ÷ Pillow 1 process, median of ${ratios.length} interleaved pairs: ${ratio.median.toFixed(2)}× (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)})`,
      );
    for (const p of reference)
      console.log(`${ds.name}: Pillow ${pillow}, ${p.processes} process${p.processes > 1 ? 'es' : ''}: ${fmt(p.imagesPerSecond)} images/s`);
  }

  notes.push(
    'app images/s = images decoded and stored / seconds from choosing the folder to the last batch stored (IngestReport.imagesPerSecond); ' +
      "its work per image: sniff, decode (a JPEG: read whole once, libjpeg-turbo in wasm at the DCT scale Pillow's draft() would pick, centre crop and area resample to 128 RGB in the module, EXIF orientation applied; other types: createImageBitmap and a canvas), and storing pixels and original in IndexedDB " +
      '(the stored pixels are the thumbnail), in a pool of min(4, hardwareConcurrency) decode workers, which also store what they decode.',
    'CPU ms/image: page = CPU time (user + system) of every Chromium process from choosing the folder to the report, per stored image; ' +
      'Pillow = its process_time per image. Less swayed by load than images/s: it counts the work, not the waiting.',
    'Pillow = full-size decode (no draft()) + EXIF transpose + centre crop + bicubic resize to 128 only (no thumbnail, no storage). Its 1-process run follows each page import (interleaved pairs); the multi-process run is once, after them.',
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
    const p = (n: number) => r.pillow.find((x) => x.processes === n);
    console.log(
      `| ${r.dataset} | ${fmt(r.app.imagesPerSecond)} | ${r.app.wallSeconds.median.toFixed(1)} | ${p(1) ? fmt(p(1)!.imagesPerSecond) : '—'} | ${p(machine.cores) ? fmt(p(machine.cores)!.imagesPerSecond) : '—'} |`,
    );
  }
  console.log(`\nwrote bench/results/ingest.json after ${result.seconds} s`);
}

await main();
