// Preset choice and the editable training settings, validated by config.validateConfig so the
// form shows the same allowed ranges the trainer enforces. The settings most people change are up
// front; the rest sit under "Advanced" (a new field joins one of the two lists below).
import { PRESET_NAMES, PRESETS, type PresetName, type TrainConfig } from '../../config';

type NumField =
  | 'epochs'
  | 'batchSize'
  | 'learningRate'
  | 'warmupSteps'
  | 'weightDecay'
  | 'imageSize'
  | 'embedDim'
  | 'maxEvalImages'
  | 'checkpointEverySteps'
  | 'headHidden'
  | 'headDropout';

interface FieldDef {
  key: NumField;
  label: string;
  help: string; // one line: what it does
  step?: string;
  cnnOnly?: boolean; // only the CNN tower reads it: disabled while a pretrained tower is chosen
}

const BASIC_FIELDS: FieldDef[] = [
  { key: 'epochs', label: 'Epochs', help: 'Passes over the training images. More can help until val recall stops rising.' },
  { key: 'batchSize', label: 'Batch size', help: 'Pairs per step; each image is contrasted with the other captions in its batch.' },
  {
    key: 'learningRate',
    label: 'Learning rate',
    step: 'any',
    help: 'Peak step size (after warm-up, then cosine decay). Too high: the loss jumps or diverges.',
  },
];

const ADVANCED_FIELDS: FieldDef[] = [
  { key: 'warmupSteps', label: 'Warm-up steps', help: 'Steps over which the learning rate rises from 0 to its peak.' },
  { key: 'weightDecay', label: 'Weight decay', step: 'any', help: 'AdamW decay that keeps weights small (less overfitting).' },
  { key: 'imageSize', label: 'Image size (px)', help: 'Side of the square image the CNN sees. Larger is slower.', cnnOnly: true },
  { key: 'embedDim', label: 'Embedding size', help: 'Length of the shared image/text embedding.' },
  { key: 'maxEvalImages', label: 'Val images per eval', help: 'Val images used to measure recall after each epoch.' },
  { key: 'checkpointEverySteps', label: 'Checkpoint every (steps)', help: 'How often the run is saved for Resume after a reload.' },
];

/** The pretrained tower's feature head (src/model/featureHead.ts), shown with the backbone choice. */
export const HEAD_FIELDS: FieldDef[] = [
  {
    key: 'headHidden',
    label: 'Head hidden width',
    help: '0: one linear layer from the features to the embedding (best on Flickr8k). Else a hidden layer of this width first.',
  },
  {
    key: 'headDropout',
    label: 'Head dropout',
    step: 'any',
    help: 'Share of features zeroed at random in each training step, from 0 to 0.95. Higher fights overfitting on small datasets.',
  },
];

const FIELDS = [...BASIC_FIELDS, ...ADVANCED_FIELDS, ...HEAD_FIELDS];
const HEAD_KEYS: readonly string[] = HEAD_FIELDS.map((f) => f.key);

/** Whether a config field is one of the feature head's (its error shows beside the head's fields). */
export const isHeadField = (field: string): boolean => HEAD_KEYS.includes(field);

/**
 * The validator's message in the form's words: "Head dropout: expected a number in [0, 0.95],
 * found 1" rather than "config.headDropout: …"; fields without a label keep their config name.
 */
export function formError(field: string, message: string): string {
  const f = FIELDS.find((x) => x.key === field);
  return f ? message.replace(`config.${field}:`, `${f.label}:`) : message;
}

export type ConfigDraft = Omit<TrainConfig, NumField> & Record<NumField, string>;

export function draftFromConfig(c: TrainConfig): ConfigDraft {
  const d = { ...c } as unknown as ConfigDraft;
  for (const f of FIELDS) d[f.key] = String(c[f.key]);
  return d;
}

/** The image tower fields a preset change keeps: presets differ in the CNN and the training, not in the tower chosen. */
const TOWER_FIELDS = ['imageTower', 'backbone', 'headHidden', 'headDropout', 'flipViews'] as const;

/** `name`'s settings, keeping the draft's image tower (a chosen backbone stays chosen). */
export function withPreset(draft: ConfigDraft, name: PresetName): ConfigDraft {
  const next = draftFromConfig(PRESETS[name]);
  for (const k of TOWER_FIELDS) (next as Record<string, unknown>)[k] = draft[k];
  return next;
}

