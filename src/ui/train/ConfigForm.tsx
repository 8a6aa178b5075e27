// Preset choice and the editable training settings, validated by config.validateConfig so the
// form shows the same allowed ranges the trainer enforces.
import { PRESET_NAMES, PRESETS, type PresetName, type TrainConfig } from '../../config';

type NumField = 'epochs' | 'batchSize' | 'learningRate' | 'warmupSteps' | 'weightDecay' | 'imageSize' | 'embedDim' | 'maxEvalImages' | 'checkpointEverySteps';

const FIELDS: { key: NumField; label: string; step?: string }[] = [
  { key: 'epochs', label: 'Epochs' },
  { key: 'batchSize', label: 'Batch size' },
  { key: 'learningRate', label: 'Learning rate', step: 'any' },
  { key: 'warmupSteps', label: 'Warm-up steps' },
  { key: 'weightDecay', label: 'Weight decay', step: 'any' },
  { key: 'imageSize', label: 'Image size (px)' },
  { key: 'embedDim', label: 'Embedding size' },
  { key: 'maxEvalImages', label: 'Val images per eval' },
  { key: 'checkpointEverySteps', label: 'Checkpoint every (steps)' },
];

export type ConfigDraft = Omit<TrainConfig, NumField> & Record<NumField, string>;

export function draftFromConfig(c: TrainConfig): ConfigDraft {
  const d = { ...c } as unknown as ConfigDraft;
  for (const f of FIELDS) d[f.key] = String(c[f.key]);
  return d;
}

/** The draft as a config candidate (numbers parsed); validateConfig decides if it is valid. */
export function configFromDraft(d: ConfigDraft): Record<string, unknown> {
  const c: Record<string, unknown> = { ...d };
  for (const f of FIELDS) c[f.key] = d[f.key].trim() === '' ? NaN : Number(d[f.key]);
  return c;
}

export function ConfigForm({ draft, onChange, disabled, error }: { draft: ConfigDraft; onChange: (d: ConfigDraft) => void; disabled: boolean; error: string | null }) {
  return (
    <fieldset className="config-form" disabled={disabled}>
      <legend>Model and training settings</legend>
      <div className="row">
        <label>
          Preset{' '}
          <select data-testid="train-preset" value={draft.preset} onChange={(e) => onChange(draftFromConfig(PRESETS[e.target.value as PresetName]))}>
            {PRESET_NAMES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Text encoder{' '}
          <select data-testid="train-text-encoder" value={draft.textEncoder} onChange={(e) => onChange({ ...draft, textEncoder: e.target.value as TrainConfig['textEncoder'] })}>
            <option value="conv">1-D conv (reads word order)</option>
            <option value="transformer">transformer</option>
            <option value="bow">bag of words</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={draft.evalEveryEpoch} onChange={(e) => onChange({ ...draft, evalEveryEpoch: e.target.checked })} /> Evaluate on val split each epoch
        </label>
        <label>
          <input type="checkbox" checked={draft.augment} onChange={(e) => onChange({ ...draft, augment: e.target.checked })} /> Augment images
        </label>
      </div>
      <div className="config-grid">
        {FIELDS.map((f) => (
          <label key={f.key}>
            <span>{f.label}</span>
            <input data-testid={`train-${f.key}`} type="number" step={f.step ?? '1'} value={draft[f.key]} onChange={(e) => onChange({ ...draft, [f.key]: e.target.value })} />
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" data-testid="config-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
