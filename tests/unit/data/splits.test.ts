// Split assignment by image: official split lists (real Flickr8k ones included), seeded
// splits with exact counts that ignore input order, fraction validation and source choice.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assignSplits,
  captionSplits,
  DEFAULT_SPLIT,
  isSplitListFile,
  parseSplitLists,
  seededSplitByImage,
  splitCounts,
  SplitError,
  type SplitFractions,
} from '../../../src/data/splits';
import { mulberry32, shuffleInPlace } from '../../../src/data/random';
import type { Split } from '../../../src/data/types';
import { datasetPath, itWithData } from '../../datasets';

const names = (n: number) => Array.from({ length: n }, (_, i) => `img_${String(i).padStart(5, '0')}.jpg`);

function thrown(f: () => unknown): SplitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SplitError);
    return e as SplitError;
  }
  throw new Error('expected a SplitError, nothing was thrown');
}

describe('isSplitListFile', () => {
  it.each([
    ['Flickr_8k.trainImages.txt', true],
    ['Flickr_8k.devImages.txt', true],
    ['Flickr8k_text/Flickr_8k.testImages.txt', true],
    ['C:\\data\\flickr_8k.TRAINIMAGES.TXT', true],
    ['Flickr8k.token.txt', false],
    ['captions.txt', false],
    ['Flickr_8k.trainImages.txt.bak', false],
  ])('%s -> %s', (path, expected) => {
    expect(isSplitListFile(path)).toBe(expected);
  });
});

