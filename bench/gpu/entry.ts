// The GPU benchmark's Node side, bundled into one file by bench/gpu/pack.ts: the app's own training
// loop (bench/lib/trainBench.ts) on TF.js WebGPU through Dawn's dawn.node, loaded from a path
// (no npm, no network on the GPU machine). Prints one JSON line. Flags: --dawn=PATH (default:
// dawn.node beside this file), --preset=bench|default|tiny, --conv=conv2d|im2col, --steps=N,
// --max-seconds=S.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { PresetName } from '../../src/config';
import type { ConvImpl } from '../../src/model/layers';
import { benchTraining } from '../lib/trainBench';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const here = dirname(fileURLToPath(import.meta.url));

type GpuAdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string };

async function main() {
  const dawn = createRequire(import.meta.url)(arg('dawn', join(here, 'dawn.node'))) as {
    create(flags: string[]): unknown;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]) as { requestAdapter(opts?: object): Promise<{ info?: GpuAdapterInfo; isFallbackAdapter?: boolean } | null> };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error('Dawn found no WebGPU adapter (is the Vulkan loader libvulkan.so.1 on LD_LIBRARY_PATH, and a driver ICD installed?)');
  const info = adapter.info ?? {};
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise its webgpu backend on Dawn');
  await tf.ready();
  const preset = arg('preset', 'bench') as PresetName;
  const convImpl = arg('conv', 'conv2d') as ConvImpl;
  const t0 = performance.now();
  const r = await benchTraining({ preset, convImpl, timedSteps: Number(arg('steps', '10')), maxSeconds: Number(arg('max-seconds', '60')) });
  console.log(
    JSON.stringify({
      runtime: 'node webgpu (Dawn)',
      preset,
      convImpl,
      node: process.version,
      adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter',
      batch: r.batchSize,
      warmupMs: r.warmupMs,
      firstStepMs: r.firstStepMs,
      stepMs: r.stepMs,
      medianMs: r.step.median,
      pairsPerSec: r.pairsPerSec,
      numTensors: r.numTensors,
      losses: r.losses,
      stoppedBy: r.stoppedBy,
      seconds: (performance.now() - t0) / 1000,
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.log(
      JSON.stringify({
        error: String((err as Error)?.stack ?? err)
          .split('\n')
          .slice(0, 3)
          .join(' | '),
      }),
    );
    process.exit(1);
  },
);
