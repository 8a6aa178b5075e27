// What a live or viewed run shows under the Train button: the backend it runs on, the progress bar
// (epoch, step, pairs/s, ETA, loss), the last step's in-batch numbers and the last validation.
import { formatDuration } from '../common/format';
import { ProgressBar } from '../common/ProgressBar';
import { plural } from './ticks';
import type { LiveTraining } from './useTraining';

export function TrainProgress({ state, live }: { state: LiveTraining; live: boolean }) {
  const last = state.steps[state.steps.length - 1];
  const lastEval = state.evals[state.evals.length - 1];
  const eta = last && state.totalSteps ? ((state.totalSteps - last.step) * last.msPerStep) / 1000 : null;
  return (
    <>
      {state.backend && (
        <p data-testid="backend-info">
          Backend: <strong data-testid="backend-name">{state.backend.name}</strong> —{' '}
          <span data-testid="backend-reason">{state.backend.reason}</span>
          {state.backend.adapter ? <span className="muted"> · adapter: {state.backend.adapter}</span> : null}
        </p>
      )}
      {(live || last) && (
        <ProgressBar
          testId="train-progress"
          value={last?.step ?? 0}
          max={state.totalSteps || 1}
          label={
            last
              ? `epoch ${last.epoch + 1} · step ${last.step} / ${state.totalSteps} · ${last.pairsPerSec.toFixed(1)} pairs/s · ${last.msPerStep.toFixed(0)} ms/step · ETA ${formatDuration(eta)} · loss ${last.loss.toFixed(4)}${state.checkpointStep != null ? ` · checkpoint @ ${state.checkpointStep}` : ''}`
              : 'waiting for the first step…'
          }
        />
      )}
      {last && (
        <p
          className="muted small"
          data-testid="train-last"
          data-step={last.step}
          data-loss={last.loss}
          data-first-loss={state.steps[0]?.loss}
        >
          last step {last.step}: loss {last.loss.toFixed(4)}, in-batch acc {last.accI2T.toFixed(2)}/{last.accT2I.toFixed(2)}, sim gap{' '}
          {(last.posSim - last.negSim).toFixed(3)}
        </p>
      )}
      {lastEval && (
        <p data-testid="eval-summary" data-r1={(lastEval.i2t.r1 + lastEval.t2i.r1) / 2} data-auc={lastEval.auc ?? ''}>
          Val (epoch {lastEval.epoch + 1}, {plural(lastEval.images, 'image')}): image→text R@1 {lastEval.i2t.r1.toFixed(3)} R@5{' '}
          {lastEval.i2t.r5.toFixed(3)} R@10 {lastEval.i2t.r10.toFixed(3)} (median rank {lastEval.i2t.medianRank}) · text→image R@1{' '}
          {lastEval.t2i.r1.toFixed(3)} R@5 {lastEval.t2i.r5.toFixed(3)} R@10 {lastEval.t2i.r10.toFixed(3)} (median rank{' '}
          {lastEval.t2i.medianRank}) · classifier AUC {lastEval.auc == null ? '—' : lastEval.auc.toFixed(3)}, accuracy{' '}
          {lastEval.matchAcc == null ? '—' : lastEval.matchAcc.toFixed(3)}
        </p>
      )}
    </>
  );
}
