// Test page for backend parity: the app's own backend selection and trainer, behind
// window.firstStepLoss(backend), so an e2e test can compare step-1 losses across backends from
// the same seed and weights (one backend per page load).
import { withOverrides } from '../../../../src/config';
import { renderSampleImage } from '../../../../src/data/sample';
import type { TrainingSet } from '../../../../src/data/types';
import { selectBackend, type BackendChoice } from '../../../../src/use/backend';
import { runTraining } from '../../../../src/train/trainer';

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

async function firstStepLosses(backend: BackendChoice, steps = 2): Promise<{ backend: string; losses: number[] }> {
  const info = await selectBackend(backend);
  const config = withOverrides('tiny', { epochs: 1, augment: false, evalEveryEpoch: false, checkpointEverySteps: 1000 });
  const ctrl = new AbortController();
  const losses: number[] = [];
  await runTraining(sampleSet(64, 32), config, {
    signal: ctrl.signal,
    convImpl: info.convImpl,
    callbacks: {
      onStep: (m) => {
        losses.push(m.loss);
        if (losses.length >= steps) ctrl.abort();
      },
    },
  });
  return { backend: info.name, losses };
}

(globalThis as unknown as { firstStepLosses: typeof firstStepLosses }).firstStepLosses = firstStepLosses;
document.getElementById('status')!.textContent = 'ready';
