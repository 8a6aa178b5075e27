// The Train tab's overfitting warning: shown while val loss has risen for `patience` evaluations
// in a row as the training loss fell (detectOverfitting), with what to do about it.
import { memo } from 'react';
import { detectOverfitting } from '../../train/checkpointSelect';
import type { EvalMetrics, StepMetrics } from '../../train/types';

/** Consecutive rising val-loss evaluations that make a warning. */
export const OVERFIT_PATIENCE = 2;

export const OverfitWarning = memo(function OverfitWarning({ steps, evals }: { steps: StepMetrics[]; evals: EvalMetrics[] }) {
  const warning = detectOverfitting({ steps, evals }, OVERFIT_PATIENCE);
  if (!warning) return null;
  return (
    <div className="warning-banner" role="status" data-testid="overfit-warning" data-since-step={warning.sinceStep}>
      <strong>{warning.message}</strong> <span data-testid="overfit-suggestion">{warning.suggestion}</span> Use loads the best checkpoint by
      default.
    </div>
  );
});
