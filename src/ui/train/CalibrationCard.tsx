// The match classifier at the latest evaluation: a reliability diagram of calibrated P(match)
// (recharts), ECE before and after Platt scaling, and the classifier's ROC AUC next to plain
// cosine's on the same val pairs — each with one line on what good looks like.
import { memo } from 'react';
import { CartesianGrid, ComposedChart, Legend, Line, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalMetrics, MatchEvalMetrics } from '../../train/types';

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** Reliability points: one per non-empty bin, mean calibrated P(match) against the share that truly matched. */
export function reliabilityPoints(m: MatchEvalMetrics): { confidence: number; accuracy: number; count: number }[] {
  return m.binCount.flatMap((count, k) => {
    const confidence = m.binConfidence[k];
    const accuracy = m.binAccuracy[k];
    return count > 0 && confidence != null && accuracy != null ? [{ confidence, accuracy, count }] : [];
  });
}

function AucLine({ testId, label, classifier, cosine }: { testId: string; label: string; classifier: number; cosine: number }) {
  const better = classifier > cosine;
  return (
    <li data-testid={testId} data-classifier={classifier} data-cosine={cosine}>
      {label}: classifier <strong>{fmt(classifier)}</strong> vs plain cosine {fmt(cosine)}{' '}
      <span className={better ? 'good' : 'bad'}>
        {better ? '(the classifier adds to cosine)' : '(no better than cosine: rank by cosine instead)'}
      </span>
    </li>
  );
}

export const CalibrationCard = memo(function CalibrationCard({ evals }: { evals: EvalMetrics[] }) {
  const latest = [...evals].reverse().find((e) => e.match);
  const m = latest?.match;
  if (!latest || !m) return null;
  const points = reliabilityPoints(m);
  return (
    <div className="card calibration-card" data-testid="calibration-card" data-step={latest.step}>
      <h3>Match classifier (val, step {latest.step})</h3>
      <div className="row" style={{ alignItems: 'flex-start', flexWrap: 'wrap' }}>
        <div data-testid="reliability-diagram" data-points={points.length}>
          <ComposedChart width={300} height={240} margin={{ top: 4, right: 12, bottom: 16, left: 14 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e7f0" />
            <XAxis
              type="number"
              dataKey="confidence"
              domain={[0, 1]}
              tick={{ fontSize: 11 }}
              label={{ value: 'calibrated P(match)', position: 'insideBottom', offset: -8, fontSize: 11 }}
            />
            <YAxis
              type="number"
              dataKey="accuracy"
              domain={[0, 1]}
              tick={{ fontSize: 11 }}
              width={40}
              label={{ value: 'share matching', angle: -90, position: 'left', offset: 0, fontSize: 11 }}
            />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))} />
            <Legend wrapperStyle={{ fontSize: 12 }} verticalAlign="top" />
            <Line
              data={[
                { confidence: 0, accuracy: 0 },
                { confidence: 1, accuracy: 1 },
              ]}
              dataKey="accuracy"
              name="perfect calibration"
              stroke="#9aa3b5"
              strokeDasharray="4 3"
              dot={false}
              isAnimationActive={false}
            />
            <Scatter data={points} dataKey="accuracy" name="val pairs, per bin" fill="#2f5bd3" line isAnimationActive={false} />
          </ComposedChart>
          <p className="muted small">Good: the points lie on the dashed diagonal (of pairs scored 0.8, about 80% truly match).</p>
        </div>
        <ul className="small" style={{ flex: 1, minWidth: 260 }}>
          <li data-testid="calibration-ece" data-ece={m.ece} data-ece-calibrated={m.eceCalibrated}>
            Expected calibration error: <strong>{fmt(m.ece)}</strong> raw → <strong>{fmt(m.eceCalibrated)}</strong> after Platt scaling (P =
            sigmoid({fmt(m.plattA)} · logit {m.plattB >= 0 ? '+' : '−'} {fmt(Math.abs(m.plattB))}), held out).
            <div className="muted">Good: under 0.05 — the average gap between a score and how often such pairs truly match.</div>
          </li>
          <AucLine
            testId="calibration-auc-random"
            label="ROC AUC vs random wrong captions"
            classifier={m.aucRandom}
            cosine={m.cosineAucRandom}
          />
          <AucLine
            testId="calibration-auc-hard"
            label="ROC AUC vs the hardest wrong caption"
            classifier={m.aucHard}
            cosine={m.cosineAucHard}
          />
          <li className="muted">
            AUC is the chance a true pair outscores a wrong one: 0.5 is guessing, 1 is perfect; ≥ 0.9 vs random captions is good, and the
            classifier should beat plain cosine on the same pairs.
          </li>
          <li className="muted">Use shows the calibrated P(match) of the checkpoint it loads.</li>
        </ul>
      </div>
    </div>
  );
});
