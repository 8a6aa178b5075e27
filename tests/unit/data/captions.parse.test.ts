// Table-driven tests of every caption format: detection, records with 1-based lines, skipped
// malformed lines reported as issues, and the errors thrown for unusable files.
import { describe, expect, it } from 'vitest';
import { CaptionParseError, FORMAT_LABEL, parseCaptionFile, type CaptionFormat } from '../../../src/data/captions';

type Rec = [image: string, caption: string, line: number, split?: string];
type Iss = [line: number, message: RegExp];

const lines = (...ls: string[]) => ls.join('\n');

const COCO = JSON.stringify(
  {
    info: {},
    images: [
      { id: 1, file_name: 'COCO_val2014_000000000001.jpg' },
      { id: 2, file_name: 'val2014/COCO_val2014_000000000002.jpg' },
    ],
    annotations: [
      { image_id: 1, id: 10, caption: 'A cat on a mat.' },
      { image_id: 2, id: 11, caption: ' Two dogs, running. ' },
      { image_id: 99, id: 12, caption: 'orphan' },
      { image_id: 1, id: 13, caption: '' },
      { image_id: 2, id: 14 },
    ],
  },
  null,
  2,
);

const VALID: [name: string, file: string, text: string, format: CaptionFormat, records: Rec[], issues: Iss[]][] = [
  [
    'Kaggle Flickr8k captions.txt with quoted commas and quotes',
    'captions.txt',
    lines(
      'image,caption',
      'a.jpg,A dog runs .',
      'a.jpg,"A dog , a ball ."',
      'b.jpg,"He said ""hi"" , loudly"',
      'b.jpg,A sign reading "stop"',
    ),
    'flickr8k-csv',
    [
      ['a.jpg', 'A dog runs .', 2],
      ['a.jpg', 'A dog , a ball .', 3],
      ['b.jpg', 'He said "hi" , loudly', 4],
      ['b.jpg', 'A sign reading "stop"', 5],
    ],
    [],
  ],
  [
    'Kaggle CSV: unquoted comma, empty caption and missing image are skipped with their lines',
    'captions.txt',
    lines('image,caption', 'a.jpg,fine', 'a.jpg,a dog, running', '', 'b.jpg,', ',no image', 'c.jpg,  spaced  '),
    'flickr8k-csv',
    [
      ['a.jpg', 'fine', 2],
      ['c.jpg', 'spaced', 7],
    ],
    [
      [3, /expected `image,caption` \(2 columns\), found 3 columns/],
      [5, /empty caption for b\.jpg/],
      [6, /missing image name/],
    ],
  ],
  [
    'Kaggle CSV: a quoted multi-line caption keeps later line numbers right',
    'captions.txt',
    lines('image,caption', 'a.jpg,"two', 'lines"', 'b.jpg,x,y', 'c.jpg,ok'),
    'flickr8k-csv',
    [
      ['a.jpg', 'two\nlines', 2],
      ['c.jpg', 'ok', 5],
    ],
    [[4, /found 3 columns/]],
  ],
  [
    'Kaggle CSV: an unterminated quote is reported at the line it starts on',
    'captions.txt',
    lines('image,caption', 'a.jpg,ok', 'b.jpg,"never closed', 'c.jpg,lost', 'd.jpg,"fine"'),
    'flickr8k-csv',
    [['a.jpg', 'ok', 2]],
    [[3, /unbalanced quotes.*lines 3-5/]],
  ],
  [
    'Flickr8k.token.txt: name#k<TAB>caption, directories dropped',
    'Flickr8k.token.txt',
    lines('1000_a.jpg#0\tA child climbs .', '1000_a.jpg#1\tA girl , smiling .', 'imgs/1001_b.jpg#0\tA dog\twith a tab'),
    'flickr8k-token',
    [
      ['1000_a.jpg', 'A child climbs .', 1],
      ['1000_a.jpg', 'A girl , smiling .', 2],
      ['1001_b.jpg', 'A dog\twith a tab', 3],
    ],
    [],
  ],
  [
    'Flickr8k token: line without a tab, empty caption, empty name',
    'Flickr8k.lemma.token.txt',
    lines('1000_a.jpg#0\tA child climb .', '1000_a.jpg#1 no tab here', '1000_a.jpg#2\t   ', '#3\torphan', '1000_a.jpg#4\tlast'),
    'flickr8k-token',
    [
      ['1000_a.jpg', 'A child climb .', 1],
      ['1000_a.jpg', 'last', 5],
    ],
    [
      [2, /expected `name\.jpg#k<TAB>caption`, found no tab/],
      [3, /empty caption/],
      [4, /missing image name/],
    ],
  ],
  [
    'Flickr30k results.csv with spaces after | and in the header',
    'results.csv',
    lines('image_name| comment_number| comment', '1000092795.jpg| 0| Two young guys , with "hair" .', '1000092795.jpg| 1| A | pipe inside'),
    'flickr30k-csv',
    [
      ['1000092795.jpg', 'Two young guys , with "hair" .', 2],
      ['1000092795.jpg', 'A | pipe inside', 3],
    ],
    [],
  ],
  [
    'Flickr30k without spaces; the known broken 2-field row is an issue',
    'results.csv',
    lines(
      'image_name|comment_number|comment',
      '1.jpg|0|one',
      '2199200615.jpg| 4   A dog runs across the grass .',
      'nothing',
      '2.jpg|1|',
      '3.jpg|0|three',
    ),
    'flickr30k-csv',
    [
      ['1.jpg', 'one', 2],
      ['3.jpg', 'three', 6],
    ],
    [
      [3, /3 fields\), found 2 fields/],
      [4, /found 1 field$/],
      [5, /empty caption for 2\.jpg/],
    ],
  ],
  [
    'COCO captions JSON: unknown image id, empty and missing captions are issues naming the annotation',
    'captions_val2014.json',
    COCO,
    'coco-json',
    [
      ['COCO_val2014_000000000001.jpg', 'A cat on a mat.', 0],
      ['COCO_val2014_000000000002.jpg', 'Two dogs, running.', 0],
    ],
    [
      [0, /^annotation 2: image_id 99 is not in `images`/],
      [0, /^annotation 3: empty caption/],
      [0, /^annotation 4: expected a string `caption`, found undefined/],
    ],
  ],
  [
    'generic CSV: other column names, extra columns, split column with dev -> val',
    'data.csv',
    lines(
      'id,File_Name,Split,Description',
      '1,x/a.png,train,"red, round"',
      '2,b.png,dev,blue',
      '3,c.png,TEST,green',
      '4,d.png,,grey',
      '5,e.png,holdout,pink',
    ),
    'generic-csv',
    [
      ['a.png', 'red, round', 2, 'train'],
      ['b.png', 'blue', 3, 'val'],
      ['c.png', 'green', 4, 'test'],
      ['d.png', 'grey', 5],
      ['e.png', 'pink', 6],
    ],
    [[6, /unknown split `holdout` \(expected train, val, dev, valid, validation or test\); caption kept/]],
  ],
  [
    'generic TSV with image/text columns and a wrong-width row',
    'pairs.tsv',
    lines('image\ttext\tsplit', 'a.jpg\ta cat\tvalidation', 'b.jpg\tonly two', 'c.jpg\ta dog\tvalid'),
    'generic-tsv',
    [
      ['a.jpg', 'a cat', 2, 'val'],
      ['c.jpg', 'a dog', 4, 'val'],
    ],
    [[3, /expected `image<TAB>text<TAB>split` \(3 columns\), found 2 columns/]],
  ],
  [
    'semicolon-separated table (a spreadsheet export) with commas inside captions',
    'export.csv',
    lines('image;caption', 'a.jpg;A dog , a ball .', 'b.jpg;"quoted; with a semicolon"'),
    'generic-csv',
    [
      ['a.jpg', 'A dog , a ball .', 2],
      ['b.jpg', 'quoted; with a semicolon', 3],
    ],
    [],
  ],
  [
    'pipe-separated table with a wrong-width row',
    'pairs.txt',
    lines('file|text', 'a.jpg|a cat', 'b.jpg|a dog|extra'),
    'generic-csv',
    [['a.jpg', 'a cat', 2]],
    [[3, /expected `file\|text` \(2 columns\), found 3 columns/]],
  ],
  [
    'tab-separated table with commas in captions',
    'pairs.txt',
    lines('image\tcaption', 'a.jpg\tred, round'),
    'generic-tsv',
    [['a.jpg', 'red, round', 2]],
    [],
  ],
  [
    'JSONL: bad JSON, non-object, missing keys are issues with line numbers; captions arrays expand',
    'data.jsonl',
    lines(
      '{"image": "a.jpg", "caption": "a cat", "split": "dev"}',
      '{"image": "b.jpg", "caption": ',
      '[1,2]',
      '',
      '{"file_name": "c.jpg"}',
      '{"filepath": "d/d.jpg", "captions": ["one", "two"]}',
      '{"caption": "no image"}',
    ),
    'jsonl',
    [
      ['a.jpg', 'a cat', 1, 'val'],
      ['d.jpg', 'one', 6],
      ['d.jpg', 'two', 6],
    ],
    [
      [2, /invalid JSON/],
      [3, /expected a JSON object, found an array/],
      [5, /missing caption/],
      [7, /missing image name/],
    ],
  ],
  [
    'JSON Lines inside a file named .json',
    'captions.json',
    lines('{"image": "a.jpg", "text": "x"}', '{"image": "b.jpg", "text": "y"}'),
    'jsonl',
    [
      ['a.jpg', 'x', 1],
      ['b.jpg', 'y', 2],
    ],
    [],
  ],
  ['a one-line JSON Lines file', 'one.json', '{"image": "a.jpg", "caption": "x"}', 'jsonl', [['a.jpg', 'x', 1]], []],
];

