// The insight computations: heatmap diagonal vs off-diagonal means, the worst-mistakes ranking
// (a table of similarity matrices with the expected order), and the embedding map's layout.
import { describe, expect, it } from 'vitest';
import { embeddingMap, heatmapStats, worstMistakes, type EvalEmbeddings } from '../../../src/train/insights';

describe('heatmapStats', () => {
  it.each([
    ['identity', [1, 0, 0, 1], 2, 1, 0],
    ['3x3', [0.9, 0.1, 0.2, 0.3, 0.6, 0.0, -0.1, 0.4, 0.3], 3, 0.6, 0.15],
  ])('%s', (_label, sim, B, diag, off) => {
    const s = heatmapStats(sim, B);
    expect(s.diagonalMean).toBeCloseTo(diag, 9);
    expect(s.offDiagonalMean).toBeCloseTo(off, 9);
  });
  it('refuses a matrix of the wrong size', () => expect(() => heatmapStats([1, 2, 3], 2)).toThrow(/2 x 2 matrix/));
});

/** Embeddings with only the similarity matrix filled in: worstMistakes reads nothing else. */
const simOnly = (sim: number[], captionImageRow: number[]): EvalEmbeddings => ({
  img: new Float32Array(),
  txt: new Float32Array(),
  sim: Float32Array.from(sim),
  dim: 0,
  captionImageRow,
});

describe('worstMistakes', () => {
  const labels = { images: [10, 11, 12], captions: ['c0', 'c1', 'c2', 'c3'] };
  // images 0, 1, 2; captions 0 and 1 are image 0's, caption 2 image 1's, caption 3 image 2's
  const rows = [0, 0, 1, 2];
  it.each([
    {
      label: 'all right: closest calls first (smallest winning margin)',
      sim: [0.9, 0.5, 0.1, 0.2, /* img1 */ 0.1, 0.2, 0.8, 0.7, /* img2 */ 0.0, 0.1, 0.3, 0.95],
      expected: [
        [11, 1, 'c2', 'c3'],
        [12, 1, 'c3', 'c2'],
        [10, 1, 'c0', 'c3'],
      ],
    },
    {
      label: 'lowest-ranked true caption first; any own caption counts (image 0 via c1)',
      sim: [0.1, 0.6, 0.7, 0.2, /* img1 */ 0.9, 0.8, 0.3, 0.1, /* img2 */ 0.5, 0.4, 0.6, 0.45],
      expected: [
        [11, 3, 'c2', 'c0'],
        [12, 3, 'c3', 'c2'],
        [10, 2, 'c1', 'c2'],
      ],
    },
  ])('$label', ({ sim, expected }) => {
    const out = worstMistakes(simOnly(sim, rows), labels, 5);
    expect(out.map((m) => [m.image, m.rank, m.trueCaption, m.preferredCaption])).toEqual(expected);
  });
  it('keeps the first k and skips images without captions of their own', () => {
    const sim = [0.1, 0.6, 0.7, 0.2, 0.9, 0.8, 0.3, 0.1, 0.5, 0.4, 0.6, 0.45];
    expect(worstMistakes(simOnly(sim, [0, 0, 1, 1]), labels, 5).map((m) => m.image)).toEqual([11, 10]);
    expect(worstMistakes(simOnly(sim, rows), labels, 1)).toHaveLength(1);
  });
});

describe('embeddingMap', () => {
  it('places images and their captions in one frame, keeping the first maxImages and their captions', () => {
    // D = 2: images at (±1, 0), (0, 0.1); captions beside their images
    const e: EvalEmbeddings = {
      img: Float32Array.from([1, 0, -1, 0, 0, 0.1]),
      txt: Float32Array.from([0.9, 0, 1.1, 0, -0.9, 0, 0, 0.2]),
      sim: new Float32Array(12),
      dim: 2,
      captionImageRow: [0, 0, 1, 2],
    };
    const labels = { images: [7, 8, 9], captions: ['a', 'b', 'c', 'd'] };
    const map = embeddingMap(e, labels, 2);
    expect(map.images.map((p) => p.image)).toEqual([7, 8]);
    expect(map.captions.map((c) => [c.imageRow, c.text])).toEqual([
      [0, 'a'],
      [0, 'b'],
      [1, 'c'],
    ]);
    // all five points lie on the x axis: the first axis carries all the variance, x keeps its order
    expect(map.explained[0]).toBeCloseTo(1, 6);
    expect(map.images[0].x).toBeGreaterThan(map.images[1].x);
    expect(Math.abs(map.captions[0].x - map.images[0].x)).toBeLessThan(0.2);
  });

  it('draws one-dimensional embeddings on the x axis', () => {
    const e: EvalEmbeddings = {
      img: Float32Array.from([1, -1]),
      txt: Float32Array.from([0.5, -0.5]),
      sim: new Float32Array(4),
      dim: 1,
      captionImageRow: [0, 1],
    };
    const map = embeddingMap(e, { images: [0, 1], captions: ['a', 'b'] }, 10);
    expect(map.images.map((p) => [p.x, p.y])).toEqual([
      [1, 0],
      [-1, 0],
    ]);
    expect(map.captions.map((p) => [p.x, p.y])).toEqual([
      [0.5, 0],
      [-0.5, 0],
    ]);
    expect(map.explained).toEqual([1, 0]);
  });
});
