// The preset a newcomer starts from: by backend, GPU and dataset size, with the reason in words.
import { describe, expect, it } from 'vitest';
import { choosePreset, type PresetContext } from '../../../src/ui/train/presetChoice';

const base: PresetContext = { gpu: 'real', backend: 'auto', trainImages: 6000, sample: false };

describe('choosePreset', () => {
  it.each([
    ['real GPU, big dataset', {}, 'default', /GPU is available/],
    ['sample on a real GPU', { sample: true }, 'tiny', /built-in sample/],
    ['no GPU (wasm on auto)', { gpu: 'none' }, 'tiny', /no GPU here/],
    ['software adapter only', { gpu: 'software' }, 'tiny', /software GPU/],
    ['wasm forced with a GPU present', { backend: 'wasm' }, 'tiny', /CPU/],
    ['webgpu forced on a software adapter', { backend: 'webgpu', gpu: 'software' }, 'tiny', /webgpu without a real GPU/],
    ['webgl forced with a real GPU', { backend: 'webgl' }, 'default', /GPU/],
    ['small dataset on a GPU', { trainImages: 800 }, 'tiny', /800 training images/],
    ['no dataset chosen, GPU', { trainImages: null }, 'default', /GPU/],
  ] as [string, Partial<PresetContext>, string, RegExp][])('%s → %s', (_name, over, preset, reason) => {
    const c = choosePreset({ ...base, ...over });
    expect(c.preset).toBe(preset);
    expect(c.reason).toMatch(reason);
    expect(c.reason.startsWith(`${preset}:`)).toBe(true);
  });
});