function check(result: ReturnType<typeof parseCaptionFile>, file: string, format: CaptionFormat, records: Rec[], issues: Iss[]) {
  expect(result.format).toBe(format);
  expect(result.file).toBe(file);
  expect(result.records.map((r) => (r.split ? [r.image, r.caption, r.line, r.split] : [r.image, r.caption, r.line]))).toEqual(records);
  expect(result.issues.map((i) => i.line)).toEqual(issues.map((i) => i[0]));
  result.issues.forEach((issue, k) => {
    expect(issue.file).toBe(file);
    expect(issue.message).toMatch(issues[k][1]);
  });
}

describe('parseCaptionFile: formats', () => {
  it.each(VALID)('%s', (_name, file, text, format, records, issues) => {
    check(parseCaptionFile(file, text), file, format, records, issues);
  });
});

// Every valid case must survive a BOM, CRLF line ends and trailing blank lines unchanged.
const TRANSFORMS: [name: string, f: (t: string) => string][] = [
  ['UTF-8 BOM', (t) => `\uFEFF${t}`],
  ['CRLF line ends', (t) => t.replace(/\n/g, '\r\n')],
  ['trailing blank lines', (t) => `${t}\n\n  \n`],
  ['BOM + CRLF + trailing CRLFs', (t) => `\uFEFF${t.replace(/\n/g, '\r\n')}\r\n\r\n`],
];
const TRANSFORMED = TRANSFORMS.flatMap(([tname, f]) =>
  VALID.map(([name, file, text, format, records, issues]) => [`${tname}: ${name}`, file, f(text), format, records, issues] as const),
);

