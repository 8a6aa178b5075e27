// Zero-shot labelling: comma-separated labels and a prompt template → CLIP's softmax over the
// prompts for the chosen image, as a bar chart.
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { DEFAULT_PROMPT_TEMPLATE, parseLabels } from '../../model/retrieval';
import type { ZeroShotRow } from '../../use/modelSession';

export function ZeroShotCard({
  disabled,
  onRun,
}: {
  disabled: boolean;
  onRun: (labels: string[], template: string) => Promise<ZeroShotRow[]>;
}) {
  const [labels, setLabels] = useState('');
  const [template, setTemplate] = useState(DEFAULT_PROMPT_TEMPLATE);
  const [rows, setRows] = useState<ZeroShotRow[]>([]);
  const parsed = parseLabels(labels);
  return (
    <div className="card zero-shot-card">
      <h3>Zero-shot labels</h3>
      <div className="row">
        <input
          placeholder="dog, cat, bicycle, beach"
          value={labels}
          onChange={(e) => setLabels(e.target.value)}
          data-testid="zeroshot-labels"
          aria-label="Labels"
          style={{ flex: 1 }}
        />
        <input
          value={template}
          onChange={(e) => setTemplate(e.target.value)}
          data-testid="zeroshot-template"
          aria-label="Prompt template"
        />
        <button
          type="button"
          disabled={disabled || !parsed.length}
          data-testid="zeroshot-button"
          onClick={async () => setRows(await onRun(parsed, template))}
        >
          Classify
        </button>
      </div>
      {rows.length > 0 && (
        <div data-testid="zeroshot-result">
          <BarChart
            width={460}
            height={Math.max(120, 28 * rows.length + 40)}
            data={rows.map((r) => ({ label: r.label, p: r.probability }))}
            layout="vertical"
            margin={{ left: 20, right: 20 }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e7f0" />
            <XAxis type="number" domain={[0, 1]} tick={{ fontSize: 11 }} />
            <YAxis type="category" dataKey="label" width={110} tick={{ fontSize: 12 }} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} />
            <Bar dataKey="p" fill="#2f5bd3" isAnimationActive={false} />
          </BarChart>
          <ul className="small">
            {rows.map((r) => (
              <li key={r.label} data-testid="zeroshot-row" data-probability={r.probability}>
                {r.prompt}: {(100 * r.probability).toFixed(1)}%
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
