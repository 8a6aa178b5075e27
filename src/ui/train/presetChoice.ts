// Which preset a newcomer should start from, and why, from what the page knows before training:
// the GPU the browser offers, the backend chosen and the dataset's size. Pure: no DOM, no TF.js.
import type { BackendName, PresetName } from '../../config';

/** What the browser's WebGPU probe found: a real GPU, a software emulation, or nothing. */
export type GpuKind = 'real' | 'software' | 'none';

export interface PresetContext {
  gpu: GpuKind;
  backend: BackendName | 'auto';
  /** Images in the dataset's train split; null when no dataset is chosen. */
  trainImages: number | null;
  sample: boolean; // the built-in synthetic dataset
}

export interface PresetChoice {
  preset: PresetName;
  reason: string;
}

/** Below this many train images the `default` model overfits and an epoch is too short to matter. */
export const SMALL_DATASET_IMAGES = 1500;

function runsOnGpu(ctx: PresetContext): boolean {
  if (ctx.backend === 'auto') return ctx.gpu === 'real';
  return (ctx.backend === 'webgpu' || ctx.backend === 'webgl') && ctx.gpu === 'real';
}

export function choosePreset(ctx: PresetContext): PresetChoice {
  if (ctx.sample)
    return { preset: 'tiny', reason: 'tiny: the built-in sample is small synthetic shapes; tiny learns it in about a minute' };
  if (!runsOnGpu(ctx)) {
    const where =
      ctx.backend === 'auto' || ctx.backend === 'wasm' || ctx.backend === 'cpu'
        ? ctx.gpu === 'software'
          ? 'only a software GPU here, so training runs on the CPU'
          : 'no GPU here, so training runs on the CPU'
        : `${ctx.backend} without a real GPU is slow`;
    return { preset: 'tiny', reason: `tiny: ${where}; default would take hours per epoch` };
  }
  if (ctx.trainImages !== null && ctx.trainImages < SMALL_DATASET_IMAGES) {
    return {
      preset: 'tiny',
      reason: `tiny: ${ctx.trainImages.toLocaleString('en-US')} training images is too few for the larger default model`,
    };
  }
  return { preset: 'default', reason: 'default: a GPU is available and the dataset is large enough' };
}
