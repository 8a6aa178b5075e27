// Train/val/test assignment BY IMAGE: from official split lists (Flickr_8k.trainImages.txt …),
// from a split column in the caption file, or a seeded shuffle with exact per-split counts.
import { LabError } from '../errors';
import { mulberry32, shuffleInPlace } from './random';
import { baseName } from './sniff';
import { SPLITS, type Split } from './types';

export type SplitErrorCode = 'conflict' | 'not-a-split-list' | 'bad-fractions';

export class SplitError extends LabError<SplitErrorCode> {
  override readonly name = 'SplitError';
}

const SPLIT_LIST = /^flickr_?\d+k\.(train|dev|val|test)images\.txt$/i;

/** Flickr_8k.trainImages.txt / devImages / testImages, in any directory, any case. */
export function isSplitListFile(path: string): boolean {
  return SPLIT_LIST.test(baseName(path));
}

function splitOfListFile(path: string): Split {
  const m = SPLIT_LIST.exec(baseName(path));
  if (!m) {
    throw new SplitError(
      'not-a-split-list',
      `${path}: expected a split list named like Flickr_8k.trainImages.txt, devImages or testImages`,
    );
  }
  const kind = m[1].toLowerCase();
  return kind === 'dev' ? 'val' : (kind as Split);
}

/** Image base name -> split from the official lists ('dev' -> 'val'); a name in two lists is an error. */
export function parseSplitLists(files: { file: string; text: string }[]): Map<string, Split> {
  const split = new Map<string, Split>();
  const seenAt = new Map<string, { file: string; line: number }>();
  for (const { file, text } of files) {
    const s = splitOfListFile(file);
    const lines = text.replace(/^\uFEFF/, '').split(/\r\n?|\n/);
    lines.forEach((raw, i) => {
      const name = baseName(raw);
      if (name === '') return;
      const prev = seenAt.get(name);
      if (prev && split.get(name) !== s) {
        throw new SplitError(
          'conflict',
          `${file} line ${i + 1}: ${name} is also listed in ${prev.file} line ${prev.line}; an image may be in only one split`,
        );
      }
      if (!prev) seenAt.set(name, { file, line: i + 1 });
      split.set(name, s);
    });
  }
  return split;
}

export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export const DEFAULT_SPLIT: SplitFractions = Object.freeze({ train: 0.8, val: 0.1, test: 0.1 });

/** Throws SplitError('bad-fractions') unless each fraction is in [0, 1] and they sum to 1 ± 1e-6. */
export function validateFractions(f: SplitFractions): void {
  const sum = f.train + f.val + f.test;
  const bad = SPLITS.find((s) => !Number.isFinite(f[s]) || f[s] < 0 || f[s] > 1);
  if (bad !== undefined || !(Math.abs(sum - 1) <= 1e-6)) {
    throw new SplitError(
      'bad-fractions',
      `split fractions must each be in [0, 1] and sum to 1 (±1e-6); found train ${f.train} + val ${f.val} + test ${f.test} = ${sum}`,
    );
  }
}

/** Exact image counts per split: val and test get round(n * fraction), train the rest. */
export function splitCounts(n: number, f: SplitFractions): Record<Split, number> {
  const val = Math.min(n, Math.round(n * f.val));
  const test = Math.min(n - val, Math.round(n * f.test));
  return { train: n - val - test, val, test };
}

/**
 * Seeded split by image: the distinct names are sorted (so input order does not matter),
 * shuffled with mulberry32(seed), then cut into exact counts (see splitCounts).
 */
export function seededSplitByImage(imageNames: string[], seed: number, fractions: SplitFractions = DEFAULT_SPLIT): Map<string, Split> {
  validateFractions(fractions);
  const names = [...new Set(imageNames)].sort();
  shuffleInPlace(names, mulberry32(seed));
  const counts = splitCounts(names.length, fractions);
  const split = new Map<string, Split>();
  names.forEach((name, i) => {
    split.set(name, i < counts.train ? 'train' : i < counts.train + counts.val ? 'val' : 'test');
  });
  return split;
}

export interface SplitAssignment {
  split: Map<string, Split>;
  source: 'split-lists' | 'caption-column' | 'seeded';
  counts: Record<Split, number>;
  /** Images the chosen source (split lists or caption column) does not name; they go to 'train'. */
  notInLists: number;
}

/**
 * Picks the split source in order of authority: official lists, then a split column in the
 * caption file, then a seeded shuffle. Empty maps count as absent.
 */
export function assignSplits(
  imageNames: string[],
  opts: { lists?: Map<string, Split>; perCaption?: Map<string, Split>; seed: number; fractions?: SplitFractions },
): SplitAssignment {
  const names = [...new Set(imageNames)];
  const given = opts.lists?.size ? opts.lists : opts.perCaption?.size ? opts.perCaption : undefined;
  const source = opts.lists?.size ? 'split-lists' : given ? 'caption-column' : 'seeded';
  let split: Map<string, Split>;
  let notInLists = 0;
  if (given) {
    split = new Map();
    for (const name of names) {
      const s = given.get(name);
      if (s === undefined) notInLists++;
      split.set(name, s ?? 'train');
    }
  } else {
    split = seededSplitByImage(names, opts.seed, opts.fractions);
  }
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const s of split.values()) counts[s]++;
  return { split, source, counts, notInLists };
}

/**
 * Image -> split from caption records that carry a split column. Images whose captions
 * disagree are an error naming both lines.
 */
export function captionSplits(records: { image: string; split?: Split; line: number }[], file = 'captions'): Map<string, Split> {
  const split = new Map<string, Split>();
  const firstLine = new Map<string, number>();
  for (const r of records) {
    if (r.split === undefined) continue;
    const prev = split.get(r.image);
    if (prev !== undefined && prev !== r.split) {
      throw new SplitError(
        'conflict',
        `${file} line ${r.line}: ${r.image} is in split ${r.split}, but line ${firstLine.get(r.image)} puts it in ${prev}; an image may be in only one split`,
      );
    }
    if (prev === undefined) {
      split.set(r.image, r.split);
      firstLine.set(r.image, r.line);
    }
  }
  return split;
}
