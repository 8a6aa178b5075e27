// The parsers against the real Flickr8k files in ../shared/datasets (read in place, never copied).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { chooseCaptionFile, parseCaptionFile, type CaptionFormat } from '../../../src/data/captions';
import { datasetPath, describeWithData } from '../../datasets';

const read = (path: string) => readFileSync(datasetPath(path), 'utf8');

const REAL: [
  path: string,
  format: CaptionFormat,
  records: number,
  images: number,
  first: { image: string; caption: string; line: number },
][] = [
  [
    'flickr8k-224/captions.txt',
    'flickr8k-csv',
    35_000,
    7_000,
    { image: '1000268201_693b08cb0e.jpg', caption: 'A child in a pink dress is climbing up a set of stairs in an entry way .', line: 2 },
  ],
  [
    'flickr8k-originals/Flickr8k_text/Flickr8k.token.txt',
    'flickr8k-token',
    600,
    120,
    { image: '1000268201_693b08cb0e.jpg', caption: 'A child in a pink dress is climbing up a set of stairs in an entry way .', line: 1 },
  ],
];

describeWithData('flickr8k-224', 'flickr8k-originals')('real Flickr8k caption files', () => {
  it.each(REAL)('%s', (path, format, records, images, first) => {
    const file = path.split('/').pop() ?? path;
    const parsed = parseCaptionFile(file, read(path));
    expect(parsed.format).toBe(format);
    expect(parsed.issues).toEqual([]);
    expect(parsed.records).toHaveLength(records);
    expect(parsed.records[0]).toEqual(first);
    const perImage = new Map<string, number>();
    for (const r of parsed.records) perImage.set(r.image, (perImage.get(r.image) ?? 0) + 1);
    expect(perImage.size).toBe(images);
    expect(new Set(perImage.values())).toEqual(new Set([5]));
  });

  it('keeps quoted commas inside Kaggle captions and ends on line 35,001', () => {
    const parsed = parseCaptionFile('captions.txt', read('flickr8k-224/captions.txt'));
    expect(parsed.records.find((r) => r.image === '1012212859_01547e3f17.jpg' && r.caption.startsWith('A dog shakes'))?.caption).toBe(
      'A dog shakes its head near the shore , a red ball next to it .',
    );
    expect(parsed.records.at(-1)).toEqual({
      image: '997338199_7343367d7f.jpg',
      caption: 'Woman writing on a pad in room with gold , decorated walls .',
      line: 35_001,
    });
  });

  it('chooses the Kaggle file (more captions) over the token file', () => {
    const choice = chooseCaptionFile([
      { file: 'Flickr8k.token.txt', text: read('flickr8k-originals/Flickr8k_text/Flickr8k.token.txt') },
      { file: 'captions.txt', text: read('flickr8k-224/captions.txt') },
    ]);
    expect(choice.chosen.file).toBe('captions.txt');
    expect(choice.reason).toMatch(/most captions \(35,000 captions/);
    expect(choice.others).toEqual([{ file: 'Flickr8k.token.txt', reason: 'fewer captions (600 vs 35,000 in captions.txt)' }]);
  });
});
