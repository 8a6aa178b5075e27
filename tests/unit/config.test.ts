import { describe, expect, it } from 'vitest';
import {
  CONFIG_RULES,
  ConfigError,
  DEFAULT_CONFIG,
  PRESETS,
  PRESET_NAMES,
  validateConfig,
  withOverrides,
  type BackboneIdentity,
  type TrainConfig,
} from '../../src/config';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('presets', () => {
  it.each(PRESET_NAMES)('%s is valid, frozen and named after itself', (name) => {
    const preset = PRESETS[name];
    expect(validateConfig(preset)).toEqual(preset);
    expect(preset.preset).toBe(name);
    expect(Object.isFrozen(preset)).toBe(true);
    expect(Object.isFrozen(preset.convChannels)).toBe(true);
  });

  it('DEFAULT_CONFIG is the default preset', () => {
    expect(DEFAULT_CONFIG).toBe(PRESETS.default);
  });

  it('bench is exactly the model timed against PyTorch', () => {
    expect(PRESETS.bench).toMatchObject({
      imageSize: 64,
      convChannels: [32, 64, 128, 256],
      imageWidth: 0,
      embedDim: 128,
      textEncoder: 'bow',
      vocabSize: 5000,
      textWidth: 128,
      maxTokens: 24,
      learningRate: 1e-3,
      lrSchedule: 'constant',
      warmupSteps: 0,
      weightDecay: 0,
      batchSize: 64,
      augment: false,
      matchHidden: 0,
    });
  });

  it('every rule has a preset value and every preset key has a rule', () => {
    expect(Object.keys(PRESETS.tiny).sort()).toEqual(Object.keys(CONFIG_RULES).sort());
  });
});

