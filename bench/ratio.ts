// Same-run ratios to PyTorch (npm run bench:ratio): the `bench` preset's training step in the
// app's code (Chromium wasm as the page runs it; the earlier im2col convs; Node wasm as the headless
// trainer runs it; the same with the lab's SIMD loops off, src/kernels/wasmSimd.ts) and the same
// model in PyTorch on one CPU thread, interleaved round by round
// (bench/lib/interleave.ts). Every ratio that BENCHMARKS.md and README quote comes from here.
// Flags: --rounds=N (default 3, at least 3 for a quoted ratio).

import { execFileSync } from 'node:child_process';
import type { BackendInfo } from '../src/use/backend';
import { setupNodeBackend } from '../cli/backend';
import { useSimdKernels } from '../src/kernels/wasmSimd';
import { buildBenchPage, openBenchBrowser } from './lib/browser';
import { interleave, ratio, type Ratio, type Round, type Side } from './lib/interleave';
import { machineInfo, PYTHON, torchVersion } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';
import { summarize } from './lib/stats';
import type { TrainBenchResult } from './lib/trainBench';
import { benchTraining } from './lib/trainBench';

export const REFERENCE = 'pytorch cpu bench 1 thread';
const NODE = 'node wasm bench (headless trainer)';
const NODE_BEFORE = 'node wasm bench, im2col convs (before)';
const NODE_JS_LOOPS = 'node wasm bench, JS loops (SIMD module off)';

export interface RatioFile extends ResultFile<Round> {
  ratios: Ratio[];
}

const stepMs = (r: TrainBenchResult) => (r.stepMs.length ? r.step.median : r.firstStepMs);

export async function benchRatio(argv: string[]): Promise<RatioFile> {
  const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  machine.torch = torchVersion();
  if (!machine.torch) throw new Error(`bench:ratio needs PyTorch in ${PYTHON} (Debian: apt-get install -y python3-torch)`);
  buildBenchPage('app');
  const browser = await openBenchBrowser('app');
  machine.chromium = browser.version;
  machine.page = await browser.run('machine', [], 60_000);
  const page = (convImpl?: 'im2col') => async () => {
    const { backend, result } = await browser.run<{ backend: BackendInfo; result: TrainBenchResult }>(
      'train',
      ['wasm', { preset: 'bench', timedSteps: 5, maxSeconds: 90, convImpl }],
      300_000,
    );
    return {
      ms: stepMs(result),
      detail: `convs ${result.convImpl} (app: ${backend.convImpl}, ${backend.wasmLoops ?? 'js'} loops); steps ${result.stepMs.map(Math.round).join(', ')}; numTensors ${result.numTensors[0]} → ${result.numTensors.at(-1)}`,
    };
  };
  const node =
    (convImpl?: 'im2col', simd = true) =>
    async () => {
      const info = await setupNodeBackend('wasm');
      useSimdKernels(simd);
      const r = await benchTraining({ preset: 'bench', convImpl: convImpl ?? info.convImpl, timedSteps: 5, maxSeconds: 90 }).finally(() =>
        useSimdKernels(true),
      );
      return {
        ms: stepMs(r),
        cpuMs: summarize(r.cpuMs).median,
        detail: `convs ${r.convImpl}; numTensors ${r.numTensors[0]} → ${r.numTensors.at(-1)}`,
      };
    };
  const sides: Side[] = [
    {
      id: REFERENCE,
      run: async () => {
        const out = execFileSync(PYTHON, ['bench/pytorch_bench.py', '--threads', '1', '--steps', '20', '--warmup', '3'], {
          encoding: 'utf8',
        });
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as { stepMs: number[]; cpuMs: number[] };
        const s = summarize(r.stepMs);
        return {
          ms: s.median,
          cpuMs: summarize(r.cpuMs).median,
          detail: `median of 20 steps after 3 warm-up; ${Math.round(s.min)}–${Math.round(s.max)}`,
        };
      },
    },
    { id: 'chromium wasm bench (the app)', run: page() },
    { id: NODE, run: node() },
    { id: 'chromium wasm bench, im2col convs (before)', run: page('im2col') },
    { id: NODE_BEFORE, run: node('im2col') },
    { id: NODE_JS_LOOPS, run: node(undefined, false) },
  ];
  let results: Round[];
  try {
    results = await interleave(sides, rounds);
  } finally {
    await browser.close();
  }
  const ratios = [
    ...sides.slice(1).map((s) => ratio(results, s.id, REFERENCE)),
    ratio(results, NODE, REFERENCE, 'cpuMs'),
    ratio(results, NODE_BEFORE, REFERENCE, 'cpuMs'),
    ratio(results, NODE_JS_LOOPS, REFERENCE, 'cpuMs'),
  ].filter((r): r is Ratio => r !== null);
  const file: RatioFile = {
    version: 1,
    benchmark: 'ratio',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows: results,
    ratios,
    notes: [
      `Each round runs every side once, in the order listed (${sides.map((s) => s.id).join(' → ')}); a ratio is the median of the per-round ratios (lab ms/step ÷ PyTorch ms/step of the same round), with its range.`,
      "Lab sides: the app's runTraining on synthetic data (bench preset, batch 64), warm-up and first step excluded, median of 5 timed steps, metrics read back every step. Chromium sides run in a fresh page of the bench build (the app's selectBackend, CSP included).",
      'PyTorch: bench/pytorch_bench.py, the same model, 1 thread (torch.set_num_threads(1)).',
      "Wall-clock ratios, except the row marked CPU time: Node's process.cpuUsage() against Python's time.process_time() over the same steps, which other processes on the machine disturb far less than wall-clock time (a page's CPU time cannot be read from inside it).",
      "Absolute times are this machine's under the load recorded per round; only the ratios carry over.",
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchRatio(process.argv.slice(2));
  for (const r of file.ratios)
    console.log(`${r.side}: ${r.median.toFixed(2)}× PyTorch 1 thread (rounds: ${r.perRound.map((x) => x.toFixed(2)).join(', ')})`);
  (await import('./report')).writeReport();
}
