// The stored datasets: name, counts, size on disk, status; open, rename, delete, and for an
// interrupted import, resume or discard.
import { useState } from 'react';
import type { DatasetMeta } from '../../storage/datasets';
import { formatBytes, formatCount } from '../common/format';

export interface DatasetListProps {
  datasets: DatasetMeta[];
  openId: string | null;
  busy: boolean;
  onOpen: (id: string) => void;
  onRename: (id: string, name: string) => void;
  onDelete: (id: string) => void;
  onResume: (meta: DatasetMeta) => void;
}

export function DatasetList({ datasets, openId, busy, onOpen, onRename, onDelete, onResume }: DatasetListProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  if (!datasets.length) {
    return (
      <p className="muted" data-testid="dataset-list-empty">
        {busy ? 'Importing: the dataset appears here as its images are stored.' : 'No datasets stored yet.'}
      </p>
    );
  }
  return (
    <ul className="dataset-list" data-testid="dataset-list">
      {datasets.map((d) => {
        const complete = d.status === 'complete';
        return (
          <li key={d.id} className={d.id === openId ? 'open' : ''} data-testid="dataset-row" data-name={d.name} data-status={d.status}>
            {editing === d.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  onRename(d.id, draft);
                  setEditing(null);
                }}
              >
                <input
                  aria-label="New dataset name"
                  data-testid="rename-input"
                  value={draft}
                  onChange={(e) => setDraft(e.target.value)}
                  autoFocus
                />
                <button type="submit">Save</button>
              </form>
            ) : (
              <div className="dataset-name" data-testid="dataset-name">
                {d.name}
              </div>
            )}
            <div className="muted" data-testid="dataset-summary">
              {complete
                ? `${formatCount(d.report?.images ?? d.storedImages)} images · ${formatCount(d.report?.captions ?? 0)} captions · ${formatBytes(d.bytes)}`
                : `Incomplete import: ${formatCount(d.storedImages)} of ${formatCount(d.expectedImages)} images stored · ${formatBytes(d.bytes)}`}
            </div>
            <div className="row small">
              {complete ? (
                <button type="button" onClick={() => onOpen(d.id)} data-testid="dataset-open" disabled={busy}>
                  Open
                </button>
              ) : (
                <button
                  type="button"
                  onClick={() => onResume(d)}
                  data-testid="dataset-resume"
                  disabled={busy}
                  title="Choose the same folder again to continue"
                >
                  Resume with folder “{d.name}”…
                </button>
              )}
              <button
                type="button"
                disabled={busy}
                data-testid="dataset-rename"
                onClick={() => {
                  setEditing(d.id);
                  setDraft(d.name);
                }}
              >
                Rename
              </button>
              <button
                type="button"
                disabled={busy}
                data-testid={complete ? 'dataset-delete' : 'dataset-discard'}
                onClick={() => {
                  if (confirm(`${complete ? 'Delete' : 'Discard'} "${d.name}" and everything stored for it?`)) onDelete(d.id);
                }}
              >
                {complete ? 'Delete' : 'Discard'}
              </button>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
