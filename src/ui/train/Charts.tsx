// Live training curves (recharts): loss raw and smoothed with val loss, in-batch and classifier
// accuracy, the matching vs non-matching similarity gap, logit scale, learning rate, pairs/s,
// and per-epoch retrieval R@K and classifier ROC AUC. Each chart says in one line what it shows
// and what good looks like; charts take their card's width (a phone's too).
import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalMetrics, StepMetrics } from '../../train/types';
import { downsample } from '../../io/modelFileMetadata';
import { smooth } from './series';
import { tickLabel } from './ticks';

const H = 230;
const MAX_POINTS = 400;

interface SeriesDef {
  key: string;
  name: string;
  color: string;
  dashed?: boolean;
}

/** Roughly the distance between two y ticks (recharts draws about five). */
function tickStep(data: Record<string, number | null>[], series: SeriesDef[], yDomain?: [number | 'auto', number | 'auto']): number {
  if (yDomain && typeof yDomain[0] === 'number' && typeof yDomain[1] === 'number') return (yDomain[1] - yDomain[0]) / 4;
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of data)
    for (const s of series) {
      const v = row[s.key];
      if (typeof v === 'number' && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  return hi > lo ? (hi - lo) / 4 : Math.abs(hi) / 10;
}

function Chart({
  title,
  help,
  testId,
  data,
  xKey,
  series,
  yDomain,
}: {
  title: string;
  help: string;
  testId: string;
  data: Record<string, number | null>[];
  xKey: string;
  series: SeriesDef[];
  yDomain?: [number | 'auto', number | 'auto'];
}) {
  const step = tickStep(data, series, yDomain);
  return (
    <div className="chart card" data-testid={testId} data-points={data.length}>
      <h4>{title}</h4>
      <p className="chart-help">{help}</p>
      <ResponsiveContainer width="100%" height={H}>
        <LineChart data={data} margin={{ top: 4, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e7f0" />
          <XAxis dataKey={xKey} type="number" domain={['dataMin', 'dataMax']} tick={{ fontSize: 11 }} allowDecimals={false} />
          <YAxis
            tick={{ fontSize: 11 }}
            width={52}
            domain={yDomain ?? ['auto', 'auto']}
            tickFormatter={(v: number) => tickLabel(v, step)}
          />
          <Tooltip formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))} labelFormatter={(l) => `${xKey} ${l}`} />
          <Legend wrapperStyle={{ fontSize: 12, lineHeight: '16px' }} />
          {series.map((s) => (
            <Line
              key={s.key}
              type="monotone"
              dataKey={s.key}
              name={s.name}
              stroke={s.color}
              strokeDasharray={s.dashed ? '4 3' : undefined}
              dot={xKey === 'epoch'}
              isAnimationActive={false}
              connectNulls
              strokeWidth={1.5}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

export const TrainingCharts = memo(function TrainingCharts({ steps, evals }: { steps: StepMetrics[]; evals: EvalMetrics[] }) {
  const stepData = useMemo(() => {
    const smoothed = smooth(steps.map((s) => s.loss));
    const rows = steps.map((s, i) => ({
      step: s.step,
      loss: s.loss,
      lossSmooth: smoothed[i],
      accI2T: s.accI2T,
      accT2I: s.accT2I,
      matchAcc: s.matchAcc,
      posSim: s.posSim,
      negSim: s.negSim,
      gap: s.posSim - s.negSim,
      logitScale: s.logitScale,
      lr: s.lr,
      pairsPerSec: s.pairsPerSec,
      valLoss: null as number | null,
    }));
    // Val loss is drawn on the loss chart at the step it was measured; those rows survive downsampling.
    const evalSteps = new Set(evals.map((e) => e.step));
    const kept = new Set(downsample(rows, MAX_POINTS));
    const out = rows.filter((r) => kept.has(r) || evalSteps.has(r.step));
    const byStep = new Map(out.map((r) => [r.step, r]));
    for (const e of evals) {
      const r = byStep.get(e.step);
      if (r) r.valLoss = e.valLoss;
    }
    return out;
  }, [steps, evals]);

  const evalData = useMemo(
    () =>
      evals.map((e) => ({
        epoch: e.epoch + 1,
        i2tR1: e.i2t.r1,
        i2tR5: e.i2t.r5,
        i2tR10: e.i2t.r10,
        t2iR1: e.t2i.r1,
        t2iR5: e.t2i.r5,
        t2iR10: e.t2i.r10,
        auc: e.auc,
        matchAcc: e.matchAcc,
        valLoss: e.valLoss,
      })),
    [evals],
  );

  if (!steps.length)
    return (
      <p className="muted" data-testid="charts-empty">
        Curves appear after the first steps.
      </p>
    );
  return (
    <div className="charts" data-testid="charts">
      <Chart
        title="Loss"
        help="Contrastive loss: how far each image is from picking its own caption in the batch. Good: falling; val (dashed) close to train."
        testId="chart-loss"
        data={stepData}
        xKey="step"
        series={[
          { key: 'loss', name: 'train (raw)', color: '#b8c4e6' },
          { key: 'lossSmooth', name: 'train (smoothed)', color: '#2f5bd3' },
          { key: 'valLoss', name: 'val', color: '#e0603a', dashed: true },
        ]}
      />
      <Chart
        title="In-batch accuracy"
        help="Share of the batch where an image picks its own caption (and the reverse). Good: rising well above 1 / batch size."
        testId="chart-accuracy"
        data={stepData}
        xKey="step"
        yDomain={[0, 1]}
        series={[
          { key: 'accI2T', name: 'image→text', color: '#2f5bd3' },
          { key: 'accT2I', name: 'text→image', color: '#1a9c74' },
          { key: 'matchAcc', name: 'classifier', color: '#e0603a' },
        ]}
      />
      <Chart
        title="Cosine similarity: matching vs not"
        help="Cosine similarity of true pairs vs wrong pairs. Good: a widening gap, not both near 1."
        testId="chart-similarity"
        data={stepData}
        xKey="step"
        series={[
          { key: 'posSim', name: 'matching pairs', color: '#1a9c74' },
          { key: 'negSim', name: 'non-matching', color: '#c0392b' },
          { key: 'gap', name: 'gap', color: '#2f5bd3', dashed: true },
        ]}
      />
      <Chart
        title="Logit scale exp(t)"
        help="The learned temperature that sharpens the softmax. It usually rises, capped at 100."
        testId="chart-logit-scale"
        data={stepData}
        xKey="step"
        series={[{ key: 'logitScale', name: 'logit scale', color: '#7b4bd3' }]}
      />
      <Chart
        title="Learning rate"
        help="The step size: warm-up, then cosine decay to 0. Set by the schedule, not learned."
        testId="chart-lr"
        data={stepData}
        xKey="step"
        series={[{ key: 'lr', name: 'lr', color: '#8a6d1d' }]}
      />
      <Chart
        title="Throughput (pairs/s)"
        help="Image–caption pairs trained per second on this backend. Higher is faster."
        testId="chart-throughput"
        data={stepData}
        xKey="step"
        series={[{ key: 'pairsPerSec', name: 'pairs/s', color: '#475069' }]}
      />
      {evalData.length > 0 && (
        <>
          <Chart
            title="Val retrieval recall (per epoch)"
            help="Val recall@K: how often the true match is in the top K. Good: rising; chance is K / val images."
            testId="chart-recall"
            data={evalData}
            xKey="epoch"
            yDomain={[0, 1]}
            series={[
              { key: 'i2tR1', name: 'I→T R@1', color: '#2f5bd3' },
              { key: 'i2tR5', name: 'I→T R@5', color: '#6f8ee6' },
              { key: 'i2tR10', name: 'I→T R@10', color: '#aebff2' },
              { key: 't2iR1', name: 'T→I R@1', color: '#1a9c74', dashed: true },
              { key: 't2iR5', name: 'T→I R@5', color: '#5cc3a2', dashed: true },
              { key: 't2iR10', name: 'T→I R@10', color: '#a6e0cd', dashed: true },
            ]}
          />
          <Chart
            title="Val classifier (per epoch)"
            help="How well the match classifier separates true from wrong pairs on val. Good: AUC near 1; 0.5 is chance."
            testId="chart-auc"
            data={evalData}
            xKey="epoch"
            yDomain={[0, 1]}
            series={[
              { key: 'auc', name: 'ROC AUC', color: '#e0603a' },
              { key: 'matchAcc', name: 'accuracy', color: '#475069', dashed: true },
            ]}
          />
        </>
      )}
    </div>
  );
});
