// Training throughput benchmark (npm run bench:train): ms/step and pairs/s of the app's own
// training loop for each preset x backend in headless Chromium, wasm in Node, and the same `bench`
// model in PyTorch on the CPU (bench/pytorch_bench.py) when /usr/bin/python3 has torch.
// Flags: --with-cpu (the cpu backend on `bench`: minutes per step), --only=A,B (rows whose id contains
// A or B, e.g. --only='wasm bench,pytorch'; merged into the last full run's results).

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { PresetName } from '../src/config';
import type { BackendInfo } from '../src/use/backend';
import { setupNodeBackend } from '../cli/backend';
import { buildBenchPage, openBenchBrowser, type BenchBrowser, type PageVariant } from './lib/browser';
import { machineInfo, PYTHON, torchVersion } from './lib/machine';
import { readResult, writeResult, type ResultFile } from './lib/results';
import { summarize, type Summary } from './lib/stats';
import { benchTraining, type TrainBenchResult } from './lib/trainBench';

export interface TrainRow {
  id: string;
  runtime: 'chromium' | 'node' | 'pytorch';
  backend: string;
  preset: PresetName;
  convImpl: string | null;
  threads: number | null;
  appChoice: boolean; // the conv implementation the app itself uses on this backend
  status: 'ok' | 'skipped' | 'failed';
  note: string;
  warmupMs?: number;
  firstStepMs?: number;
  step?: Summary;
  pairsPerSec?: number;
  numTensors?: number[];
  loadAverage: number[]; // when the row started
  runAt?: string; // ISO 8601: rows from an --only run are merged into the last full run's file
  seconds: number;
}

interface Combo {
  id: string;
  runtime: 'chromium' | 'node';
  backend: 'wasm' | 'webgl' | 'webgpu' | 'cpu';
  preset: PresetName;
  convImpl?: 'conv2d' | 'im2col'; // default: the app's choice
  threads?: number;
  matMulGrad?: 'explicit-transpose' | 'stock'; // default: the app's (explicit-transpose on wasm, stock elsewhere)
  variant?: PageVariant;
  timedSteps: number;
  maxSeconds: number; // budget for the timed steps
  timeoutSeconds: number; // the whole row, warm-up included
  needs?: 'cpu-flag';
  skipNote?: string;
}