describe('parseCaptionFile: BOM, CRLF and blank lines', () => {
  it.each(TRANSFORMED)('%s', (_name, file, text, format, records, issues) => {
    // A CRLF inside a quoted caption is read as a plain newline.
    check(parseCaptionFile(file, text), file, format, records, issues);
  });
});

const FAILS: [name: string, file: string, text: string, code: CaptionParseError['code'], line: number, message: RegExp][] = [
  ['empty file', 'captions.txt', '', 'empty', 0, /^captions\.txt: file is empty$/],
  ['only a BOM and blank lines', 'captions.txt', '\uFEFF\r\n  \r\n', 'empty', 0, /file is empty/],
  ['header only', 'captions.txt', 'image,caption\n', 'empty', 0, /header `image,caption` but no caption lines/],
  ['Flickr30k header only', 'results.csv', 'image_name| comment_number| comment', 'empty', 0, /header but no caption lines/],
  [
    'plain prose',
    'notes.txt',
    'Some notes about the dataset\nmore',
    'unknown-format',
    1,
    /^notes\.txt line 1: expected a caption file .* found `Some notes about the dataset`$/,
  ],
  [
    'CSV without an image column',
    'x.csv',
    'a,b\n1,2',
    'unknown-format',
    1,
    /^x\.csv line 1: expected a header naming an image column \(image, file, .*\) and a caption column \(caption, text, .*\), found `a,b`$/,
  ],
  ['TSV without a caption column', 'x.tsv', '\n\nimage\tlabel\na.jpg\tcat', 'unknown-format', 3, /found `image<TAB>label`/],
  [
    'COCO instances file (no captions)',
    'instances_val2014.json',
    JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [{ image_id: 1, bbox: [0, 0, 1, 1] }] }),
    'malformed',
    0,
    /no usable captions: all 1 entries were skipped; first: annotation 0: expected a string `caption`/,
  ],
  [
    'JSON without images/annotations',
    'config.json',
    '{"lr": 0.1, "epochs": 3}',
    'unknown-format',
    0,
    /expected COCO captions JSON with `images` and `annotations` arrays, found keys lr, epochs/,
  ],
  ['JSON array', 'list.json', '[1, 2, 3]', 'unknown-format', 0, /found an array/],
  [
    'broken JSON names its line',
    'captions_train.json',
    '{\n  "images": [\n    {"id": 1,,}\n  ]\n}',
    'malformed',
    3,
    /^captions_train\.json line 3: invalid JSON/,
  ],
  [
    'every CSV line malformed',
    'captions.txt',
    'image,caption\na.jpg,x,y\nb.jpg,',
    'malformed',
    2,
    /^captions\.txt line 2: no usable captions: all 2 entries were skipped; first: expected `image,caption` \(2 columns\), found 3 columns$/,
  ],
  [
    'every token line malformed',
    'Flickr8k.token.txt',
    'a.jpg#0\t\nb.jpg#1\t ',
    'malformed',
    1,
    /all 2 entries were skipped; first: empty caption for a\.jpg/,
  ],
  [
    'every JSONL line malformed',
    'x.jsonl',
    '{"image": 1, "caption": "x"}\nnot json',
    'malformed',
    1,
    /expected a string `image`, found number 1/,
  ],
];

