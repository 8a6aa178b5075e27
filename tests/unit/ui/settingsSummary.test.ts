// The runs table's settings line and the pretrained tower's cost sentence, against hand-written
// expectations.
import { describe, expect, it } from 'vitest';
import { PRESETS, withOverrides, type BackboneIdentity } from '../../../src/config';
import { featurePassEstimate, roughDuration } from '../../../src/ui/train/featurePassEstimate';
import { settingsSummary } from '../../../src/configSummary';

const backbone: BackboneIdentity = {
  name: 'MobileNetV2 (ImageNet)',
  kind: 'layers',
  sha256: 'b'.repeat(64),
  inputSize: 224,
  range: '-1,1',
  outputNode: 'out_relu',
  featureSize: 1280,
};

describe('settingsSummary', () => {
  it.each([
    [PRESETS.tiny, 'tiny · CNN from scratch, 32 px, channels 8-16-32 · 1-D conv text · 5 epochs, batch 16, lr 0.003'],
    [
      withOverrides('tiny', { imageTower: 'backbone', backbone, epochs: 1 }),
      'tiny · MobileNetV2 (ImageNet), frozen, 1280 features → linear head, dropout 0.5, mirrored images · 1-D conv text · 1 epoch, batch 16, lr 0.003',
    ],
    [
      withOverrides('default', {
        imageTower: 'backbone',
        backbone,
        headHidden: 256,
        headDropout: 0.2,
        flipViews: false,
        textEncoder: 'bow',
      }),
      'default · MobileNetV2 (ImageNet), frozen, 1280 features → head with 256 hidden units, dropout 0.2 · bag-of-words text · 20 epochs, batch 64, lr 0.001',
    ],
    [PRESETS.bench, 'bench · CNN from scratch, 64 px, channels 32-64-128-256 · bag-of-words text · 10 epochs, batch 64, lr 0.001'],
  ])('%#', (c, line) => {
    expect(settingsSummary(c)).toBe(line);
  });

  it('head settings of a CNN run are not shown (they do not apply)', () => {
    expect(settingsSummary(withOverrides('tiny', { headHidden: 512 }))).not.toMatch(/head/);
  });
});

describe('featurePassEstimate', () => {
  it.each([
    [0, 'under a minute'],
    [59, 'under a minute'],
    [60, '1 min'],
    [61, '2 min'],
    [3599, '60 min'],
    [5400, '1.5 h'],
  ])('roughDuration(%d) = %s', (s, text) => {
    expect(roughDuration(s)).toBe(text);
  });

  it.each([
    [2000, 2, '2,000 images × 2 views: about 8 min to 34 min on a CPU, once per dataset and backbone (less with a GPU)'],
    [200, 1, '200 images: up to 2 min on a CPU, once per dataset and backbone (less with a GPU)'],
    [12, 2, '12 images × 2 views: under a minute on a CPU, once per dataset and backbone (less with a GPU)'],
    [8091, 2, '8,091 images × 2 views: about 30 min to 2.2 h on a CPU, once per dataset and backbone (less with a GPU)'],
    [1, 1, '1 image: under a minute on a CPU, once per dataset and backbone (less with a GPU)'],
  ])('%d images, %d views', (images, views, text) => {
    expect(featurePassEstimate(images, views)).toBe(text);
  });
});
