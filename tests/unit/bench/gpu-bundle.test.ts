// The GPU benchmark bundle (bench/gpu/) runs end to end where Dawn finds an adapter: here on Mesa
// lavapipe (.ci/lavapipe.sh sets VK_ICD_FILENAMES), on an NVIDIA machine for real numbers. The
// test bundles the scripts, then runs run.py with this Node and the package's dawn.node (the
// compressed copies of bench:gpu are not needed to test the plumbing): one interleaved pair of
// the tiny preset against PyTorch on the CPU. Skipped without a Vulkan driver unless
// CLIP_LAB_REQUIRE_WEBGPU=1 (set by .ci/run); without torch in PYTHON only the WebGPU side is checked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleScripts, dawnNodePath } from '../../../bench/gpu/pack';
import { PYTHON, torchVersion } from '../../../bench/lib/machine';

const ready = Boolean(process.env.VK_ICD_FILENAMES);
const withTorch = torchVersion() !== null;
const required = process.env.CLIP_LAB_REQUIRE_WEBGPU === '1';

describe.skipIf(!ready && !required)('GPU benchmark bundle', () => {
  it('runs an interleaved WebGPU / PyTorch pair and writes its JSON', async () => {
    expect(process.env.VK_ICD_FILENAMES, 'VK_ICD_FILENAMES (a Vulkan driver for Dawn: .ci/lavapipe.sh)').toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'clip-gpu-'));
    try {
      await bundleScripts(dir);
      const out = join(dir, 'out.json');
      execFileSync(
        PYTHON,
        [
          join(dir, 'run.py'),
          '--node',
          process.execPath,
          '--dawn',
          dawnNodePath(),
          '--presets',
          'tiny',
          '--pairs',
          '1',
          '--steps',
          '1',
          '--max-seconds',
          '60',
          '--torch-device',
          'cpu',
          '--out',
          out,
        ],
        { stdio: 'pipe', timeout: 540_000 },
      );
      const result = JSON.parse(readFileSync(out, 'utf8'));
      const [pair] = result.presets[0].pairs;
      expect(pair.lab.error).toBeUndefined();
      expect(pair.lab.adapter).toMatch(/\w/);
      expect(pair.lab.numTensors.at(-1)).toBe(pair.lab.numTensors[0]);
      if (withTorch) {
        expect(pair.torch.error).toBeUndefined();
        expect(pair.ratio).toBeGreaterThan(0);
        expect(result.presets[0].ratio.n).toBe(1);
      } else {
        expect(pair.torch.error).toMatch(/torch/); // the pair is recorded, without a ratio
        expect(result.presets[0].ratio).toBeNull();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
