// An import that a reload or crash cut short, said at the top of the Data panel: how far it got,
// Resume (choose the same folder again: only the missing images are read) or Discard.
import type { DatasetMeta } from '../../storage/datasets';
import { formatCount } from '../common/format';

export function IncompleteImportBanner({
  datasets,
  busy,
  onResume,
  onDiscard,
}: {
  datasets: DatasetMeta[];
  busy: boolean;
  onResume: (d: DatasetMeta) => void;
  onDiscard: (d: DatasetMeta) => void;
}) {
  const incomplete = datasets.filter((d) => d.status !== 'complete');
  if (busy || !incomplete.length) return null;
  return (
    <div className="notice" role="region" aria-label="Incomplete imports" data-testid="incomplete-banner">
      {incomplete.map((d) => (
        <div className="row" key={d.id}>
          <span>
            The import of <strong>{d.name}</strong> is incomplete: {formatCount(d.storedImages)} of {formatCount(d.expectedImages)} images
            stored.
          </span>
          <button type="button" className="primary" data-testid="incomplete-resume" onClick={() => onResume(d)}>
            Resume with folder “{d.name}”…
          </button>
          <button type="button" data-testid="incomplete-discard" onClick={() => onDiscard(d)}>
            Discard
          </button>
        </div>
      ))}
    </div>
  );
}
