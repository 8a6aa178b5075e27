// WebGPU in Node (Dawn from the `webgpu` package on a Vulkan driver; CI installs Mesa 25 lavapipe):
// the app's first training steps give the same loss as the cpu backend from the same seed and
// weights. Runs wherever an adapter exists; CLIP_LAB_REQUIRE_WEBGPU=1 (set by .ci/run) makes a
// missing adapter a failure instead of a skip.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides } from '../../../src/config';
import { renderSampleImage } from '../../../src/data/sample';
import type { TrainingSet } from '../../../src/data/types';
import { setupNodeBackend } from '../../../cli/backend';
import { runTraining } from '../../../src/train/trainer';

function sampleSet(n: number, size: number): TrainingSet {
  const images = Array.from({ length: n }, (_, i) => renderSampleImage(i, size));
  const pixels = new Uint8Array(n * size * size * 3);
  images.forEach((im, i) => pixels.set(im.pixels, i * size * size * 3));
  return {
    name: 'parity',
    imageSize: size,
    pixels,
    imageNames: images.map((i) => i.name),
    imageSplit: Uint8Array.from(images, (_, i) => (i % 8 === 0 ? 1 : 0)),
    captions: images.flatMap((im, i) => im.captions.map((text) => ({ image: i, text }))),
  };
}

/** Dawn is initialised once (the probe below); later switches go through tf.setBackend. */
async function losses(backend: 'cpu' | 'webgpu', steps = 2): Promise<number[]> {
  await tf.setBackend(backend);
  const info = { convImpl: 'im2col' as const };
  const config = withOverrides('tiny', { epochs: 1, augment: false, evalEveryEpoch: false, checkpointEverySteps: 1000 });
  const ctrl = new AbortController();
  const out: number[] = [];
  await runTraining(sampleSet(64, 32), config, {
    signal: ctrl.signal,
    convImpl: info.convImpl,
    callbacks: { onStep: (m) => (out.push(m.loss), out.length >= steps && ctrl.abort()) },
  });
  return out;
}

const probe = await setupNodeBackend('webgpu').then(
  (info) => ({ ok: true as const, detail: info.detail }),
  (err: Error) => ({ ok: false as const, detail: err.message }),
);
await setupNodeBackend('cpu');
const required = process.env.CLIP_LAB_REQUIRE_WEBGPU === '1';

describe(`webgpu in Node (${probe.detail})`, () => {
  it.runIf(probe.ok || required)("gives the cpu backend's first-step loss (1e-4)", async () => {
    expect(probe.ok, probe.detail).toBe(true);
    const cpu = await losses('cpu');
    const gpu = await losses('webgpu');
    await tf.setBackend('cpu');
    expect(Math.abs(gpu[0] - cpu[0]), `step 1: webgpu ${gpu[0]} vs cpu ${cpu[0]}`).toBeLessThan(1e-4);
    expect(Math.abs(gpu[1] - cpu[1]), `step 2: webgpu ${gpu[1]} vs cpu ${cpu[1]}`).toBeLessThan(1e-3);
  });
});
