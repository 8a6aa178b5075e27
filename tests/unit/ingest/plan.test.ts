// The pure ingestion planner: which files are images, captions, split lists or ignored; how
// captions meet images by base name; what the report says about everything that was skipped.
import { describe, expect, it } from 'vitest';
import { IngestPlanError, ingestReport, planIngest, textFilesToRead, type FolderEntry, type IngestPlan } from '../../../src/ingest/plan';

/** A folder: image paths (size 1000), plus text files with their contents. */
function folder(images: string[], texts: Record<string, string> = {}, others: string[] = []) {
  const entries: FolderEntry[] = [
    ...images.map((path) => ({ path, size: 1000 })),
    ...Object.entries(texts).map(([path, text]) => ({ path, size: text.length })),
    ...others.map((path) => ({ path, size: 10 })),
  ];
  return { entries, texts: new Map(Object.entries(texts)) };
}

const plan = (f: ReturnType<typeof folder>, seed = 42): IngestPlan => planIngest(f.entries, f.texts, seed);
const kaggle = (...rows: string[]) => ['image,caption', ...rows].join('\n');

function planError(f: ReturnType<typeof folder>): IngestPlanError {
  try {
    plan(f);
  } catch (e) {
    expect(e).toBeInstanceOf(IngestPlanError);
    return e as IngestPlanError;
  }
  throw new Error('expected an IngestPlanError, the plan succeeded');
}

describe('planIngest: matching captions to images', () => {
  it.each([
    {
      what: 'images in subfolders are matched by base name',
      f: folder(['Images/a.jpg', 'more/deep/b.png'], { 'text/captions.txt': kaggle('a.jpg,A dog.', 'b.png,A cat.', 'a.jpg,A brown dog.') }),
      images: [
        { path: 'Images/a.jpg', name: 'a.jpg', captions: ['A dog.', 'A brown dog.'] },
        { path: 'more/deep/b.png', name: 'b.png', captions: ['A cat.'] },
      ],
    },
    {
      what: 'a caption naming a path is matched by its base name',
      f: folder(['x/a.jpg'], { 'captions.csv': 'file,text\nsome/dir/a.jpg,Hello.' }),
      images: [{ path: 'x/a.jpg', name: 'a.jpg', captions: ['Hello.'] }],
    },
    {
      what: 'Flickr8k token lines (#n suffix) attach to their image',
      f: folder(['Flicker8k_Dataset/1.jpg', 'Flicker8k_Dataset/2.jpg'], {
        'Flickr8k_text/Flickr8k.token.txt': '1.jpg#0\tOne .\n1.jpg#1\tUno .\n2.jpg#0\tTwo .',
      }),
      images: [
        { path: 'Flicker8k_Dataset/1.jpg', name: '1.jpg', captions: ['One .', 'Uno .'] },
        { path: 'Flicker8k_Dataset/2.jpg', name: '2.jpg', captions: ['Two .'] },
      ],
    },
  ])('$what', ({ f, images }) => {
    const p = plan(f);
    expect(p.images.map(({ path, name, captions }) => ({ path, name, captions }))).toEqual(images);
    expect(p.missingImages).toEqual([]);
    expect(p.duplicates).toEqual([]);
  });

  it('keeps the first of duplicate base names and lists the rest', () => {
    const p = plan(folder(['a/x.jpg', 'b/x.jpg', 'c/x.jpg', 'y.jpg'], { 'captions.txt': kaggle('x.jpg,X.', 'y.jpg,Y.') }));
    expect(p.images.map((i) => i.path)).toEqual(['a/x.jpg', 'y.jpg']);
    expect(p.duplicates).toEqual(['b/x.jpg', 'c/x.jpg']);
  });

  it('lists images without captions and leaves them out of the plan', () => {
    const p = plan(folder(['a.jpg', 'b.jpg', 'c.webp'], { 'captions.txt': kaggle('b.jpg,B.') }));
    expect(p.images.map((i) => i.name)).toEqual(['b.jpg']);
    expect(p.imagesWithoutCaptions).toEqual(['a.jpg', 'c.webp']);
  });

  it('reports captions naming missing images with their file and 1-based line', () => {
    const text = kaggle('a.jpg,A.', 'gone.jpg,Gone 1.', 'a.jpg,A again.', 'gone.jpg,Gone 2.', 'lost.png,Lost.');
    const p = plan(folder(['a.jpg'], { 'captions.txt': text }));
    expect(p.missingImages).toEqual([
      { image: 'gone.jpg', file: 'captions.txt', line: 3 },
      { image: 'gone.jpg', file: 'captions.txt', line: 5 },
      { image: 'lost.png', file: 'captions.txt', line: 6 },
    ]);
    expect(p.missingImageCaptions).toBe(3);
    expect(p.missingImageNames).toBe(2);
    expect(p.images[0].captions).toEqual(['A.', 'A again.']);
  });

  it('reports a missing image by the name as the caption file wrote it', () => {
    const p = plan(folder(['a.jpg'], { 'captions.txt': kaggle('a.jpg,A.', '../../evil.jpg,Escape.', 'sub/dir/b.jpg,B.') }));
    expect(p.missingImages).toEqual([
      { image: '../../evil.jpg', file: 'captions.txt', line: 3 },
      { image: 'sub/dir/b.jpg', file: 'captions.txt', line: 4 },
    ]);
  });

  it('caps the listed missing images at 200 but counts them all', () => {
    const rows = Array.from({ length: 250 }, (_, i) => `m${i}.jpg,Missing.`);
    const p = plan(folder(['a.jpg'], { 'captions.txt': kaggle('a.jpg,A.', ...rows) }));
    expect(p.missingImages).toHaveLength(200);
    expect(p.missingImageCaptions).toBe(250);
    expect(p.missingImageNames).toBe(250);
  });

  it('carries malformed caption lines as parse issues with line numbers', () => {
    const p = plan(folder(['a.jpg'], { 'captions.txt': kaggle('a.jpg,A.', 'a.jpg,', 'a.jpg,B.') }));
    expect(p.parseIssueCount).toBe(1);
    expect(p.parseIssues[0]).toMatchObject({ file: 'captions.txt', line: 3 });
    expect(p.images[0].captions).toEqual(['A.', 'B.']);
  });
});

