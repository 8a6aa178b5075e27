import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { matchEvalMetrics, matchPairs } from '../../../src/train/evaluate';

describe('evaluation pairs and classifier metrics (issue 9)', () => {
  // 3 images, 2 captions each; caption 2 (image 1) has the same text as caption 0 (image 0).
  const captionImageRow = [0, 0, 1, 1, 2, 2];
  const groups = [0, 1, 0, 2, 3, 4];
  const sim = [
    0.9,
    0.8,
    0.85,
    0.1,
    0.2,
    0.3, // image 0: caption 2 is its most similar wrong caption by index, but reads like caption 0
    0.1,
    0.2,
    0.9,
    0.8,
    0.3,
    0.7,
    0.2,
    0.1,
    0.3,
    0.4,
    0.9,
    0.8,
  ];

  it("a hard or random negative never has the text of one of the image's own captions", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const pairs = matchPairs(sim, captionImageRow, groups, 3, seed);
      expect(pairs.labels.filter((l) => l === 1).length).toBe(6);
      pairs.labels.forEach((label, n) => {
        if (label === 1) return;
        const own = new Set(captionImageRow.map((i, j) => (i === pairs.imageRows[n] ? groups[j] : -1)));
        expect(own.has(groups[pairs.captionRows[n]])).toBe(false);
      });
      const hard0 = pairs.captionRows[pairs.kinds.findIndex((k, n) => k === 1 && pairs.imageRows[n] === 0)];
      expect(hard0).toBe(5); // 0.3: the best caption that is really wrong
      const hard1 = pairs.captionRows[pairs.kinds.findIndex((k, n) => k === 1 && pairs.imageRows[n] === 1)];
      expect(hard1).toBe(5); // caption 0 (0.1) has image 1's text too, so 5 (0.7)
    }
  });

  it('an image whose every caption reads like its own gets no negatives', () => {
    const pairs = matchPairs([0.5, 0.5, 0.5, 0.5], [0, 1], [0, 0], 2, 1);
    expect(pairs.labels).toEqual([1, 1]);
  });

  it('reports the classifier beside cosine on the same pairs, and ECE before and after Platt', () => {
    const random = mulberry32(9);
    const Ni = 400;
    const imageRows: number[] = [];
    const captionRows: number[] = [];
    const labels: number[] = [];
    const kinds: number[] = [];
    const logits: number[] = [];
    const cosine: number[] = [];
    for (let i = 0; i < Ni; i++) {
      for (const kind of [0, 1, 2]) {
        const label = kind === 0 ? 1 : 0;
        imageRows.push(i);
        captionRows.push(3 * i + kind);
        labels.push(label);
        kinds.push(kind);
        const signal = label ? 1 : kind === 1 ? 0.5 : 0;
        cosine.push(0.3 * signal + 0.2 * random());
        logits.push(4 * signal + 3 + 6 * (random() - 0.5)); // shifted: every raw P is high
      }
    }
    const m = matchEvalMetrics(logits, cosine, { imageRows, captionRows, labels, kinds });
    expect(m.aucRandom).toBeGreaterThan(m.aucHard);
    expect(m.cosineAucRandom).toBeGreaterThan(0.9);
    expect(m.ece).toBeGreaterThan(0.3);
    expect(m.eceCalibrated).toBeLessThan(m.ece / 3); // held out: fitted on the other half of the images
    expect(m.plattB).toBeLessThan(0);
    expect(m.binCount.reduce((a, b) => a + b, 0)).toBe(3 * Ni);
    expect(m.binConfidence.length).toBe(10);
    // Both carry signal: the stacked calibration weighs both and ranks at least as well as either, held out.
    expect(m.stackWz).toBeGreaterThan(0);
    expect(m.stackWc).toBeGreaterThan(0);
    expect(m.calibratedAucRandom).toBeGreaterThan(Math.max(m.aucRandom, m.cosineAucRandom) - 0.005);
    expect(m.calibratedAucHard).toBeGreaterThan(0.5);
  });

  it('a head whose logit is noise: the calibrated score ranks as cosine does, held out, not as the head', () => {
    const random = mulberry32(10);
    const pairs = { imageRows: [] as number[], captionRows: [] as number[], labels: [] as number[], kinds: [] as number[] };
    const logits: number[] = [];
    const cosine: number[] = [];
    for (let i = 0; i < 1000; i++) {
      for (const kind of [0, 1, 2]) {
        pairs.imageRows.push(i);
        pairs.captionRows.push(3 * i + kind);
        pairs.labels.push(kind === 0 ? 1 : 0);
        pairs.kinds.push(kind);
        cosine.push(0.3 * (kind === 0 ? 1 : kind === 1 ? 0.7 : 0) + 0.15 * (random() + random() + random())); // about Gaussian noise
        logits.push(2 + 4 * random());
      }
    }
    const m = matchEvalMetrics(logits, cosine, pairs);
    expect(m.aucRandom).toBeLessThan(0.55);
    expect(m.calibratedAucRandom).toBeCloseTo(m.cosineAucRandom, 2);
    expect(m.eceCalibrated).toBeLessThan(0.05);
  });
});