// Step times measured on the 2-core test machine without a GPU (Chromium, SwiftShader): webgpu ~24 s and webgl ~5 s per bench step.
const COMBOS: Combo[] = [
  { id: 'chromium wasm bench', runtime: 'chromium', backend: 'wasm', preset: 'bench', timedSteps: 5, maxSeconds: 60, timeoutSeconds: 180 },
  {
    id: 'chromium wasm bench, stock matMul grad',
    runtime: 'chromium',
    backend: 'wasm',
    preset: 'bench',
    matMulGrad: 'stock',
    timedSteps: 3,
    maxSeconds: 60,
    timeoutSeconds: 180,
  },
  {
    id: 'chromium wasm bench 2 threads (no-CSP build)',
    runtime: 'chromium',
    backend: 'wasm',
    preset: 'bench',
    threads: 2,
    variant: 'no-csp',
    timedSteps: 5,
    maxSeconds: 60,
    timeoutSeconds: 180,
  },
  { id: 'node wasm bench', runtime: 'node', backend: 'wasm', preset: 'bench', timedSteps: 5, maxSeconds: 60, timeoutSeconds: 180 },
  {
    id: 'node wasm bench, stock matMul grad',
    runtime: 'node',
    backend: 'wasm',
    preset: 'bench',
    matMulGrad: 'stock',
    timedSteps: 3,
    maxSeconds: 60,
    timeoutSeconds: 180,
  },
  // Needs the `webgpu` package and a Vulkan driver (VK_ICD_FILENAMES: .ci/lavapipe.sh); fails with the reason otherwise.
  { id: 'node webgpu bench', runtime: 'node', backend: 'webgpu', preset: 'bench', timedSteps: 3, maxSeconds: 60, timeoutSeconds: 300 },
  {
    id: 'chromium webgl bench',
    runtime: 'chromium',
    backend: 'webgl',
    preset: 'bench',
    timedSteps: 3,
    maxSeconds: 60,
    timeoutSeconds: 240,
  },
  {
    id: 'chromium webgl bench conv2d',
    runtime: 'chromium',
    backend: 'webgl',
    preset: 'bench',
    convImpl: 'conv2d',
    timedSteps: 2,
    maxSeconds: 60,
    timeoutSeconds: 240,
  },
  {
    id: 'chromium webgpu bench',
    runtime: 'chromium',
    backend: 'webgpu',
    preset: 'bench',
    timedSteps: 3,
    maxSeconds: 90,
    timeoutSeconds: 360,
  },
  {
    id: 'chromium webgpu bench im2col',
    runtime: 'chromium',
    backend: 'webgpu',
    preset: 'bench',
    convImpl: 'im2col',
    timedSteps: 2,
    maxSeconds: 90,
    timeoutSeconds: 360,
  },
  {
    id: 'chromium cpu bench',
    runtime: 'chromium',
    backend: 'cpu',
    preset: 'bench',
    timedSteps: 1,
    maxSeconds: 400,
    timeoutSeconds: 600,
    needs: 'cpu-flag',
    skipNote: 'about 30 s per step here, 3 steps with warm-up: run with --with-cpu',
  },
  {
    id: 'chromium wasm default',
    runtime: 'chromium',
    backend: 'wasm',
    preset: 'default',
    timedSteps: 3,
    maxSeconds: 60,
    timeoutSeconds: 240,
  },
  {
    id: 'chromium wasm default, stock matMul grad',
    runtime: 'chromium',
    backend: 'wasm',
    preset: 'default',
    matMulGrad: 'stock',
    timedSteps: 2,
    maxSeconds: 60,
    timeoutSeconds: 240,
  },
  { id: 'node wasm default', runtime: 'node', backend: 'wasm', preset: 'default', timedSteps: 3, maxSeconds: 60, timeoutSeconds: 240 },
  {
    id: 'chromium webgl default',
    runtime: 'chromium',
    backend: 'webgl',
    preset: 'default',
    timedSteps: 2,
    maxSeconds: 60,
    timeoutSeconds: 300,
  },
  {
    id: 'chromium webgpu default',
    runtime: 'chromium',
    backend: 'webgpu',
    preset: 'default',
    timedSteps: 1,
    maxSeconds: 90,
    timeoutSeconds: 420,
  },
  { id: 'chromium wasm tiny', runtime: 'chromium', backend: 'wasm', preset: 'tiny', timedSteps: 5, maxSeconds: 30, timeoutSeconds: 120 },
  { id: 'chromium webgl tiny', runtime: 'chromium', backend: 'webgl', preset: 'tiny', timedSteps: 5, maxSeconds: 30, timeoutSeconds: 120 },
  {
    id: 'chromium webgpu tiny',
    runtime: 'chromium',
    backend: 'webgpu',
    preset: 'tiny',
    timedSteps: 5,
    maxSeconds: 30,
    timeoutSeconds: 180,
  },
  { id: 'chromium cpu tiny', runtime: 'chromium', backend: 'cpu', preset: 'tiny', timedSteps: 5, maxSeconds: 30, timeoutSeconds: 180 },
];

/** The app's conv choice per backend (src/use/backend.ts); rows record what actually ran. */
const APP_CONV: Record<string, string> = { webgpu: 'conv2d', webgl: 'im2col', wasm: 'conv2d', cpu: 'im2col' };