/** What a settings link cannot carry (shareSettings.ts leaves it out): the tower kind and its backbone's identity. */
const UNLINKED_FIELDS = ['imageTower', 'backbone'] as const;

/** A link's settings with the image tower of the draft saved in this browser (a backbone chosen here stays chosen). */
export function withSavedTower(linked: ConfigDraft, saved: ConfigDraft): ConfigDraft {
  const next = { ...linked };
  for (const k of UNLINKED_FIELDS) (next as Record<string, unknown>)[k] = saved[k];
  return next;
}

/**
 * The draft as a config candidate (numbers parsed); validateConfig decides if it is valid. A draft
 * saved before a field joined the form holds it as a number (read as one) or not at all (left out,
 * so the validator's legacy default applies).
 */
export function configFromDraft(d: ConfigDraft): Record<string, unknown> {
  const c: Record<string, unknown> = { ...d };
  for (const f of FIELDS) {
    const raw: unknown = d[f.key];
    if (raw === undefined) delete c[f.key];
    else c[f.key] = typeof raw === 'number' ? raw : typeof raw !== 'string' || raw.trim() === '' ? NaN : Number(raw);
  }
  return c;
}

export function NumberFields({ fields, draft, onChange }: { fields: FieldDef[]; draft: ConfigDraft; onChange: (d: ConfigDraft) => void }) {
  const pretrained = draft.imageTower === 'backbone';
  return (
    <div className="config-grid">
      {fields.map((f) => (
        <label key={f.key} title={f.help}>
          <span>
            {f.label}
            {f.cnnOnly && pretrained ? ' (CNN only)' : ''}
          </span>
          <input
            data-testid={`train-${f.key}`}
            type="number"
            step={f.step ?? '1'}
            disabled={f.cnnOnly && pretrained}
            value={draft[f.key]}
            aria-describedby={`help-${f.key}`}
            onChange={(e) => onChange({ ...draft, [f.key]: e.target.value })}
          />
          <span className="field-help" id={`help-${f.key}`}>
            {f.help}
          </span>
        </label>
      ))}
    </div>
  );
}

export function ConfigForm({
  draft,
  onChange,
  disabled,
  error,
  note,
}: {
  draft: ConfigDraft;
  onChange: (d: ConfigDraft) => void;
  disabled: boolean;
  error: string | null;
  note?: string | null;
}) {
  return (
    <fieldset className="config-form" disabled={disabled}>
      <legend>Model and training settings</legend>
      <div className="row">
        <label>
          Preset{' '}
          <select
            data-testid="train-preset"
            value={draft.preset}
            onChange={(e) => onChange(withPreset(draft, e.target.value as PresetName))}
          >
            {PRESET_NAMES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {note && (
          <span className="muted small" data-testid="preset-note">
            {note}
          </span>
        )}
      </div>
      <NumberFields fields={BASIC_FIELDS} draft={draft} onChange={onChange} />
      <details className="advanced" data-testid="train-advanced">
        <summary>Advanced</summary>
        <div className="row">
          <label>
            Text encoder{' '}
            <select
              data-testid="train-text-encoder"
              value={draft.textEncoder}
              onChange={(e) => onChange({ ...draft, textEncoder: e.target.value as TrainConfig['textEncoder'] })}
            >
              <option value="conv">1-D conv (reads word order)</option>
              <option value="transformer">transformer</option>
              <option value="bow">bag of words</option>
            </select>
          </label>
          <label>
            <input
              type="checkbox"
              checked={draft.evalEveryEpoch}
              onChange={(e) => onChange({ ...draft, evalEveryEpoch: e.target.checked })}
            />{' '}
            Evaluate on val split each epoch
          </label>
          <label>
            <input
              type="checkbox"
              checked={draft.augment}
              disabled={draft.imageTower === 'backbone'}
              onChange={(e) => onChange({ ...draft, augment: e.target.checked })}
            />{' '}
            Augment images{draft.imageTower === 'backbone' ? ' (CNN only: the pretrained tower uses mirrored images)' : ''}
          </label>
        </div>
        <NumberFields fields={ADVANCED_FIELDS} draft={draft} onChange={onChange} />
      </details>
      {error && (
        <p className="field-error" data-testid="config-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
