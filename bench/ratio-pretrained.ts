// Same-run ratios to PyTorch for the pretrained-tower path (npm run bench:ratio-pretrained; issue 11
// item 3), interleaved round by round (bench/lib/interleave.ts): the head-only training step
// (featureTrainStep, the page's pretrained setup, Node wasm) against the same model and loss in
// PyTorch, and the feature pass (the nsfwjs MobileNetV2 1.0 fixture through extractFeatures, Node
// wasm and Node cpu) against torchvision's mobilenet_v2, PyTorch on 1 CPU thread both times.
// Debian's python3-torch does its matrix products in the reference BLAS (libblas3: 2.7 GFLOP/s on
// one thread here, OpenBLAS 59), which the head step is made of; so the head step is also timed
// against the same PyTorch with OpenBLAS's libblas.so.3 in LD_LIBRARY_PATH, when found: unpacked
// from Debian's libopenblas0-pthread into bench/tmp/openblas (see OPENBLAS_DIRS), or installed.
// The feature pass's convolutions go through oneDNN either way.
// Flags: --rounds=N (default 3), --no-cpu (leave out the Node cpu feature pass, ~25 s a round).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setupNodeBackend } from '../cli/backend';
import type { Backbone } from '../src/model/backbone';
import { interleave, ratio, type Ratio, type Round, type Sample, type Side } from './lib/interleave';
import { machineInfo, PYTHON, torchVersion } from './lib/machine';
import { LAB_HEAD, LAB_PASS_CPU, LAB_PASS_WASM, TORCH_HEAD, TORCH_HEAD_OPENBLAS, TORCH_PASS } from './lib/ratioPretrainedReport';
import { benchFeaturePass, benchHeadStep, HEAD_SETUP, loadMobileNetV2, type TimedRun } from './lib/pretrainedBench';
import { writeResult, type ResultFile } from './lib/results';
import { summarize } from './lib/stats';

const FEATURES = 1792; // MobileNetV2 1.4's pooled width, the backbone bench:quality's pretrained row uses
const HEAD_STEPS = { steps: 5, warmup: 2 };
const PASS = { batch: 32, batches: 2, warmup: 1 };
const CPU_PASS = { batch: 8, batches: 1, warmup: 0 }; // the cpu backend takes ~2.7 s an image here

/**
 * Where OpenBLAS's libblas.so.3 may be: `apt-get download libopenblas0-pthread && dpkg-deb -x
 * libopenblas0-pthread_*.deb bench/tmp/openblas` (no system change), or the installed package.
 */
export const OPENBLAS_DIRS = [
  fileURLToPath(new URL('tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread/', import.meta.url)),
  '/usr/lib/x86_64-linux-gnu/openblas-pthread/',
];

export interface RatioPretrainedFile extends ResultFile<Round> {
  ratios: Ratio[];
}

/** A side's sample from per-step (or per-batch) times, divided by `per` (images per batch for the passes). */
function sample(ms: number[], cpuMs: number[], per: number, detail: string): Sample {
  const s = summarize(ms);
  return { ms: s.median / per, cpuMs: summarize(cpuMs).median / per, detail: `${detail}; ${Math.round(s.min)}–${Math.round(s.max)} ms` };
}

function python(
  mode: 'head' | 'pass',
  steps: number,
  warmup: number,
  blasDir?: string, // a folder holding another libblas.so.3 (OpenBLAS), loaded in place of the system's
): { ms: number[]; cpuMs: number[]; out: number; torchvision?: string } {
  const args = ['bench/pytorch_pretrained.py', '--mode', mode, '--threads', '1', '--steps', String(steps), '--warmup', String(warmup)];
  if (mode === 'head') args.push('--features', String(FEATURES));
  const env = blasDir ? { ...process.env, LD_LIBRARY_PATH: blasDir, OPENBLAS_NUM_THREADS: '1' } : process.env;
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number[]; cpuMs: number[]; out: number; torchvision?: string };
}

const labDetail = (r: TimedRun, what: string) => `${what}; numTensors ${r.numTensors[0]} → ${r.numTensors[1]}`;

