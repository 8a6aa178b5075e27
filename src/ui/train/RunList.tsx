// The runs kept for a dataset: name, settings, progress, best val R@1, status; view, resume, delete.
import type { RunMeta } from '../../storage/runs';
import { settingsSummary } from '../../configSummary';

/** Whether a run's checkpoint has trained every epoch of its config (resuming it would stop at once). */
export function runFinished(r: RunMeta): boolean {
  return r.epoch >= r.config.epochs;
}

function statusText(r: RunMeta, live: boolean): string {
  if (live) return r.status;
  if (r.status === 'running') return 'interrupted';
  return r.status;
}

export function RunList({
  runs,
  liveRunId,
  busy,
  selectedId,
  onView,
  onResume,
  onDelete,
}: {
  runs: RunMeta[];
  liveRunId: string | null;
  busy: boolean;
  selectedId: string | null;
  onView: (r: RunMeta) => void;
  onResume: (r: RunMeta) => void;
  onDelete: (r: RunMeta) => void;
}) {
  if (!runs.length) return <p className="muted">No runs yet for this dataset.</p>;
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Runs">
      <table className="metrics runs" data-testid="run-list">
        <thead>
          <tr>
            <th>Run</th>
            <th>Settings</th>
            <th>Step</th>
            <th>Best val R@1</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const live = r.id === liveRunId;
            const status = statusText(r, live);
            const resumable = !live && r.step > 0 && (status !== 'done' || r.source === 'imported');
            return (
              <tr key={r.id} data-testid="run-row" data-status={status} className={r.id === selectedId ? 'selected' : ''}>
                <td style={{ textAlign: 'left' }}>{r.name}</td>
                <td className="run-settings" data-testid="run-settings">
                  {settingsSummary(r.config)}
                </td>
                <td data-testid="run-step">
                  {r.step}
                  {r.totalSteps ? ` / ${r.totalSteps}` : ''}
                </td>
                <td>{r.bestValR1 == null ? '—' : r.bestValR1.toFixed(3)}</td>
                <td data-testid="run-status">
                  {status}
                  {r.error ? ' ⚠' : ''}
                </td>
                <td>
                  <button type="button" onClick={() => onView(r)} disabled={live}>
                    View
                  </button>{' '}
                  {resumable && (
                    <button type="button" data-testid="run-resume" onClick={() => onResume(r)} disabled={busy}>
                      {runFinished(r)
                        ? `Train one more epoch from step ${r.step}`
                        : r.source === 'imported'
                          ? `Continue training from step ${r.step}`
                          : `Resume from step ${r.step}`}
                    </button>
                  )}{' '}
                  <button type="button" onClick={() => onDelete(r)} disabled={live || busy}>
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
