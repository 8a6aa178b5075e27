// After a reload, a run whose worker died mid-training is still marked running in storage: this
// banner says so once, at the top of the page, with Resume (from its last checkpoint) and Dismiss.
import { useEffect, useState } from 'react';
import { listRuns, type RunMeta } from '../../storage/runs';

export function InterruptedRunBanner({ onResume }: { onResume: (r: RunMeta) => void }) {
  const [runs, setRuns] = useState<RunMeta[]>([]);
  // Read once, when the page opens: then no run is live, so every 'running' run was interrupted.
  useEffect(() => {
    void listRuns().then(
      (all) => setRuns(all.filter((r) => r.status === 'running' && r.datasetId !== null)),
      () => setRuns([]),
    );
  }, []);
  if (!runs.length) return null;
  const hide = (id: string) => setRuns((rs) => rs.filter((x) => x.id !== id));
  return (
    <div className="notice" role="region" aria-label="Interrupted training" data-testid="interrupted-banner">
      {runs.map((r) => (
        <div className="row" key={r.id} data-testid="interrupted-run">
          <span>
            Training of <strong>{r.name}</strong> on {r.datasetName} was interrupted{' '}
            {r.step > 0
              ? `at step ${r.step}${r.totalSteps ? ` of ${r.totalSteps}` : ''} (its last checkpoint)`
              : 'before its first checkpoint'}
            .
          </span>
          {r.step > 0 && (
            <button
              type="button"
              className="primary"
              data-testid="interrupted-resume"
              onClick={() => {
                hide(r.id);
                onResume(r);
              }}
            >
              Resume from step {r.step}
            </button>
          )}
          <button type="button" data-testid="interrupted-dismiss" onClick={() => hide(r.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