describe('validateConfig', () => {
  it.each<[string, Record<string, unknown>, string, ConfigError['code'], RegExp]>([
    ['unknown key', { lr: 0.1 }, 'lr', 'unknown-key', /config\.lr: unknown key; expected only preset, seed/],
    ['integer out of range', { imageSize: 4 }, 'imageSize', 'out-of-range', /expected an integer in \[8, 256\], found 4/],
    ['number out of range', { learningRate: 0 }, 'learningRate', 'out-of-range', /expected a number in \(0, 1\], found 0/],
    ['non-integer', { batchSize: 3.5 }, 'batchSize', 'wrong-type', /expected an integer in \[2, 4096\], found 3.5/],
    ['string for number', { epochs: '3' }, 'epochs', 'wrong-type', /found '3'/],
    [
      'unknown enum value',
      { textEncoder: 'lstm' },
      'textEncoder',
      'out-of-range',
      /expected one of 'conv', 'transformer', 'bow', found 'lstm'/,
    ],
    ['bad list entry', { convChannels: [8, 0] }, 'convChannels', 'out-of-range', /1 to 6 integers, each in \[1, 1024\], found \[8, 0\]/],
    ['empty list', { convChannels: [] }, 'convChannels', 'out-of-range', /1 to 6 integers/],
    ['boolean as number', { augment: 1 }, 'augment', 'wrong-type', /expected true or false, found 1/],
    ['NaN', { weightDecay: NaN }, 'weightDecay', 'wrong-type', /expected a number in \[0, 10\], found NaN/],
    [
      'heads not dividing width',
      { textEncoder: 'transformer', textWidth: 30, textHeads: 4 },
      'textHeads',
      'out-of-range',
      /divisor of textWidth \(30\)/,
    ],
  ])('%s', (_, override, field, code, message) => {
    const e = errorOf(() => validateConfig({ ...PRESETS.tiny, ...override }));
    expect(e.field).toBe(field);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('rejects a missing key naming the allowed range', () => {
    const { seed: _, ...rest } = PRESETS.tiny;
    const e = errorOf(() => validateConfig(rest));
    expect([e.code, e.field]).toEqual(['missing-key', 'seed']);
    expect(e.message).toMatch(/config\.seed: missing; expected an integer in \[0, 4294967295\]/);
  });

  it('fills the match-classifier fields a config saved before them lacks with the legacy head', () => {
    const { matchHead: _h, matchDetach: _d, matchNegatives: _n, ...old } = PRESETS.tiny;
    expect(validateConfig(old)).toMatchObject({ matchHead: 'mlp', matchDetach: false, matchNegatives: 1 });
    expect(validateConfig({ ...old, matchNegatives: 4 }).matchNegatives).toBe(4);
  });

  it.each([
    [{ matchHead: 'deep' }, /config\.matchHead: expected one of 'mlp', 'cosine-feature', 'residual', found 'deep'/],
    [{ matchNegatives: 0 }, /config\.matchNegatives: expected an integer in \[1, 16\], found 0/],
    [{ matchDetach: 'yes' }, /config\.matchDetach: expected true or false, found 'yes'/],
  ])('rejects the match-classifier field %j', (override, message) => {
    expect(errorOf(() => validateConfig({ ...PRESETS.tiny, ...override })).message).toMatch(message);
  });

  const identity: BackboneIdentity = {
    name: 'mobilenet',
    kind: 'graph',
    sha256: 'ab'.repeat(32),
    inputSize: 224,
    range: '0,1',
    outputNode: 'feature_vector/SpatialSqueeze',
    featureSize: 1792,
  };

  it('fills the image-tower fields a config saved before them lacks with the CNN tower', () => {
    const { imageTower: _t, backbone: _b, headHidden: _h, headDropout: _d, flipViews: _f, ...old } = PRESETS.tiny;
    expect(validateConfig(old)).toMatchObject({ imageTower: 'cnn', backbone: null, headHidden: 0, headDropout: 0.5, flipViews: true });
  });

  it('keeps a backbone identity as a frozen copy', () => {
    const input = { ...PRESETS.tiny, imageTower: 'backbone', backbone: { ...identity } };
    const out = validateConfig(input);
    input.backbone.featureSize = 3;
    expect(out.backbone).toEqual(identity);
    expect(Object.isFrozen(out.backbone)).toBe(true);
  });

  it("keeps a downloaded backbone's source URL", () => {
    const source = 'https://storage.googleapis.com/teachable-machine-models/x/model.json';
    const out = validateConfig({ ...PRESETS.tiny, imageTower: 'backbone', backbone: { ...identity, source } });
    expect(out.backbone).toEqual({ ...identity, source });
  });

  it.each<[string, Record<string, unknown>, string, ConfigError['code'], RegExp]>([
    [
      'a backbone tower without a backbone',
      { imageTower: 'backbone' },
      'backbone',
      'missing-key',
      /expected a backbone identity when imageTower is 'backbone', found null/,
    ],
    ['an unknown tower', { imageTower: 'vit' }, 'imageTower', 'out-of-range', /expected one of 'cnn', 'backbone', found 'vit'/],
    [
      'a short hash',
      { backbone: { ...identity, sha256: 'abc' } },
      'backbone',
      'wrong-type',
      /expected null or a backbone identity \{name, kind, sha256/,
    ],
    ['an extra identity field', { backbone: { ...identity, url: 'x' } }, 'backbone', 'wrong-type', /found \{"name":"mobilenet"/],
    ['a source that is not https', { backbone: { ...identity, source: 'http://x/model.json' } }, 'backbone', 'wrong-type', /source/],
    ['a zero feature size', { backbone: { ...identity, featureSize: 0 } }, 'backbone', 'wrong-type', /backbone identity/],
    ['dropout of 1', { headDropout: 1 }, 'headDropout', 'out-of-range', /expected a number in \[0, 0.95\], found 1/],
    ['a negative hidden width', { headHidden: -1 }, 'headHidden', 'out-of-range', /expected an integer in \[0, 4096\], found -1/],
  ])('rejects %s', (_, override, field, code, message) => {
    const e = errorOf(() => validateConfig({ ...PRESETS.tiny, ...override }));
    expect([e.field, e.code]).toEqual([field, code]);
    expect(e.message).toMatch(message);
  });

  it.each([null, 3, 'tiny', [1]])('rejects a non-object %j', (x) => {
    expect(errorOf(() => validateConfig(x)).code).toBe('not-object');
  });

  it('returns a frozen copy that does not share the channel list', () => {
    const input: TrainConfig = { ...PRESETS.tiny, convChannels: [4, 8] };
    const out = validateConfig(input);
    input.convChannels.push(16);
    expect(out.convChannels).toEqual([4, 8]);
    expect(Object.isFrozen(out)).toBe(true);
  });
});

describe('withOverrides', () => {
  it('replaces fields of a preset', () => {
    const c = withOverrides('default', { epochs: 3, batchSize: 32 });
    expect(c).toEqual({ ...PRESETS.default, epochs: 3, batchSize: 32 });
  });

  it('validates the result', () => {
    expect(errorOf(() => withOverrides('tiny', { embedDim: 0 })).field).toBe('embedDim');
  });
});
