// Memory benchmark (npm run bench:memory): tf.memory() after every step of the app's training loop
// in Node on cpu and wasm. A flat numTensors (and numBytes) after the first step means no leak.

import * as tf from '@tensorflow/tfjs';
import type { PresetName } from '../src/config';
import { setupNodeBackend } from '../cli/backend';
import { runTraining } from '../src/train/trainer';
import { withOverrides } from '../src/config';
import { machineInfo } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';
import { syntheticTrainingSet } from './lib/synthetic';

export interface MemoryRow {
  runtime: 'node';
  backend: string;
  preset: PresetName;
  numTensors: number[]; // after each step
  numBytes: number[];
  flat: boolean;
}

const RUNS: { backend: 'cpu' | 'wasm'; preset: PresetName; steps: number }[] = [
  { backend: 'cpu', preset: 'tiny', steps: 40 },
  { backend: 'wasm', preset: 'tiny', steps: 40 },
  { backend: 'wasm', preset: 'bench', steps: 10 },
];

async function measure(backend: 'cpu' | 'wasm', preset: PresetName, steps: number): Promise<MemoryRow> {
  const info = await setupNodeBackend(backend);
  // Two epochs with an evaluation between them: the epoch boundary and evaluate() are checked too.
  const config = withOverrides(preset, { epochs: 2, evalEveryEpoch: true, maxEvalImages: 64 });
  const data = syntheticTrainingSet(config, {
    images: Math.ceil(((steps / 2) * config.batchSize) / 5) + 2 * config.batchSize,
    captionsPerImage: 5,
  });
  const val = Math.min(64, Math.floor(data.imageNames.length / 4));
  data.imageSplit.fill(1, data.imageNames.length - val); // the last images are val
  const numTensors: number[] = [];
  const numBytes: number[] = [];
  const abort = new AbortController();
  await runTraining(data, config, {
    signal: abort.signal,
    convImpl: info.convImpl,
    callbacks: {
      onStep: (m) => {
        numTensors.push(tf.memory().numTensors);
        numBytes.push(tf.memory().numBytes);
        if (m.step >= steps) abort.abort();
      },
    },
  }).catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  const after = numTensors.slice(1);
  return { runtime: 'node', backend, preset, numTensors, numBytes, flat: after.every((n) => n === numTensors[0]) };
}

export async function benchMemory(): Promise<ResultFile<MemoryRow>> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const rows: MemoryRow[] = [];
  for (const r of RUNS) {
    const row = await measure(r.backend, r.preset, r.steps);
    rows.push(row);
    console.log(
      `${row.backend} ${row.preset}: numTensors ${row.numTensors[0]} -> ${row.numTensors.at(-1)} over ${row.numTensors.length} steps: ${row.flat ? 'flat' : 'GROWS'}`,
    );
  }
  const file: ResultFile<MemoryRow> = {
    version: 1,
    benchmark: 'memory',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      'runTraining on synthetic data with a val split, 2 epochs (an evaluation between them) cut at the step count; tf.memory() read in onStep.',
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = await benchMemory();
  (await import('./report')).writeReport();
  console.log(`memory benchmark: ${file.seconds} s`);
}