function fromResult(base: Omit<TrainRow, 'status' | 'note'>, r: TrainBenchResult, note: string, appConv: string): TrainRow {
  const leak =
    r.numTensors.length > 1 && r.numTensors.at(-1)! > r.numTensors[0]
      ? `; numTensors grew ${r.numTensors[0]} -> ${r.numTensors.at(-1)}`
      : '';
  const cut = r.stoppedBy === 'time' ? `; time budget reached after ${r.stepMs.length} timed steps` : '';
  return {
    ...base,
    convImpl: r.convImpl,
    appChoice: r.convImpl === appConv,
    status: 'ok',
    note: [note, cut, leak]
      .map((x) => x.replace(/^; /, ''))
      .filter(Boolean)
      .join('; '),
    warmupMs: r.warmupMs,
    firstStepMs: r.firstStepMs,
    step: r.step,
    pairsPerSec: r.pairsPerSec,
    numTensors: r.numTensors,
  };
}

async function runCombo(c: Combo, browsers: Map<PageVariant, BenchBrowser>, withCpu: boolean): Promise<TrainRow> {
  const t0 = performance.now();
  const base = {
    id: c.id,
    runtime: c.runtime,
    backend: c.backend,
    preset: c.preset,
    convImpl: c.convImpl ?? APP_CONV[c.backend],
    threads: c.threads ?? (c.backend === 'wasm' ? 1 : null),
    appChoice: !c.convImpl || c.convImpl === APP_CONV[c.backend],
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    seconds: 0,
  };
  const done = (row: TrainRow) => ({ ...row, runAt: new Date().toISOString(), seconds: Math.round((performance.now() - t0) / 100) / 10 });
  if (c.needs === 'cpu-flag' && !withCpu) return done({ ...base, status: 'skipped', note: c.skipNote ?? 'skipped' });
  const opts = {
    preset: c.preset,
    timedSteps: c.timedSteps,
    maxSeconds: c.maxSeconds,
    convImpl: c.convImpl,
    threads: c.threads,
    matMulGrad: c.matMulGrad,
  };
  try {
    if (c.runtime === 'node') {
      const info = await setupNodeBackend(c.backend, { matMulGrad: c.matMulGrad });
      const r = await benchTraining({
        preset: c.preset,
        convImpl: c.convImpl ?? info.convImpl,
        timedSteps: c.timedSteps,
        maxSeconds: c.maxSeconds,
      });
      return done(fromResult(base, r, info.detail, info.convImpl));
    }
    const browser = browsers.get(c.variant ?? 'app')!;
    const { backend, result } = await browser.run<{ backend: BackendInfo & { threads?: number }; result: TrainBenchResult }>(
      'train',
      [c.backend, opts],
      c.timeoutSeconds * 1000,
    );
    const where = backend.name === 'webgpu' ? `adapter: ${backend.adapter}${backend.fallbackAdapter ? ' (fallback)' : ''}` : '';
    const threads = backend.threads !== undefined ? `${backend.reason}: ${backend.threads} thread(s) reported by tfjs` : '';
    const grad = c.matMulGrad === 'stock' ? "tfjs-core's own matMul gradient (the app installs the explicit-transpose one on wasm)" : '';
    return done(fromResult(base, result, [where, threads, grad].filter(Boolean).join('; '), backend.convImpl));
  } catch (err) {
    return done({
      ...base,
      status: 'failed',
      note: String((err as Error).message ?? err)
        .split('\n')[0]
        .slice(0, 300),
    });
  }
}

