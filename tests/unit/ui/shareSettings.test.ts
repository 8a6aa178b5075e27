// Train settings in the URL: only differences from the preset are written, a link round-trips to
// the same config, and a bad link says which setting is wrong and what was expected.
import { describe, expect, it } from 'vitest';
import { PRESETS, withOverrides } from '../../../src/config';
import { settingsFromQuery, settingsToQuery, withSettings } from '../../../src/ui/train/shareSettings';

describe('settingsToQuery', () => {
  it('writes only the preset when nothing was edited', () => {
    expect(settingsToQuery(PRESETS.tiny)).toBe('preset=tiny');
  });
  it('writes the edited fields, lists joined by commas', () => {
    const c = withOverrides('tiny', { epochs: 1, learningRate: 0.01, convChannels: [4, 8], augment: true });
    expect(settingsToQuery(c)).toBe('preset=tiny&convChannels=4%2C8&augment=true&epochs=1&learningRate=0.01');
  });
});

describe('settingsFromQuery', () => {
  it.each([
    [withOverrides('tiny', { epochs: 2, textEncoder: 'transformer', textHeads: 2 })],
    [withOverrides('default', { convChannels: [16, 32], evalEveryEpoch: false, weightDecay: 0 })],
    [PRESETS.bench],
    [withOverrides('tiny', { headHidden: 256, headDropout: 0.2, flipViews: false })], // the feature head's settings
    [withOverrides('default', { headDropout: 0, epochs: 4 })],
  ])('round-trips %#', (c) => {
    expect(settingsFromQuery(settingsToQuery(c))).toEqual({ config: c, error: null });
  });

  it('leaves the image tower and backbone out: a link cannot carry the files, and reloading a pretrained draft is not an error', () => {
    const backbone = {
      name: 'm',
      kind: 'layers',
      sha256: 'a'.repeat(64),
      inputSize: 224,
      range: '0,1',
      outputNode: 'pool',
      featureSize: 1280,
    } as const;
    const c = withOverrides('tiny', { imageTower: 'backbone', backbone, headDropout: 0.25 });
    const q = settingsToQuery(c);
    expect(q).toBe('preset=tiny&headDropout=0.25');
    expect(settingsFromQuery(q)).toEqual({ config: withOverrides('tiny', { headDropout: 0.25 }), error: null });
    expect(settingsFromQuery('?preset=tiny&imageTower=backbone')).toEqual({ config: PRESETS.tiny, error: null }); // older links: the tower is ignored
  });

  it('is null when the query carries no setting', () => {
    expect(settingsFromQuery('?tab=use')).toBeNull();
    expect(settingsFromQuery('')).toBeNull();
  });

  it('starts from default when only fields are given', () => {
    expect(settingsFromQuery('?epochs=3')?.config).toEqual(withOverrides('default', { epochs: 3 }));
  });

  it.each([
    ['?preset=huge', /preset: expected one of tiny, default, bench, found 'huge'/],
    ['?preset=tiny&epochs=0', /config\.epochs: expected an integer in \[1, 10000\], found 0/],
    ['?preset=tiny&batchSize=abc', /config\.batchSize: expected an integer .* found NaN/],
    ['?preset=tiny&augment=yes', /config\.augment: expected true or false, found 'yes'/],
    ['?preset=tiny&convChannels=8,,16', /config\.convChannels/],
    ['?preset=tiny&headDropout=1', /config\.headDropout: expected a number in \[0, 0\.95\], found 1$/],
    ['?preset=tiny&headDropout=-0.1', /config\.headDropout: expected a number in \[0, 0\.95\], found -0\.1$/],
    ['?preset=tiny&headHidden=1.5', /config\.headHidden: expected an integer in \[0, 4096\], found 1\.5$/],
    ['?preset=tiny&headHidden=5000', /config\.headHidden: expected an integer in \[0, 4096\], found 5000$/],
    ['?preset=tiny&flipViews=1', /config\.flipViews: expected true or false, found '1'/],
  ])('%s is refused with the reason', (q, re) => {
    const r = settingsFromQuery(q);
    expect(r?.config).toBeNull();
    expect(r?.error).toMatch(re);
  });
});

describe('the feature head in links', () => {
  it('writes only the head fields that differ from the preset', () => {
    expect(settingsToQuery(withOverrides('tiny', { headHidden: 128, headDropout: 0.3, flipViews: false }))).toBe(
      'preset=tiny&headHidden=128&headDropout=0.3&flipViews=false',
    );
    expect(settingsToQuery(withOverrides('tiny', { headDropout: PRESETS.tiny.headDropout }))).toBe('preset=tiny');
  });
});

describe('withSettings', () => {
  it('replaces old settings and keeps other parameters', () => {
    expect(withSettings('?tab=train&epochs=9&batchSize=4', withOverrides('tiny', { epochs: 1 }))).toBe('?tab=train&preset=tiny&epochs=1');
  });
});
