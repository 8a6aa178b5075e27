// Choosing a preset in the Train form takes the preset's settings but keeps the image tower the
// user chose (a backbone stays chosen, with its head and flip settings); the CNN stays the CNN.
import { describe, expect, it } from 'vitest';
import { PRESETS, type BackboneIdentity } from '../../../src/config';
import { draftFromConfig, withPreset, withSavedTower } from '../../../src/ui/train/ConfigForm';
import { settingsFromQuery, settingsToQuery } from '../../../src/ui/train/shareSettings';

const backbone: BackboneIdentity = {
  name: 'net',
  kind: 'layers',
  sha256: 'a'.repeat(64),
  inputSize: 224,
  range: '0,1',
  outputNode: 'flatten_1',
  featureSize: 1280,
};

describe('withPreset', () => {
  it.each(['tiny', 'default', 'bench'] as const)('keeps a chosen backbone when switching to %s', (name) => {
    const draft = { ...draftFromConfig(PRESETS.tiny), imageTower: 'backbone' as const, backbone, headHidden: '64', flipViews: false };
    const next = withPreset(draft, name);
    expect(next).toMatchObject({ preset: name, imageTower: 'backbone', backbone, headHidden: '64', flipViews: false });
    expect(next.epochs).toBe(String(PRESETS[name].epochs)); // the rest is the preset's
    expect(next.convChannels).toEqual(PRESETS[name].convChannels);
  });

  it('keeps the CNN a CNN', () => {
    expect(withPreset(draftFromConfig(PRESETS.tiny), 'default')).toEqual(draftFromConfig(PRESETS.default));
  });
});

describe('withSavedTower', () => {
  it("a reloaded link (which cannot carry the backbone) keeps this browser's chosen backbone; the link's own settings win", () => {
    const saved = { ...draftFromConfig(PRESETS.tiny), imageTower: 'backbone' as const, backbone, headHidden: '64', epochs: '9' };
    const link = settingsFromQuery(settingsToQuery({ ...PRESETS.tiny, epochs: 3, headHidden: 32 }))!.config!;
    const next = withSavedTower(draftFromConfig(link), saved);
    expect(next).toMatchObject({ imageTower: 'backbone', backbone, headHidden: '32', epochs: '3' });
  });

  it('a saved CNN draft leaves the link as it is', () => {
    const link = draftFromConfig({ ...PRESETS.default, epochs: 2 });
    expect(withSavedTower(link, draftFromConfig(PRESETS.tiny))).toEqual(link);
  });
});
