// The Train form's draft: the feature head's fields (hidden width, dropout) edit as text like the
// other numbers and validate with the form's own labels; drafts saved before they joined the form
// still load.
import { describe, expect, it } from 'vitest';
import { type ConfigError, PRESETS, validateConfig, withOverrides } from '../../../src/config';
import { configFromDraft, draftFromConfig, formError, isHeadField, type ConfigDraft } from '../../../src/ui/train/ConfigForm';

/** The form's error for a draft, as useTrainDraft words it (null when valid). */
function errorOf(draft: ConfigDraft): string | null {
  try {
    validateConfig(configFromDraft(draft));
    return null;
  } catch (err) {
    const e = err as ConfigError;
    return formError(e.field, e.message);
  }
}

describe('feature head fields in the draft', () => {
  it.each([
    [withOverrides('tiny', { headHidden: 256, headDropout: 0.2 })],
    [withOverrides('default', { headHidden: 0, headDropout: 0 })],
    [PRESETS.bench],
  ])('draft → config round-trips %#', (c) => {
    const d = draftFromConfig(c);
    expect(d.headHidden).toBe(String(c.headHidden));
    expect(d.headDropout).toBe(String(c.headDropout));
    expect(validateConfig(configFromDraft(d))).toEqual(c);
  });

  it.each([
    ['headDropout', '1', 'Head dropout: expected a number in [0, 0.95], found 1'],
    ['headDropout', '-0.5', 'Head dropout: expected a number in [0, 0.95], found -0.5'],
    ['headDropout', '', 'Head dropout: expected a number in [0, 0.95], found NaN'],
    ['headHidden', '12.5', 'Head hidden width: expected an integer in [0, 4096], found 12.5'],
    ['headHidden', '9999', 'Head hidden width: expected an integer in [0, 4096], found 9999'],
    ['epochs', '0', 'Epochs: expected an integer in [1, 10000], found 0'],
  ] as const)('%s = %j is refused: %s', (key, value, message) => {
    expect(errorOf({ ...draftFromConfig(PRESETS.tiny), [key]: value })).toBe(message);
  });

  it('names fields without a form label by their config key', () => {
    expect(formError('textHeads', 'config.textHeads: expected a divisor')).toBe('config.textHeads: expected a divisor');
  });

  it('knows which fields are the head', () => {
    expect(['headHidden', 'headDropout', 'epochs', 'backbone', ''].map(isHeadField)).toEqual([true, true, false, false, false]);
  });

  it('reads a draft saved before the head fields were in the form: numbers as numbers, missing as the default', () => {
    const saved = draftFromConfig(PRESETS.tiny) as unknown as Record<string, unknown>;
    const withNumbers = { ...saved, headHidden: 64, headDropout: 0.25 } as unknown as ConfigDraft;
    expect(validateConfig(configFromDraft(withNumbers))).toEqual(withOverrides('tiny', { headHidden: 64, headDropout: 0.25 }));
    const { headHidden: _h, headDropout: _d, ...without } = saved;
    expect(validateConfig(configFromDraft(without as unknown as ConfigDraft))).toEqual(PRESETS.tiny);
  });
});
