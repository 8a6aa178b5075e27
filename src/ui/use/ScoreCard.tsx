// Match score: one image against one or more captions (one per line). The first caption's
// P(match) (calibrated when the model carries a calibration: the classifier and the cosine
// weighed together, or the classifier alone in older models) is shown large, with
// cosine similarity, the verdict band and its one-line explanation; several captions are ranked
// by P(match) with CLIP's softmax over them beside it.
import { useState } from 'react';
import { matchVerdict } from '../../model/calibration';
import type { ScoreRow } from '../../use/modelSession';
import { LongText } from '../common/LongText';

export function ScoreCard({ disabled, onScore }: { disabled: boolean; onScore: (captions: string[]) => Promise<ScoreRow[]> }) {
  const [text, setText] = useState('');
  const [rows, setRows] = useState<ScoreRow[] | null>(null);
  const [busy, setBusy] = useState(false);
  const captions = text
    .split('\n')
    .map((c) => c.trim())
    .filter(Boolean);
  const first = rows?.[0];
  const ranked = rows ? [...rows].sort((a, b) => (b.probability ?? b.softmax) - (a.probability ?? a.softmax)) : [];
  return (
    <div className="card score-card">
      <h3>Match score</h3>
      <textarea
        rows={4}
        placeholder="Type a caption (one per line to rank several)"
        value={text}
        onChange={(e) => setText(e.target.value)}
        data-testid="score-captions"
        aria-label="Captions to score"
      />
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={disabled || !captions.length || busy}
          data-testid="score-button"
          onClick={async () => {
            setBusy(true);
            try {
              setRows(await onScore(captions));
            } finally {
              setBusy(false);
            }
          }}
        >
          Score
        </button>
      </div>
      {first && (
        <div className="score-result" data-testid="score-result">
          <div className="big-score" data-testid="score-probability" data-value={first.probability ?? ''}>
            {first.probability == null ? '—' : first.probability.toFixed(3)}
          </div>
          <div>
            P(match) for “<span data-testid="score-first-caption">{first.caption}</span>” ·{' '}
            <strong
              data-testid="score-verdict"
              data-kind={first.probability == null ? '' : matchVerdict(first.probability, first.calibration).kind}
            >
              {first.probability == null ? 'this model has no match classifier' : matchVerdict(first.probability, first.calibration).label}
            </strong>
          </div>
          {first.probability != null && (
            <div className="small" data-testid="score-verdict-explanation">
              {matchVerdict(first.probability, first.calibration).explanation}
            </div>
          )}
          <div className="muted" data-testid="score-cosine" data-value={first.cosine}>
            cosine similarity {first.cosine.toFixed(4)}
          </div>
        </div>
      )}
      {rows && rows.length > 1 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Scores per caption">
          <table className="metrics" data-testid="score-table">
            <thead>
              <tr>
                <th style={{ textAlign: 'left' }}>Caption</th>
                <th>P(match)</th>
                <th>cosine</th>
                <th>CLIP softmax</th>
              </tr>
            </thead>
            <tbody>
              {ranked.map((r, i) => (
                <tr key={i} data-testid="score-row" data-probability={r.probability ?? ''} data-softmax={r.softmax}>
                  <td style={{ textAlign: 'left' }}>
                    <LongText text={r.caption} />
                  </td>
                  <td>{r.probability == null ? '—' : r.probability.toFixed(4)}</td>
                  <td>{r.cosine.toFixed(4)}</td>
                  <td>{r.softmax.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
