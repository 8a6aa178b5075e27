// One truthful status line for the Train panel, from the live state: what is happening now and
// at which step, without repeating the phase or the worker's detail. Pure.
import { plural } from './ticks';
import type { LiveStatus } from './useTraining';

export interface StatusInput {
  status: LiveStatus;
  phase: string;
  phaseDetail: string;
  step: number | null; // last step reported, null before the first
  totalSteps: number;
}

const PHASE_TEXT: Record<string, string> = {
  preparing: 'preparing the data',
  warmup: 'compiling the training step',
  evaluating: 'evaluating on the val split',
};

export function statusLine({ status, phase, phaseDetail, step, totalSteps }: StatusInput): string {
  const of = (s: number) => (totalSteps > 0 ? `step ${s} of ${totalSteps}` : `step ${s}`);
  switch (status) {
    case 'idle':
      return step === null ? 'ready' : `viewing a run: ${of(step)}`;
    case 'starting':
      return phaseDetail || 'starting';
    case 'running': {
      const what = PHASE_TEXT[phase];
      if (what) return `${what}${phaseDetail && phaseDetail !== what ? ` — ${phaseDetail}` : ''}`;
      const note = phase === 'training' && phaseDetail && !/^\d+ steps/.test(phaseDetail) ? ` (${phaseDetail})` : '';
      return `training — ${step === null ? 'first step' : of(step)}${note}`;
    }
    case 'paused':
      return `paused at ${of(step ?? 0)}`;
    case 'stopping':
      return 'stopping after this step';
    case 'done':
      return `done — trained ${plural(step ?? 0, 'step')}`;
    case 'stopped':
      return `stopped at ${of(step ?? 0)}`;
    case 'failed':
      return step === null ? 'failed before the first step' : `failed at ${of(step)}`;
  }
}
