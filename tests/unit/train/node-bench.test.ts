// The benchmark helpers that every bench row depends on: summary statistics, the synthetic set
// (fills the preset's vocabulary), and the training timer on the cpu backend (leak-free, stops
// at the asked number of steps).
import { describe, expect, it } from 'vitest';
import { PRESETS, withOverrides } from '../../../src/config';
import { Tokenizer } from '../../../src/data/tokenizer';
import { summarize } from '../../../bench/lib/stats';
import { randomUnitRows, syntheticTrainingSet } from '../../../bench/lib/synthetic';
import { benchTraining } from '../../../bench/lib/trainBench';

describe('summarize', () => {
  it.each([
    [[5], 5, 0],
    [[1, 3], 2, 0.5],
    [[4, 1, 2], 2, 0.75],
  ])('%j -> median %d, spread %d', (samples, median, spread) => {
    const s = summarize(samples);
    expect(s.median).toBe(median);
    expect(s.spread).toBeCloseTo(spread);
    expect(s.n).toBe(samples.length);
  });
  it('is NaN for no samples', () => {
    expect(summarize([]).median).toBeNaN();
  });
});

describe('synthetic data', () => {
  it('fills the bench preset vocabulary and keeps captions within maxTokens', () => {
    const config = PRESETS.bench;
    const set = syntheticTrainingSet(config, { images: 256, captionsPerImage: 5 });
    expect(set.pixels.length).toBe(256 * 64 * 64 * 3);
    expect(set.captions).toHaveLength(1280);
    expect(Math.max(...set.captions.map((c) => c.text.split(' ').length))).toBeLessThanOrEqual(config.maxTokens);
    const tokenizer = Tokenizer.build(
      set.captions.map((c) => c.text),
      { maxVocab: config.vocabSize, minCount: config.minWordCount },
    );
    expect(tokenizer.size).toBe(config.vocabSize);
  });
  it('makes unit rows', () => {
    const rows = randomUnitRows(3, 8);
    for (let r = 0; r < 3; r++) {
      let n = 0;
      for (let j = 0; j < 8; j++) n += rows[r * 8 + j] ** 2;
      expect(n).toBeCloseTo(1, 5);
    }
  });
});

describe('benchTraining', () => {
  it('times the asked steps with the app loop, without leaking tensors', async () => {
    expect(withOverrides('tiny').batchSize).toBe(16);
    const r = await benchTraining({ preset: 'tiny', convImpl: 'conv2d', timedSteps: 2, maxSeconds: 60 });
    expect(r.stepMs).toHaveLength(2);
    expect(r.firstStepMs).toBeGreaterThan(0);
    expect(r.warmupMs).toBeGreaterThan(0);
    expect(r.stoppedBy).toBe('steps');
    expect(new Set(r.numTensors).size).toBe(1);
    expect(r.pairsPerSec).toBeCloseTo((1000 * 16) / r.step.median);
  });
});
