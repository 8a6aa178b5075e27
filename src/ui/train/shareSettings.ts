// The Train form's settings as a URL query (like TensorFlow Playground), so a link reproduces a
// configuration: the preset plus only the fields that differ from it. Pure: URLSearchParams only.
import { CONFIG_RULES, PRESET_NAMES, PRESETS, validateConfig, type PresetName, type TrainConfig } from '../../config';

/**
 * The image tower and the backbone's identity stay out of links: a link cannot carry the model's
 * files, and a pretrained tower without its backbone is not a valid config (the page said so as a
 * banner on every reload). The feature head's settings do travel.
 */
const KEYS = (Object.keys(CONFIG_RULES) as (keyof TrainConfig)[]).filter((k) => k !== 'imageTower' && CONFIG_RULES[k].kind !== 'backbone');

function encode(v: TrainConfig[keyof TrainConfig]): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** `preset=tiny&epochs=1&…`: the preset and every field whose value differs from the preset's. */
export function settingsToQuery(config: TrainConfig): string {
  const base = PRESETS[config.preset];
  const q = new URLSearchParams({ preset: config.preset });
  for (const k of KEYS) {
    if (k !== 'preset' && encode(config[k]) !== encode(base[k])) q.set(k, encode(config[k]));
  }
  return q.toString();
}

function decode(key: keyof TrainConfig, raw: string): unknown {
  const rule = CONFIG_RULES[key];
  switch (rule.kind) {
    case 'int':
    case 'number':
      return raw.trim() === '' ? NaN : Number(raw);
    case 'bool':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'intList':
      return raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
    case 'enum':
    case 'backbone':
      return raw;
  }
}

export type SharedSettings = { config: TrainConfig; error: null } | { config: null; error: string } | null;

/**
 * The settings a link carries, validated: null when the query names no setting; otherwise the
 * config, or the reason it cannot be used (the validator's expected-vs-found message).
 */
export function settingsFromQuery(search: string): SharedSettings {
  const q = new URLSearchParams(search);
  const given = KEYS.filter((k) => q.has(k));
  if (!given.length) return null;
  const preset = (q.get('preset') ?? 'default') as PresetName;
  if (!PRESET_NAMES.includes(preset)) {
    return { config: null, error: `preset: expected one of ${PRESET_NAMES.join(', ')}, found '${preset}'` };
  }
  const candidate: Record<string, unknown> = { ...PRESETS[preset], convChannels: [...PRESETS[preset].convChannels] };
  for (const k of given) if (k !== 'preset') candidate[k] = decode(k, q.get(k)!);
  try {
    return { config: validateConfig(candidate), error: null };
  } catch (err) {
    return { config: null, error: (err as Error).message };
  }
}

/** `search` with the settings replaced by `config`'s (other parameters kept). */
export function withSettings(search: string, config: TrainConfig): string {
  const q = new URLSearchParams(search);
  for (const k of KEYS) q.delete(k);
  for (const [k, v] of new URLSearchParams(settingsToQuery(config))) q.set(k, v);
  return `?${q.toString()}`;
}
