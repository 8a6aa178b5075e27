// Where a training step's time goes (npm run bench:profile): tf.profile() over one step of the
// app's trainStep in Node, kernels ranked by total time. wasm and cpu kernels run synchronously,
// so kernel times add up to the step. Flags: --backend=wasm|cpu (default wasm), --preset=P (default bench),
// --stock-grad (wasm: tfjs-core's matMul gradient instead of src/train/matMulGrad.ts);
// --all: both gradients on wasm, recorded in bench/results/profile.json for BENCHMARKS.md.

import * as tf from '@tensorflow/tfjs';
import { withOverrides, type PresetName } from '../src/config';
import { ClipModel } from '../src/model/clip';
import { setupNodeBackend } from '../cli/backend';
import { AdamW } from '../src/train/optimizer';
import { imageBatch, gatherRows } from '../src/train/pixels';
import { prepareData } from '../src/train/prepare';
import { trainStep, warmupStep, type TrainBatch } from '../src/train/step';
import { machineInfo } from './lib/machine';
import { writeResult, type ResultFile } from './lib/results';
import { syntheticTrainingSet } from './lib/synthetic';

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

/** Kernel times of one training step (after a warm-up step), largest first. */
export async function profileStep(preset: PresetName, convImpl: 'im2col' | 'conv2d'): Promise<{ totalMs: number; kernels: KernelTime[] }> {
  const config = withOverrides(preset);
  const data = syntheticTrainingSet(config, { images: 2 * config.batchSize, captionsPerImage: 1 });
  const prep = prepareData(data, config);
  const ids = prep.trainIds.slice(0, config.batchSize);
  const batch: TrainBatch = {
    size: ids.length,
    images: imageBatch(
      prep.pixels,
      config.imageSize,
      ids.map((id) => prep.captionImage[id]),
    ),
    tokens: gatherRows(prep.tokens, config.maxTokens, ids),
  };
  const model = ClipModel.create(config, prep.tokenizer.size, { convImpl });
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: config.adamEpsilon, weightDecay: config.weightDecay });
  try {
    await warmupStep(model, batch);
    trainStep(model, optimizer, batch, { lr: 1e-3, step: 0, read: false });
    const t0 = performance.now();
    const info = await tf.profile(() => {
      trainStep(model, optimizer, batch, { lr: 1e-3, step: 1, read: false });
    });
    const totalMs = performance.now() - t0;
    const byName = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      const e = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      e.calls++;
      byName.set(k.name, e);
    }
    return { totalMs, kernels: [...byName.values()].sort((a, b) => b.ms - a.ms) };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

export interface ProfileRow {
  runtime: 'node';
  backend: string;
  detail: string;
  preset: PresetName;
  matMulGrad: 'explicit-transpose' | 'stock';
  totalMs: number;
  kernels: KernelTime[]; // the 10 largest
}

/** Profiles one bench-preset step on Node wasm with each matMul gradient; writes bench/results/profile.json. */
export async function benchProfile(preset: PresetName = 'bench'): Promise<ResultFile<ProfileRow>> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const machine = machineInfo();
  const rows: ProfileRow[] = [];
  for (const matMulGrad of ['stock', 'explicit-transpose'] as const) {
    const info = await setupNodeBackend('wasm', { matMulGrad });
    const { totalMs, kernels } = await profileStep(preset, info.convImpl);
    rows.push({ runtime: 'node', backend: 'wasm', detail: info.detail, preset, matMulGrad, totalMs, kernels: kernels.slice(0, 10) });
    console.log(
      `${info.detail}: ${totalMs.toFixed(0)} ms; ${kernels
        .slice(0, 4)
        .map((k) => `${k.name} ${k.ms.toFixed(0)}`)
        .join(', ')}`,
    );
  }
  const file: ResultFile<ProfileRow> = {
    version: 1,
    benchmark: 'profile',
    startedAt,
    seconds: Math.round((performance.now() - t0) / 1000),
    machine,
    rows,
    notes: [
      "tf.profile() around one trainStep (after a warm-up step and a first step) of the app's model; wasm kernels are synchronous, so their times add up to the step.",
    ],
  };
  writeResult(file);
  return file;
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--all')) {
  await benchProfile();
  (await import('./report')).writeReport();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  const backend = arg('backend', 'wasm');
  const preset = arg('preset', 'bench') as PresetName;
  const info = await setupNodeBackend(backend, { matMulGrad: process.argv.includes('--stock-grad') ? 'stock' : 'explicit-transpose' });
  const { totalMs, kernels } = await profileStep(preset, info.convImpl);
  const sum = kernels.reduce((a, k) => a + k.ms, 0);
  console.log(
    `${preset} on ${info.detail}, convs ${info.convImpl}: one step ${totalMs.toFixed(0)} ms under the profiler, kernels ${sum.toFixed(0)} ms`,
  );
  for (const k of kernels.slice(0, 15))
    console.log(`${k.name.padEnd(24)} ${k.ms.toFixed(0).padStart(7)} ms ${((100 * k.ms) / sum).toFixed(1).padStart(5)}%  ${k.calls} calls`);
}
