// The Train status line says each fact once and never contradicts the progress bar.
import { describe, expect, it } from 'vitest';
import { statusLine, type StatusInput } from '../../../src/ui/train/statusLine';

const base: StatusInput = { status: 'running', phase: 'training', phaseDetail: '150 steps in 1 epochs', step: 12, totalSteps: 150 };

describe('statusLine', () => {
  it.each([
    [{ status: 'idle', step: null }, 'ready'],
    [{ status: 'idle', step: 40 }, 'viewing a run: step 40 of 150'],
    [{ status: 'starting', phase: 'starting', phaseDetail: 'Starting the training worker…', step: null }, 'Starting the training worker…'],
    [
      { phase: 'preparing', phaseDetail: '900 captions, 180 images at 32px', step: null },
      'preparing the data — 900 captions, 180 images at 32px',
    ],
    [{ phase: 'warmup', phaseDetail: 'compiling the training step', step: null }, 'compiling the training step'],
    [{}, 'training — step 12 of 150'],
    [
      { phaseDetail: 'no val images with captions: evaluation skipped' },
      'training — step 12 of 150 (no val images with captions: evaluation skipped)',
    ],
    [{ phase: 'evaluating', phaseDetail: 'epoch 1: 50 val images' }, 'evaluating on the val split — epoch 1: 50 val images'],
    [{ status: 'paused' }, 'paused at step 12 of 150'],
    [{ status: 'stopping' }, 'stopping after this step'],
    [{ status: 'done', phase: 'done', phaseDetail: '150 steps', step: 150 }, 'done — trained 150 steps'],
    [{ status: 'done', phase: 'done', phaseDetail: '1 steps', step: 1 }, 'done — trained 1 step'],
    [{ status: 'stopped', phase: 'done', phaseDetail: 'stopped at step 152', step: 152, totalSteps: 300 }, 'stopped at step 152 of 300'],
    [{ status: 'failed', step: null }, 'failed before the first step'],
  ] as [Partial<StatusInput>, string][])('%o → %s', (over, text) => {
    expect(statusLine({ ...base, ...over })).toBe(text);
  });

  it('never says "done" twice or "stopped" twice', () => {
    for (const status of ['done', 'stopped'] as const) {
      const line = statusLine({ ...base, status, phase: 'done', phaseDetail: 'stopped at step 12' });
      expect(line.split(status).length - 1).toBe(1);
    }
  });
});
