// Choosing among several caption files in one folder, and which names count as candidates.
import { describe, expect, it } from 'vitest';
import { CaptionParseError, chooseCaptionFile, isCaptionFileCandidate, isLemmatised } from '../../../src/data/captions';

const token = (n: number, word = 'dog') =>
  Array.from({ length: n }, (_, i) => `${Math.floor(i / 5)}.jpg#${i % 5}\tA ${word} runs .`).join('\n');
const csv = (n: number) => ['image,caption', ...Array.from({ length: n }, (_, i) => `${Math.floor(i / 5)}.jpg,A dog runs .`)].join('\n');

describe('isCaptionFileCandidate', () => {
  it.each([
    ['captions.txt', true],
    ['flickr8k/Flickr8k_text/Flickr8k.token.txt', true],
    ['Flickr8k.lemma.token.txt', true],
    ['results.csv', true],
    ['pairs.TSV', true],
    ['annotations/captions_train2014.json', true],
    ['data.jsonl', true],
    ['Flickr_8k.trainImages.txt', false],
    ['Flickr8k_text/Flickr_8k.devImages.txt', false],
    ['FLICKR_8K.TESTIMAGES.TXT', false],
    ['readme.txt', false],
    ['Flickr8k_text/ExpertAnnotations.txt', false],
    ['CrowdFlowerAnnotations.txt', false],
    ['__MACOSX/data/._captions.txt', false],
    ['._captions.txt', false],
    ['Images/1000268201_693b08cb0e.jpg', false],
    ['captions.txt.zip', false],
    ['model.bin', false],
  ])('%s -> %s', (path, expected) => {
    expect(isCaptionFileCandidate(path)).toBe(expected);
  });
});

describe('isLemmatised', () => {
  it.each([
    ['Flickr8k.lemma.token.txt', true],
    ['text/Flickr8k.lemma.token.txt', true],
    ['Flickr8k.token.txt', false],
    ['dilemma.csv', false],
  ])('%s -> %s', (file, expected) => {
    expect(isLemmatised(file)).toBe(expected);
  });
});

describe('chooseCaptionFile', () => {
  it.each([
    ['the only file', [{ file: 'captions.txt', text: csv(10) }], 'captions.txt', /^the only caption file \(10 captions, Flickr8k CSV/, []],
    [
      'most captions wins',
      [
        { file: 'small.txt', text: token(5) },
        { file: 'captions.txt', text: csv(10) },
      ],
      'captions.txt',
      /^most captions \(10 captions/,
      [['small.txt', /^fewer captions \(5 vs 10 in captions\.txt\)$/]],
    ],
    [
      'the natural token file over the (larger) lemmatised one',
      [
        { file: 'Flickr8k.lemma.token.txt', text: token(12, 'dog run') },
        { file: 'Flickr8k.token.txt', text: token(10) },
      ],
      'Flickr8k.token.txt',
      /natural captions preferred over the lemmatised Flickr8k\.lemma\.token\.txt$/,
      [['Flickr8k.lemma.token.txt', /^lemmatised captions \(12 captions, .*\); Flickr8k\.token\.txt has the natural sentences$/]],
    ],
    [
      'same count: preferred format (Kaggle CSV over generic JSONL)',
      [
        { file: 'a.jsonl', text: Array.from({ length: 10 }, (_, i) => JSON.stringify({ image: `${i}.jpg`, caption: 'x' })).join('\n') },
        { file: 'captions.txt', text: csv(10) },
      ],
      'captions.txt',
      /^preferred format among files with 10 captions \(Flickr8k CSV/,
      [['a.jsonl', /^same number of captions; Flickr8k CSV .* is preferred$/]],
    ],
    [
      'files that fail are listed with their error',
      [
        { file: 'notes.txt', text: 'hello world' },
        { file: 'empty.csv', text: '' },
        { file: 'captions.txt', text: csv(3) },
      ],
      'captions.txt',
      /^the only caption file that parsed \(3 captions/,
      [
        ['notes.txt', /^not usable: notes\.txt line 1: expected a caption file/],
        ['empty.csv', /^not usable: empty\.csv: file is empty$/],
      ],
    ],
  ] as const)('%s', (_name, files, chosen, reason, others) => {
    const choice = chooseCaptionFile([...files]);
    expect(choice.chosen.file).toBe(chosen);
    expect(choice.reason).toMatch(reason);
    expect(choice.others.map((o) => o.file)).toEqual(others.map((o) => o[0]));
    choice.others.forEach((o, i) => expect(o.reason).toMatch(others[i][1]));
  });

  it.each([
    ['no files', []],
    [
      'only unusable files',
      [
        { file: 'a.txt', text: 'hello' },
        { file: 'b.csv', text: '' },
      ],
    ],
  ])('throws unknown-format when %s', (_name, files) => {
    let caught: unknown;
    try {
      chooseCaptionFile(files);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CaptionParseError);
    expect((caught as CaptionParseError).code).toBe('unknown-format');
    expect((caught as CaptionParseError).message).toMatch(/no caption file could be parsed/);
  });
});
