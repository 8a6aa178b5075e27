// The match classifier at the latest evaluation: a reliability diagram of calibrated P(match)
// (recharts), ECE before and after calibration (stacked over the classifier's logit and the
// cosine; Platt scaling of the logit in older histories), and the calibrated score's held-out ROC
// AUC beside plain cosine's and the raw classifier's on the same val pairs — each with one line
// on what good looks like.
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

/** Held-out AUCs differ from cosine's by fold noise of this much when the score ranks as cosine does. */
const SAME_AS_COSINE = 0.002;

function AucLine(props: { testId: string; label: string; calibrated: number | undefined; classifier: number; cosine: number }) {
  const { testId, label, classifier, cosine } = props;
  if (props.calibrated === undefined) {
    // A history from before the stacked calibration: the raw classifier against cosine.
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
  const calibrated = props.calibrated;
  const verdict =
    calibrated > cosine + SAME_AS_COSINE
      ? { good: true, text: '(the classifier adds to cosine)' }
      : calibrated >= cosine - SAME_AS_COSINE
        ? { good: true, text: '(as good as cosine: the classifier adds nothing beyond it)' }
        : { good: false, text: '(below cosine: rank by cosine instead)' };
  return (
    <li data-testid={testId} data-calibrated={calibrated} data-classifier={classifier} data-cosine={cosine}>
      {label}: calibrated P(match) <strong>{fmt(calibrated)}</strong> (held out) vs plain cosine {fmt(cosine)} and the raw classifier{' '}
      {fmt(classifier)} <span className={verdict.good ? 'good' : 'bad'}>{verdict.text}</span>
    </li>
  );
}

/** "P = sigmoid(wz · logit + wc · cosine + b)" of the stacked calibration, or Platt's of older histories. */
function formula(m: MatchEvalMetrics): string {
  const term = (w: number, x: string) => `${w < 0 ? '−' : '+'} ${fmt(Math.abs(w))} · ${x}`;
  const sign = (b: number) => `${b < 0 ? '−' : '+'} ${fmt(Math.abs(b))}`;
  const { stackWz: wz, stackWc: wc, stackB: b } = m;
  if (Number.isFinite(wz) && Number.isFinite(wc) && Number.isFinite(b))
    return `the classifier and the cosine weighed: P = sigmoid(${fmt(wz!)} · logit ${term(wc!, 'cosine')} ${sign(b!)})`;
  return `Platt scaling: P = sigmoid(${fmt(m.plattA)} · logit ${sign(m.plattB)})`;
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
            Expected calibration error: <strong>{fmt(m.ece)}</strong> raw → <strong>{fmt(m.eceCalibrated)}</strong> after calibration, held
            out ({formula(m)}, fitted on the validation split).
            <div className="muted">Good: under 0.05 — the average gap between a score and how often such pairs truly match.</div>
          </li>
          <AucLine
            testId="calibration-auc-random"
            label="ROC AUC vs random wrong captions"
            calibrated={m.calibratedAucRandom}
            classifier={m.aucRandom}
            cosine={m.cosineAucRandom}
          />
          <AucLine
            testId="calibration-auc-hard"
            label="ROC AUC vs the hardest wrong caption"
            calibrated={m.calibratedAucHard}
            classifier={m.aucHard}
            cosine={m.cosineAucHard}
          />
          <li className="muted">
            AUC is the chance a true pair outscores a wrong one: 0.5 is guessing, 1 is perfect; ≥ 0.9 vs random captions is good, and the
            calibrated score should be no worse than plain cosine on the same pairs.
          </li>
          <li className="muted">Use shows the calibrated P(match) of the checkpoint it loads.</li>
        </ul>
      </div>
    </div>
  );
});