export async function benchRatioPretrained(argv: string[]): Promise<RatioPretrainedFile> {
  const rounds = Number(argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
  const withCpu = !argv.includes('--no-cpu');
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  machine.torch = torchVersion();
  if (!machine.torch) throw new Error(`bench:ratio-pretrained needs PyTorch in ${PYTHON} (Debian: apt-get install -y python3-torch)`);
  const backbones = new Map<string, Backbone>(); // one per backend, loaded on first use and kept
  const onBackend = async (name: 'wasm' | 'cpu') => {
    await setupNodeBackend(name);
    if (!backbones.has(name)) backbones.set(name, await loadMobileNetV2());
    return backbones.get(name)!;
  };
  const labPass = (name: 'wasm' | 'cpu', p: typeof PASS) => async () => {
    const r = await benchFeaturePass(await onBackend(name), p.batch, p.batches, p.warmup);
    return sample(
      r.ms,
      r.cpuMs,
      p.batch,
      labDetail(r, `ms per image; batch ${p.batch}, median of ${p.batches} batches after ${p.warmup} warm-up`),
    );
  };
  const openblas = OPENBLAS_DIRS.find((d) => existsSync(`${d}libblas.so.3`));
  const sides: Side[] = [
    ...(openblas
      ? [
          {
            id: TORCH_HEAD_OPENBLAS,
            run: async () => {
              const r = python('head', HEAD_STEPS.steps, HEAD_STEPS.warmup, openblas);
              return sample(
                r.ms,
                r.cpuMs,
                1,
                `${openblas}; median of ${HEAD_STEPS.steps} steps after ${HEAD_STEPS.warmup} warm-up; loss ${r.out.toFixed(3)}`,
              );
            },
          },
        ]
      : []),
    {
      id: TORCH_HEAD,
      run: async () => {
        const r = python('head', HEAD_STEPS.steps, HEAD_STEPS.warmup);
        return sample(r.ms, r.cpuMs, 1, `median of ${HEAD_STEPS.steps} steps after ${HEAD_STEPS.warmup} warm-up; loss ${r.out.toFixed(3)}`);
      },
    },
    {
      id: LAB_HEAD,
      run: async () => {
        await setupNodeBackend('wasm');
        const r = await benchHeadStep(FEATURES, HEAD_STEPS.steps, HEAD_STEPS.warmup);
        return sample(
          r.ms,
          r.cpuMs,
          1,
          labDetail(r, `median of ${HEAD_STEPS.steps} steps after ${HEAD_STEPS.warmup} warm-up; loss ${r.out.toFixed(3)}`),
        );
      },
    },
    {
      id: TORCH_PASS,
      run: async () => {
        const r = python('pass', PASS.batches, PASS.warmup);
        return sample(
          r.ms,
          r.cpuMs,
          PASS.batch,
          `ms per image; torchvision ${r.torchvision}, batch ${PASS.batch}, median of ${PASS.batches} batches after ${PASS.warmup} warm-up`,
        );
      },
    },
    { id: LAB_PASS_WASM, run: labPass('wasm', PASS) },
    ...(withCpu ? [{ id: LAB_PASS_CPU, run: labPass('cpu', CPU_PASS) }] : []),
  ];
  let rows: Round[];
  try {
    rows = await interleave(sides, rounds);
  } finally {
    for (const b of backbones.values()) b.dispose();
  }
  const ratios = [
    ratio(rows, LAB_HEAD, TORCH_HEAD),
    ratio(rows, LAB_HEAD, TORCH_HEAD, 'cpuMs'),
    ratio(rows, LAB_HEAD, TORCH_HEAD_OPENBLAS),
    ratio(rows, LAB_HEAD, TORCH_HEAD_OPENBLAS, 'cpuMs'),
    ratio(rows, LAB_PASS_WASM, TORCH_PASS),
    ratio(rows, LAB_PASS_WASM, TORCH_PASS, 'cpuMs'),
    ratio(rows, LAB_PASS_CPU, TORCH_PASS),
    ratio(rows, LAB_PASS_CPU, TORCH_PASS, 'cpuMs'),
  ].filter((r): r is Ratio => r !== null);
  const s = HEAD_SETUP;
  const file: RatioPretrainedFile = {
    version: 1,
    benchmark: 'ratio-pretrained',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    ratios,
    notes: [
      `Each round runs every side once, in the order listed (${sides.map((x) => x.id).join(' → ')}); a ratio is the median of the per-round ratios (lab ÷ PyTorch of the same round), with its range. Feature-pass samples are ms per image, so a ratio is PyTorch's images/s ÷ the lab's.`,
      `Head step: the app's FeatureClipModel + featureTrainStep + AdamW on Node wasm (1 thread, SIMD) against bench/pytorch_pretrained.py --mode head; both: ${FEATURES}-d seeded synthetic features, linear head with dropout ${s.dropout}, 'bow' text tower (vocabulary ${s.vocab}, width ${s.textWidth}), embedDim ${s.embedDim}, batch ${s.batch}, ${s.maxTokens} tokens, symmetric InfoNCE only (no match classifier), AdamW weight decay ${s.weightDecay}, loss read back every step.`,
      `Feature pass: the nsfwjs MobileNetV2 1.0 fixture (writeNsfwjsFixture('mobilenet_v2'), a layers model, 224 px, 1,280-d at flatten_1) through the app's extractFeatures on seeded float32 pixels, features read back, against torchvision's mobilenet_v2 (same architecture, random weights) features + global average pool under no_grad, 1 thread. PyTorch and Node wasm at batch ${PASS.batch}; Node cpu at batch ${CPU_PASS.batch}, one batch (it takes minutes at 32).`,
      `PyTorch here is Debian's python3-torch, whose matrix products go to the system's libblas.so.3, the reference BLAS (2.7 GFLOP/s on one thread on this machine; OpenBLAS 59): the head step is made of matrix products, so it is also timed against the same PyTorch with Debian's OpenBLAS (libopenblas0-pthread, 1 thread) loaded in its place (${openblas ?? 'not found: no such rows in this run'}). A pip PyTorch (MKL) would be nearer the OpenBLAS rows. The feature pass's convolutions run in oneDNN either way (the bench preset's PyTorch step did not speed up with OpenBLAS).`,
      "Wall-clock ratios, and CPU-time ratios (Node's process.cpuUsage() against Python's time.process_time() over the same steps), which other load on the machine disturbs less. The runs were made under `nice -n 10` while other work ran on this 2-core machine: absolute times are this machine's at that moment; only the ratios carry over.",
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchRatioPretrained(process.argv.slice(2));
  for (const r of file.ratios)
    console.log(`${r.side} (${r.measure}): ${r.median.toFixed(2)}× ${r.to} (rounds: ${r.perRound.map((x) => x.toFixed(2)).join(', ')})`);
  (await import('./report')).writeReport();
}