describe('parseSplitLists', () => {
  itWithData('flickr8k-224')('reads the real Flickr8k lists: 6000 train / 1000 dev (val) / 1000 test', () => {
    const files = ['trainImages', 'devImages', 'testImages'].map((k) => ({
      file: `Flickr_8k.${k}.txt`,
      text: readFileSync(datasetPath(`flickr8k-224/Flickr_8k.${k}.txt`), 'utf8'),
    }));
    const split = parseSplitLists(files);
    expect(split.size).toBe(8000);
    const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
    for (const s of split.values()) counts[s]++;
    expect(counts).toEqual({ train: 6000, val: 1000, test: 1000 });
    expect(split.get('2513260012_03d33305cf.jpg')).toBe('train');
  });

  it.each([
    [
      'BOM, CRLF, blank lines and directories',
      [{ file: 'x/Flickr_8k.devImages.txt', text: '\uFEFFa.jpg\r\n\r\nimgs/b.jpg\r\n' }],
      [
        ['a.jpg', 'val'],
        ['b.jpg', 'val'],
      ],
    ],
    ['a name repeated in the same list', [{ file: 'Flickr_8k.testImages.txt', text: 'a.jpg\na.jpg\n' }], [['a.jpg', 'test']]],
    [
      'several lists',
      [
        { file: 'Flickr_8k.trainImages.txt', text: 'a.jpg' },
        { file: 'Flickr_8k.testImages.txt', text: 'b.jpg' },
      ],
      [
        ['a.jpg', 'train'],
        ['b.jpg', 'test'],
      ],
    ],
  ] as const)('%s', (_name, files, expected) => {
    expect([...parseSplitLists([...files])]).toEqual(expected);
  });

  it.each([
    [
      'a name in two lists names both files and lines',
      [
        { file: 'Flickr_8k.trainImages.txt', text: 'a.jpg\nb.jpg' },
        { file: 'Flickr_8k.devImages.txt', text: 'c.jpg\nb.jpg' },
      ],
      'conflict',
      /^Flickr_8k\.devImages\.txt line 2: b\.jpg is also listed in Flickr_8k\.trainImages\.txt line 2/,
    ],
    [
      'a file that is not a split list',
      [{ file: 'captions.txt', text: 'a.jpg' }],
      'not-a-split-list',
      /captions\.txt: expected a split list/,
    ],
  ] as const)('throws: %s', (_name, files, code, message) => {
    const err = thrown(() => parseSplitLists([...files]));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});

describe('seededSplitByImage', () => {
  it.each([
    [10, DEFAULT_SPLIT, { train: 8, val: 1, test: 1 }],
    [7000, DEFAULT_SPLIT, { train: 5600, val: 700, test: 700 }],
    [7, DEFAULT_SPLIT, { train: 5, val: 1, test: 1 }],
    [3, DEFAULT_SPLIT, { train: 3, val: 0, test: 0 }],
    [1, { train: 0, val: 0.5, test: 0.5 }, { train: 0, val: 1, test: 0 }],
    [100, { train: 1, val: 0, test: 0 }, { train: 100, val: 0, test: 0 }],
    [101, { train: 0.7, val: 0.15, test: 0.15 }, { train: 71, val: 15, test: 15 }],
    [0, DEFAULT_SPLIT, { train: 0, val: 0, test: 0 }],
  ])('%i images at %o -> exact counts %o', (n, fractions, expected) => {
    expect(splitCounts(n, fractions)).toEqual(expected);
    const split = seededSplitByImage(names(n), 3, fractions);
    const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
    for (const s of split.values()) counts[s]++;
    expect(counts).toEqual(expected);
  });

  it.each([1, 42, 0xdeadbeef])('seed %i: same split whatever the input order, duplicates ignored', (seed) => {
    const input = names(500);
    const reference = seededSplitByImage(input, seed);
    const shuffled = shuffleInPlace([...input, ...input.slice(0, 50)], mulberry32(seed + 1));
    const again = seededSplitByImage(shuffled, seed);
    expect(again.size).toBe(500);
    for (const name of input) expect(again.get(name)).toBe(reference.get(name));
  });

  it('different seeds give different splits', () => {
    const a = seededSplitByImage(names(500), 1);
    const b = seededSplitByImage(names(500), 2);
    expect(names(500).some((n) => a.get(n) !== b.get(n))).toBe(true);
  });

  it.each<[string, SplitFractions]>([
    ['sum above 1', { train: 0.8, val: 0.3, test: 0.1 }],
    ['sum below 1', { train: 0.5, val: 0.1, test: 0.1 }],
    ['a negative fraction', { train: 1.1, val: -0.1, test: 0 }],
    ['NaN', { train: Number.NaN, val: 0.5, test: 0.5 }],
  ])('rejects %s, naming the allowed range', (_name, fractions) => {
    const err = thrown(() => seededSplitByImage(names(10), 1, fractions));
    expect(err.code).toBe('bad-fractions');
    expect(err.message).toMatch(/must each be in \[0, 1\] and sum to 1 \(±1e-6\); found train .* \+ val .* \+ test .* = /);
  });

  it('accepts a sum within 1e-6 of 1', () => {
    expect(seededSplitByImage(names(10), 1, { train: 0.7, val: 0.2, test: 0.1000005 }).size).toBe(10);
  });
});

describe('assignSplits', () => {
  const images = names(20);
  const lists = new Map<string, Split>([
    [images[0], 'val'],
    [images[1], 'test'],
    ['not-in-folder.jpg', 'test'],
  ]);
  const perCaption = new Map<string, Split>(images.slice(0, 18).map((n, i) => [n, i < 2 ? 'test' : 'train']));

  it.each([
    ['split lists win over everything', { lists, perCaption, seed: 1 }, 'split-lists', { train: 18, val: 1, test: 1 }, 18],
    ['caption column when there are no lists', { perCaption, seed: 1 }, 'caption-column', { train: 18, val: 0, test: 2 }, 2],
    [
      'empty lists count as absent',
      { lists: new Map<string, Split>(), perCaption, seed: 1 },
      'caption-column',
      { train: 18, val: 0, test: 2 },
      2,
    ],
    ['seeded otherwise', { seed: 1 }, 'seeded', { train: 16, val: 2, test: 2 }, 0],
    ['seeded with fractions', { seed: 1, fractions: { train: 0.5, val: 0.25, test: 0.25 } }, 'seeded', { train: 10, val: 5, test: 5 }, 0],
  ] as const)('%s', (_name, opts, source, counts, notInLists) => {
    const result = assignSplits(images, opts);
    expect(result.source).toBe(source);
    expect(result.counts).toEqual(counts);
    expect(result.notInLists).toBe(notInLists);
    expect(result.split.size).toBe(images.length);
    expect(result.split.has('not-in-folder.jpg')).toBe(false);
  });

  it('images the lists do not name go to train', () => {
    const { split } = assignSplits(images, { lists, seed: 1 });
    expect([split.get(images[0]), split.get(images[1]), split.get(images[19])]).toEqual(['val', 'test', 'train']);
  });
});

describe('captionSplits', () => {
  it('maps each image to its split and skips records without one', () => {
    const map = captionSplits([
      { image: 'a.jpg', split: 'val', line: 2 },
      { image: 'a.jpg', split: 'val', line: 3 },
      { image: 'b.jpg', line: 4 },
    ]);
    expect([...map]).toEqual([['a.jpg', 'val']]);
  });

  it('throws when captions of one image disagree, naming both lines', () => {
    const err = thrown(() =>
      captionSplits(
        [
          { image: 'a.jpg', split: 'val', line: 2 },
          { image: 'a.jpg', split: 'test', line: 9 },
        ],
        'data.csv',
      ),
    );
    expect(err.code).toBe('conflict');
    expect(err.message).toBe('data.csv line 9: a.jpg is in split test, but line 2 puts it in val; an image may be in only one split');
  });
});
