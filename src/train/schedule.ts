// Learning-rate schedule: linear warm-up to the peak, then cosine decay to 0 (open_clip's
// cosine_lr), or a constant rate. Pure, indexed by the 0-based step about to run.

import type { LrSchedule } from '../config';

export interface ScheduleOptions {
  learningRate: number; // peak
  warmupSteps: number;
  totalSteps: number;
  schedule: LrSchedule;
}

export function learningRateAt(step: number, opts: ScheduleOptions): number {
  const { learningRate, warmupSteps, totalSteps, schedule } = opts;
  if (step < warmupSteps) return (learningRate * (step + 1)) / warmupSteps;
  if (schedule === 'constant') return learningRate;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return 0.5 * learningRate * (1 + Math.cos(Math.PI * progress));
}
