// Which checkpoint of a run the Use panel holds: the best by val mean R@5 (the default) or the
// last, in one line ("best: step N, mean R@5 x; last: step M"), with a way to pick the other.
import type { CheckpointChoice } from '../../storage/runs';
import type { LoadedModel } from '../../use/modelService';

export function ModelChoice({
  loaded,
  disabled,
  onPick,
}: {
  loaded: LoadedModel | null;
  disabled: boolean;
  onPick: (which: CheckpointChoice) => void;
}) {
  if (!loaded) return null;
  return (
    <div className="row" data-testid="model-choice-row">
      <span data-testid="model-choice" data-which={loaded.which} data-step={loaded.step}>
        {loaded.choice}
      </span>
      {loaded.hasBest && (
        <label>
          Checkpoint{' '}
          <select
            data-testid="use-checkpoint"
            value={loaded.which}
            disabled={disabled}
            onChange={(e) => onPick(e.target.value as CheckpointChoice)}
          >
            <option value="best">best (by val mean R@5)</option>
            <option value="last">last</option>
          </select>
        </label>
      )}
      <span className="muted small" data-testid="model-calibration">
        {!loaded.hasClassifier
          ? ''
          : loaded.calibration === 'stacked'
            ? 'P(match) weighs the classifier and the cosine, calibrated on val pairs'
            : loaded.calibrated
              ? 'P(match) calibrated on val pairs (Platt scaling of the classifier)'
              : 'P(match) uncalibrated (no evaluation fitted a calibration)'}
      </span>
    </div>
  );
}
