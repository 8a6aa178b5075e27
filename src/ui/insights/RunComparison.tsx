// Run comparison: pick two or more runs and overlay one curve of each (smoothing and a log-scale
// toggle), with their final metrics in a table. Curves come from storage's loadCurves: comparing
// runs never reads weights.
import { useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { downsample } from '../../io/modelFileMetadata';
import { loadCurves, type RunMeta } from '../../storage/runs';
import type { MetricsHistory } from '../../train/types';
import { smooth } from '../train/series';
import { tickLabel } from '../train/ticks';

const COLOURS = ['#2f5bd3', '#e0603a', '#1a9c74', '#7b4bd3', '#8a6d1d', '#c0392b', '#475069'];
const MAX_POINTS = 300;

interface CurveDef {
  label: string;
  points: (h: MetricsHistory) => { x: number; y: number }[];
}

const mean = (a: number, b: number) => (a + b) / 2;
const CURVES: Record<string, CurveDef> = {
  loss: { label: 'train loss', points: (h) => h.steps.map((s) => ({ x: s.step, y: s.loss })) },
  valLoss: { label: 'val loss (per epoch)', points: (h) => h.evals.map((e) => ({ x: e.step, y: e.valLoss })) },
  valR1: {
    label: 'val R@1, mean of both ways (per epoch)',
    points: (h) => h.evals.map((e) => ({ x: e.step, y: mean(e.i2t.r1, e.t2i.r1) })),
  },
  acc: { label: 'in-batch accuracy image→text', points: (h) => h.steps.map((s) => ({ x: s.step, y: s.accI2T })) },
  gap: { label: 'similarity gap (matching − not)', points: (h) => h.steps.map((s) => ({ x: s.step, y: s.posSim - s.negSim })) },
};

function finalRow(h: MetricsHistory) {
  const last = h.steps.at(-1);
  const ev = h.evals.at(-1);
  const best = h.evals.length ? Math.max(...h.evals.map((e) => mean(e.i2t.r1, e.t2i.r1))) : null;
  return { steps: last?.step ?? 0, loss: last?.loss ?? null, valR1: ev ? mean(ev.i2t.r1, ev.t2i.r1) : null, best, auc: ev?.auc ?? null };
}

const fmt = (v: number | null, digits = 3) => (v == null || !Number.isFinite(v) ? '—' : v.toFixed(digits));

export function RunComparison({ runs, version }: { runs: RunMeta[]; version: number }) {
  const [chosen, setChosen] = useState<string[]>([]);
  const touched = useRef(false);
  const [curves, setCurves] = useState<Map<string, MetricsHistory>>(new Map());
  const [metric, setMetric] = useState<keyof typeof CURVES>('loss');
  const [smoothing, setSmoothing] = useState(0.6);
  const [logScale, setLogScale] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!touched.current && chosen.length < 2 && runs.length >= 2) setChosen(runs.slice(0, 2).map((r) => r.id)); // the two newest, until the user picks
  }, [runs, chosen.length]);

  const key = chosen.join('|');
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` (the chosen ids joined) stands for `chosen`, whose array identity changes each render
  useEffect(() => {
    let cancelled = false;
    Promise.all(chosen.map(async (id) => [id, await loadCurves(id)] as const)).then(
      (pairs) => !cancelled && (setCurves(new Map(pairs)), setError(null)),
      (err: unknown) => !cancelled && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => void (cancelled = true);
  }, [key, version]);

  const shown = useMemo(() => runs.filter((r) => chosen.includes(r.id) && curves.has(r.id)), [runs, chosen, curves]);
  const series = useMemo(
    () =>
      shown.map((r) => {
        const raw = CURVES[metric].points(curves.get(r.id)!).filter((p) => Number.isFinite(p.y) && (!logScale || p.y > 0));
        const ys =
          smoothing > 0
            ? smooth(
                raw.map((p) => p.y),
                smoothing,
              )
            : raw.map((p) => p.y);
        return {
          run: r,
          data: downsample(
            raw.map((p, i) => ({ x: p.x, y: ys[i] })),
            MAX_POINTS,
          ),
        };
      }),
    [shown, curves, metric, smoothing, logScale],
  );
  // A run stopped before its first step (or before its first evaluation, for the val curves) has
  // no points: it is named below the chart, not drawn as an invisible line.
  const drawn = series.filter((s) => s.data.length > 0);
  const empty = series.filter((s) => s.data.length === 0);
  // Tick labels with enough digits that neighbours differ (losses 2.71 and 2.74 are not "2.7 2.7").
  const ys = drawn.flatMap((s) => s.data.map((p) => p.y));
  const yTickStep = ys.length ? (Math.max(...ys) - Math.min(...ys)) / 4 : 0;

  const toggle = (id: string) => {
    touched.current = true;
    setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  };

  if (runs.length < 2)
    return (
      <p className="muted" data-testid="compare-empty">
        Train two runs on this dataset to compare them here.
      </p>
    );
  return (
    <div
      className="run-compare"
      data-testid="run-compare"
      data-runs={series.length}
      data-curves={drawn.length}
      data-points={series.map((s) => s.data.length).join(',')}
    >
      <p className="chart-help">
        One curve per chosen run, by step; the table has each run's last values. Better: loss lower, val R@1 and AUC higher at the same
        step.
      </p>
      <fieldset className="compare-runs">
        <legend className="small">Runs to compare</legend>
        {runs.map((r) => (
          <label key={r.id} className="small compare-run">
            <input type="checkbox" checked={chosen.includes(r.id)} onChange={() => toggle(r.id)} data-testid="compare-pick" />{' '}
            <span>{r.name}</span>
          </label>
        ))}
      </fieldset>
      <div className="row small">
        <label>
          Curve{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value as keyof typeof CURVES)} data-testid="compare-metric">
            {Object.entries(CURVES).map(([k, c]) => (
              <option key={k} value={k}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Smoothing{' '}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(e) => setSmoothing(Number(e.target.value))}
            data-testid="compare-smoothing"
          />{' '}
          {smoothing.toFixed(2)}
        </label>
        <label>
          <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} data-testid="compare-log" /> log scale
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert">
          Could not read the curves: {error}
        </p>
      )}
      <div className="compare-chart" data-testid="compare-chart" data-log={logScale}>
        <ResponsiveContainer width="100%" height={240}>
          <LineChart margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e7f0" />
            <XAxis
              dataKey="x"
              type="number"
              domain={['dataMin', 'dataMax']}
              tick={{ fontSize: 11 }}
              allowDecimals={false}
              allowDuplicatedCategory={false}
            />
            <YAxis
              scale={logScale ? 'log' : 'auto'}
              domain={['auto', 'auto']}
              tick={{ fontSize: 11 }}
              width={48}
              allowDataOverflow
              tickFormatter={(v: number) => tickLabel(v, yTickStep)}
            />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))} labelFormatter={(l) => `step ${l}`} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {drawn.map((s) => (
              <Line
                key={s.run.id}
                data={s.data}
                dataKey="y"
                name={s.run.name}
                stroke={COLOURS[series.indexOf(s) % COLOURS.length]}
                dot={s.data.length < 20}
                isAnimationActive={false}
                strokeWidth={1.5}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      {empty.length > 0 && (
        <p className="muted small" data-testid="compare-no-points">
          No {CURVES[metric].label} points yet for {empty.map((s) => s.run.name).join(', ')}
          {logScale ? ' (log scale leaves out values ≤ 0)' : ''}.
        </p>
      )}
      <div className="table-scroll">
        <table className="metrics" data-testid="compare-table">
          <thead>
            <tr>
              <th>Run</th>
              <th>steps</th>
              <th>final loss</th>
              <th>final val R@1</th>
              <th>best val R@1</th>
              <th>AUC</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const f = finalRow(curves.get(r.id)!);
              return (
                <tr key={r.id} data-testid="compare-row" data-steps={f.steps}>
                  <td className="caption-text">{r.name}</td>
                  <td>{f.steps}</td>
                  <td>{fmt(f.loss, 4)}</td>
                  <td>{fmt(f.valR1)}</td>
                  <td>{fmt(f.best)}</td>
                  <td>{fmt(f.auc)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