function pytorchRow(threads: number, when: string): TrainRow {
  const t0 = performance.now();
  const base = {
    id: `pytorch cpu bench ${threads} thread${threads > 1 ? 's' : ''} (${when})`,
    runtime: 'pytorch' as const,
    backend: 'torch cpu',
    preset: 'bench' as const,
    convImpl: null,
    threads,
    appChoice: true,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  const version = torchVersion();
  if (!version)
    return { ...base, status: 'skipped', note: `no torch in ${PYTHON} (Debian: apt-get install -y python3-torch)`, seconds: seconds() };
  try {
    const out = execFileSync(PYTHON, ['bench/pytorch_bench.py', '--threads', String(threads), '--steps', '20', '--warmup', '3'], {
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { torch: string; threads: number; batch: number; stepMs: number[] };
    const step = summarize(r.stepMs);
    return {
      ...base,
      status: 'ok',
      note: `torch ${r.torch}, ${r.threads} thread(s), 3 warm-up + 20 timed steps`,
      step,
      pairsPerSec: (1000 * r.batch) / step.median,
      seconds: seconds(),
    };
  } catch (err) {
    return { ...base, status: 'failed', note: String((err as Error).message).split('\n')[0], seconds: seconds() };
  }
}

export async function benchTrain(argv: string[]): Promise<ResultFile<TrainRow>> {
  const withCpu = argv.includes('--with-cpu');
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const wanted = only?.split(',').filter(Boolean) ?? [];
  const pick = (id: string) => !only || wanted.some((w) => id.includes(w));
  const combos = COMBOS.filter((c) => pick(c.id));
  const variants = new Set(combos.filter((c) => c.runtime === 'chromium').map((c) => c.variant ?? 'app'));
  const browsers = new Map<PageVariant, BenchBrowser>();
  for (const v of variants) {
    buildBenchPage(v);
    browsers.set(v, await openBenchBrowser(v));
  }
  const rows: TrainRow[] = [];
  const log = (r: TrainRow) => {
    rows.push(r);
    const ms = r.step
      ? `${r.step.median.toFixed(0)} ms/step (n=${r.step.n}, ±${(100 * r.step.spread).toFixed(0)}%)`
      : r.firstStepMs
        ? `first step ${r.firstStepMs.toFixed(0)} ms`
        : '';
    console.log(`${r.status.padEnd(7)} ${r.id.padEnd(48)} ${ms} ${r.note} [${r.seconds} s, load ${r.loadAverage[0]}]`);
  };
  try {
    const first = browsers.values().next().value;
    if (first) {
      machine.chromium = first.version;
      machine.page = await first.run('machine', [], 60_000);
    }
    machine.torch = torchVersion();
    const withTorch = pick('pytorch cpu bench');
    if (withTorch) log(pytorchRow(1, 'start'));
    for (const c of combos) log(await runCombo(c, browsers, withCpu));
    if (withTorch) {
      log(pytorchRow(1, 'end'));
      log(pytorchRow(os.cpus().length, 'end'));
    }
  } finally {
    for (const b of browsers.values()) await b.close();
  }
  const file: ResultFile<TrainRow> = {
    version: 1,
    benchmark: 'train',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      "Synthetic data (random pixels, random captions filling the whole vocabulary); the app's runTraining loop, metrics read back every step.",
      "warm-up = runTraining's gradient pass before step 1 (shader compile on GPU backends); step 1 (first optimiser update) is reported apart; the median is over the later steps.",
      "Other processes may share this machine: see each row's load average, and compare rows as ratios within one run.",
    ],
  };
  if (only) {
    // Merge into the last full run: same ids replaced, the others kept, each row with its runAt.
    const last = readResult<TrainRow>('train');
    if (last) {
      const fresh = new Set(rows.map((r) => r.id));
      // Rows of combinations that no longer exist (an older bench version) are dropped.
      const current = new Set([...COMBOS.map((c) => c.id), ...rows.map((r) => r.id)]);
      const kept = last.rows.filter((r) => current.has(r.id) || r.runtime === 'pytorch');
      file.rows = [
        ...kept.map((r) => (fresh.has(r.id) ? rows.find((x) => x.id === r.id)! : r)),
        ...rows.filter((r) => !kept.some((x) => x.id === r.id)),
      ];
      file.machine = last.machine;
      file.startedAt = last.startedAt;
      file.seconds = last.seconds;
      file.notes = [...last.notes.filter((n) => !n.startsWith('Rows re-run')), `Rows re-run later with --only=${only}: see their runAt.`];
    }
  }
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchTrain(process.argv.slice(2));
  (await import('./report')).writeReport();
  console.log(`train benchmark: ${file.seconds} s`);
}