describe('parseCaptionFile: unusable files throw CaptionParseError', () => {
  it.each(FAILS)('%s', (_name, file, text, code, line, message) => {
    let caught: unknown;
    try {
      parseCaptionFile(file, text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CaptionParseError);
    const err = caught as CaptionParseError;
    expect([err.code, err.file, err.line]).toEqual([code, file, line]);
    expect(err.message).toMatch(message);
    expect(err.name).toBe('CaptionParseError');
  });
});

describe('FORMAT_LABEL', () => {
  it.each(Object.entries(FORMAT_LABEL))('%s has a human name', (_format, label) => {
    expect(label.length).toBeGreaterThan(5);
  });
});

// How fast this parses is measured by the benchmarks, not asserted here (a shared 2-core machine
// makes wall-clock limits flaky).
describe('parseCaptionFile: size', () => {
  it('parses 35,000 quoted CSV lines with the right last line number', () => {
    const body = Array.from({ length: 35_000 }, (_, i) => `${1000 + Math.floor(i / 5)}_x.jpg,"A dog , number ${i} , runs ."`);
    const text = ['image,caption', ...body].join('\n');
    const parsed = parseCaptionFile('captions.txt', text);
    expect(parsed.records).toHaveLength(35_000);
    expect(parsed.records[34_999]).toEqual({ image: '7999_x.jpg', caption: 'A dog , number 34999 , runs .', line: 35_001 });
  });
});
