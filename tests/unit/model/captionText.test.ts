import { describe, expect, it } from 'vitest';
import { sampleImageCount, sampleScene, sceneCaptions } from '../../../src/data/sample';
import {
  CaptionTextError,
  captionTextGroups,
  hasSideWords,
  normalizeCaption,
  relevantCaptions,
  relevantImages,
  requireCaptionText,
  sameTextMask,
  tokenRowGroups,
} from '../../../src/model/captionText';
import { retrievalMetrics } from '../../../src/model/metrics';

describe('normalizeCaption and groups', () => {
  it.each([
    ['A photo of a dress', 'a photo of a dress'],
    ['  a   PHOTO of a dress. ', 'a photo of a dress'],
    ['a\tphoto\nof a dress!', 'a photo of a dress'],
    ["The dog's ball", "the dog's ball"],
    ['   ', ''],
    ['?!', ''],
  ])('%j -> %j', (text, expected) => expect(normalizeCaption(text)).toBe(expected));

  it('gives equal ids to equal normalised texts, in first-seen order', () => {
    expect(Array.from(captionTextGroups(['A cat', 'a dog', 'a  CAT.', 'a dog', 'x']))).toEqual([0, 1, 0, 1, 2]);
    expect(Array.from(tokenRowGroups([1, 2, 3, 4, 1, 2, 0, 0], 2, 4))).toEqual([0, 1, 0, 2]);
  });
});

describe('requireCaptionText (scoring refuses an empty caption)', () => {
  it.each(['', '   ', '\n\t', '...'])('refuses %j with a typed error', (text) => {
    expect(() => requireCaptionText(text)).toThrow(CaptionTextError);
    try {
      requireCaptionText(text, 'caption 3');
    } catch (e) {
      expect((e as CaptionTextError).code).toBe('empty-caption');
      expect((e as Error).message).toBe(`caption 3: expected at least one word to score, found ${JSON.stringify(text)}`);
    }
  });

  it('passes a caption with a word through unchanged', () => expect(requireCaptionText(' a dog ')).toBe(' a dog '));
});

describe('duplicate-caption R@K', () => {
  // Class-style captions: 4 images, one caption each; images 0 and 2 are both "a photo of a dress"
  // (captions 0 and 2), image 1 and 3 are "a photo of a shoe" / "a photo of a bag".
  const texts = ['a photo of a dress', 'a photo of a shoe', 'A photo of a  dress', 'a photo of a bag'];
  const captionImage = [0, 1, 2, 3];
  const groups = captionTextGroups(texts);
  // sim [4 images, 4 captions]: each image scores the dress captions alike (ties) and its own highest otherwise.
  const sim = [
    0.9,
    0.1,
    0.9,
    0.0, // image 0: its caption ties with caption 2 (same text)
    0.2,
    0.5,
    0.2,
    0.6, // image 1: caption 3 (bag) outranks its own: a true miss
    0.8,
    0.0,
    0.7,
    0.1, // image 2: caption 0 (same text, other image) is top
    0.1,
    0.0,
    0.1,
    0.9, // image 3
  ];
  const simT = Array.from({ length: 16 }, (_, k) => sim[(k % 4) * 4 + Math.floor(k / 4)]); // [captions, images]

  it.each([
    ['own captions only (before)', captionImage.map((i) => [i]), { r1: 0.25, r5: 1 }],
    [
      'same text counts (after)',
      relevantCaptions(
        captionImage.map((i) => [i]),
        groups,
      ),
      { r1: 0.75, r5: 1 },
    ],
  ])('image→text, %s', (_name, targets, expected) => {
    const m = retrievalMetrics(sim, 4, targets);
    expect(m.r1).toBeCloseTo(expected.r1, 12);
    expect(m.r5).toBe(expected.r5);
  });

  it('relevant sets: captions of the same text and images that own that text', () => {
    expect(relevantCaptions([[0], [1], [2], [3]], groups)).toEqual([[0, 2], [1], [0, 2], [3]]);
    expect(relevantImages(captionImage, groups)).toEqual([[0, 2], [1], [0, 2], [3]]);
    // text→image: caption 2's best image is 0 (0.9), which owns the same text: a hit.
    expect(retrievalMetrics(simT, 4, relevantImages(captionImage, groups)).r1).toBe(1);
    expect(
      retrievalMetrics(
        simT,
        4,
        captionImage.map((i) => [i]),
      ).r1,
    ).toBe(0.75); // before: caption 2 misses
  });
});

describe('sameTextMask', () => {
  it("marks the diagonal, equal batch texts, and texts of the image's other captions", () => {
    const mask = sameTextMask([7, 8, 7], [new Set([7]), new Set([8, 9]), new Set([7, 8])]);
    expect(Array.from(mask)).toEqual([
      1,
      0,
      1,
      0,
      1,
      0,
      1,
      1,
      1, // image 2 also has a caption of text 8
    ]);
  });
});

describe('hasSideWords (flips) on the built-in sample', () => {
  it.each([
    ['a small red circle left of a large blue square', true],
    ['a blue square to the right of a small red circle', true],
    ['a picture with a small red circle on the left', true],
    ['red circle and blue square', false],
    ['a small red circle above a large blue square', false],
    ['a brighter shape', false], // "bright" is not "right"
  ])('%j -> %s', (text, expected) => expect(hasSideWords(text)).toBe(expected));

  it('finds every left/right caption of the sample and no other', () => {
    let side = 0;
    let total = 0;
    for (let i = 0; i < Math.min(400, sampleImageCount()); i++) {
      const scene = sampleScene(i);
      for (const caption of sceneCaptions(scene)) {
        total++;
        const expected = /\b(left|right)\b/.test(caption);
        expect(hasSideWords(caption)).toBe(expected);
        side += expected ? 1 : 0;
      }
    }
    expect(side).toBeGreaterThan(0);
    expect(side).toBeLessThan(total);
  });
});
