// A refused model file's message says each fact once (issue 10: "The file is empty (0 bytes): the
// file is empty (0 bytes)", "made by a newer CLIP Lab: made by a newer CLIP Lab: …").
import { describe, expect, it } from 'vitest';
import { importProblem } from '../../../src/ui/use/importProblem';

describe('importProblem', () => {
  it.each([
    ['empty', 'the file is empty (0 bytes)', 'The file is empty (0 bytes)'],
    [
      'version-too-new',
      'made by a newer CLIP Lab: format version 99, this lab reads up to 1',
      'Made by a newer CLIP Lab: format version 99, this lab reads up to 1',
    ],
    [
      'bad-header',
      'metadata \'created_at\': expected an ISO 8601 time, found "yesterday"',
      'The file header is malformed: metadata \'created_at\': expected an ISO 8601 time, found "yesterday"',
    ],
    [
      'shape-mismatch',
      "tensor 'proj.image.kernel': expected shape [32, 32], found [16, 32]",
      "A weight in the file has the wrong shape: tensor 'proj.image.kernel': expected shape [32, 32], found [16, 32]",
    ],
    ['truncated', 'The file is truncated: expected 8 bytes', 'The file is truncated: expected 8 bytes'],
    [undefined, 'something else', 'Something else'],
  ])('%s', (code, message, shown) => {
    expect(importProblem(code, message)).toBe(shown);
  });

  it('never repeats a phrase of five words', () => {
    const cases: [string, string][] = [
      ['empty', 'the file is empty (0 bytes)'],
      ['version-too-new', 'made by a newer CLIP Lab: checkpoint version 9'],
    ];
    for (const [code, msg] of cases) {
      const words = importProblem(code, msg).toLowerCase().split(/\W+/).filter(Boolean);
      const grams = words.slice(0, -4).map((_, i) => words.slice(i, i + 5).join(' '));
      expect(new Set(grams).size).toBe(grams.length);
    }
  });
});