describe('planIngest: files that are not used', () => {
  it.each([
    ['.DS_Store', 'hidden or system file'],
    ['Images/._a.jpg', 'hidden or system file'],
    ['Thumbs.db', 'hidden or system file'],
    ['desktop.ini', 'hidden or system file'],
    ['notes.docx', 'not an image or caption file (.docx)'],
    ['archive.tar.gz', 'not an image or caption file (.gz)'],
    ['LICENSE', 'not an image or caption file'],
    ['readme.txt', 'not an image or caption file (.txt)'],
  ])('%s is ignored: %s', (path, reason) => {
    const p = plan(folder(['a.jpg'], { 'captions.txt': kaggle('a.jpg,A.') }, [path]));
    expect(p.ignored).toEqual([{ name: path, reason }]);
  });

  it('treats .svg as an image (the decoder rejects it with a reason), not as an ignored file', () => {
    const p = plan(folder(['a.jpg', 'v.svg'], { 'captions.txt': kaggle('a.jpg,A.', 'v.svg,Vector.') }));
    expect(p.images.map((i) => i.name)).toEqual(['a.jpg', 'v.svg']);
    expect(p.ignored).toEqual([]);
  });

  it('names the other caption files and why they were not used', () => {
    const p = plan(
      folder(['a.jpg', 'b.jpg'], { 'captions.txt': kaggle('a.jpg,A.', 'b.jpg,B.'), 'small.csv': 'image,caption\na.jpg,Only one.' }),
    );
    expect(p.captionFile).toBe('captions.txt');
    expect(p.otherCaptionFiles).toEqual([{ file: 'small.csv', reason: expect.stringMatching(/fewer captions \(1 vs 2/) }]);
  });
});

describe('textFilesToRead', () => {
  it('reads caption candidates and split lists, never images, READMEs or huge files', () => {
    const entries: FolderEntry[] = [
      { path: 'captions.txt', size: 100 },
      { path: 'Flickr_8k.trainImages.txt', size: 100 },
      { path: 'Images/a.jpg', size: 100 },
      { path: 'readme.txt', size: 100 },
      { path: 'huge.csv', size: 300 * 2 ** 20 },
    ];
    expect(textFilesToRead(entries).map((e) => e.path)).toEqual(['captions.txt', 'Flickr_8k.trainImages.txt']);
  });
});

describe('planIngest: splits', () => {
  const imgs = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}.jpg`);
  const caps = kaggle(...imgs.map((n) => `${n},Caption of ${n}.`));

  it('uses the official split lists, counts unlisted images (train) and listed images absent from the folder', () => {
    const f = folder(imgs, {
      'captions.txt': caps,
      'Flickr_8k.trainImages.txt': imgs.slice(0, 12).join('\n'),
      'Flickr_8k.devImages.txt': [...imgs.slice(12, 16), 'absent1.jpg'].join('\n'),
      'Flickr_8k.testImages.txt': ['absent2.jpg', 'absent3.jpg', imgs[16]].join('\n'),
    });
    const p = plan(f);
    expect(p.splitSource).toBe('split-lists');
    expect(p.splitCounts).toEqual({ train: 15, val: 4, test: 1 }); // 17, 18, 19 unlisted -> train
    expect(p.splitNotInLists).toBe(3);
    expect(p.splitListAbsent).toBe(3);
    expect(p.images.find((i) => i.name === '13.jpg')?.split).toBe('val');
    expect(p.images.find((i) => i.name === '16.jpg')?.split).toBe('test');
  });

  it('without lists, splits by a seed: same seed same split, exact 80/10/10 counts', () => {
    const a = plan(folder(imgs, { 'captions.txt': caps }), 7);
    const b = plan(folder([...imgs].reverse(), { 'captions.txt': caps }), 7);
    const c = plan(folder(imgs, { 'captions.txt': caps }), 8);
    expect(a.splitSource).toBe('seeded');
    expect(a.splitCounts).toEqual({ train: 16, val: 2, test: 2 });
    expect(a.splitListAbsent).toBe(0);
    expect(b.images.map((i) => i.split)).toEqual(a.images.map((i) => i.split));
    expect(c.images.map((i) => i.split)).not.toEqual(a.images.map((i) => i.split));
  });

  it('uses a split column in the caption file when there are no lists', () => {
    const p = plan(folder(['a.jpg', 'b.jpg'], { 'data.csv': 'image,caption,split\na.jpg,A.,test\nb.jpg,B.,val' }));
    expect(p.splitSource).toBe('caption-column');
    expect(p.images.map((i) => i.split)).toEqual(['test', 'val']);
  });
});

describe('planIngest: errors', () => {
  it.each([
    {
      what: 'no images at all',
      f: folder([], { 'captions.txt': kaggle('a.jpg,A.') }),
      code: 'no-images',
      message: /No images found among 1 files: expected \.jpg/,
    },
    {
      what: 'images but no caption file',
      f: folder(['a.jpg', 'b.jpg'], {}, ['notes.docx']),
      code: 'no-captions',
      message: /No caption file found beside 2 images/,
    },
    {
      what: 'captions that name none of the images',
      f: folder(['a.jpg'], { 'captions.txt': kaggle('zzz.jpg,Z.') }),
      code: 'no-matches',
      message: /None of the 1 captions in captions.txt names one of the 1 images .*"zzz.jpg"/,
    },
  ])('$what -> $code', ({ f, code, message }) => {
    const e = planError(f);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('a caption file in no known format fails with the file and what was found', () => {
    expect(() => plan(folder(['a.jpg'], { 'captions.txt': 'just some words' }))).toThrow(/captions.txt.*found `just some words`/);
  });

  it('an image in two split lists fails naming both', () => {
    const f = folder(['a.jpg'], {
      'captions.txt': kaggle('a.jpg,A.'),
      'Flickr_8k.trainImages.txt': 'a.jpg',
      'Flickr_8k.testImages.txt': 'a.jpg',
    });
    expect(() => plan(f)).toThrow(/a\.jpg is also listed in/);
  });
});

describe('ingestReport', () => {
  const p = plan(
    folder(['I/a.jpg', 'I/b.jpg', 'I/c.jpg', 'I/d.jpg'], {
      'captions.txt': kaggle('a.jpg,A dog.', 'b.jpg,A cat.', 'b.jpg,Two cats.', 'c.jpg,A bird.', 'x.jpg,Gone.'),
    }),
  );

  it('counts what was kept: corrupt images leave the caption, split and histogram counts', () => {
    const r = ingestReport(p, { stored: 2, corrupt: [{ name: 'I/c.jpg', reason: 'corrupt' }], processed: 3, seconds: 2 });
    expect(r).toMatchObject({
      images: 2,
      captions: 3,
      captionsPerImage: { 1: 1, 2: 1 },
      corrupt: [{ name: 'I/c.jpg', reason: 'corrupt' }],
      imagesWithoutCaptions: ['d.jpg'],
      missingImageCaptions: 1,
      imagesPerSecond: 1.5,
      seconds: 2,
    });
    expect(r.splitCounts.train + r.splitCounts.val + r.splitCounts.test).toBe(2);
  });

  it("passes the plan's accounting through unchanged", () => {
    const r = ingestReport(p, { stored: 3, corrupt: [], processed: 3, seconds: 1 });
    for (const key of [
      'format',
      'captionFile',
      'missingImages',
      'ignored',
      'duplicates',
      'parseIssues',
      'splitSource',
      'splitListAbsent',
    ] as const) {
      expect(r[key]).toEqual(p[key]);
    }
    expect(r.captions).toBe(4);
  });
});
