// topK, zeroShot and softmax against hand-worked embeddings and a naive full-sort reference;
// prompt templates and label parsing as tables.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import {
  fillPromptTemplate,
  parseLabels,
  RetrievalError,
  softmax,
  topK,
  zeroShot,
  type Ranked,
  type RetrievalErrorCode,
} from '../../../src/model/retrieval';

const f32 = (...v: number[]) => new Float32Array(v);

// dim = 2, five unit rows; cosines with the query [1, 0] are the first coordinates.
const QUERY = f32(1, 0);
const ROWS = f32(0.6, 0.8, /**/ 1, 0, /**/ 0, 1, /**/ -1, 0, /**/ 0.8, 0.6); // cos: 0.6, 1, 0, -1, 0.8

function scoresOf(ranked: Ranked[]): number[] {
  return ranked.map((r) => Number(r.score.toFixed(6)));
}

function naiveTopK(query: Float32Array, matrix: Float32Array, dim: number, k: number): Ranked[] {
  const all: Ranked[] = [];
  for (let i = 0; i < matrix.length / dim; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += query[j] * matrix[i * dim + j];
    all.push({ index: i, score: s });
  }
  return all.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
}

function normalisedRows(n: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const m = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (m[i * dim + j] = random() * 2 - 1) ** 2;
    for (let j = 0; j < dim; j++) m[i * dim + j] /= Math.sqrt(norm);
  }
  return m;
}

describe('topK', () => {
  it.each<[number, number[], number[]]>([
    [1, [1], [1]],
    [3, [1, 4, 0], [1, 0.8, 0.6]],
    [5, [1, 4, 0, 2, 3], [1, 0.8, 0.6, 0, -1]],
    [10, [1, 4, 0, 2, 3], [1, 0.8, 0.6, 0, -1]], // k > N is clipped to N
    [0, [], []],
  ])('k=%i on hand-worked rows gives indices %j with scores %j', (k, indices, scores) => {
    const ranked = topK(QUERY, ROWS, 2, k);
    expect(ranked.map((r) => r.index)).toEqual(indices);
    expect(scoresOf(ranked)).toEqual(scores);
  });

  it.each<[number, number[]]>([
    [1, [1]],
    [2, [1, 2]],
    [3, [1, 2, 4]],
    [5, [1, 2, 4, 0, 3]],
  ])('breaks ties by lower index first (k=%i → %j)', (k, indices) => {
    // cos with [1, 0]: 0, 1, 1, 0, 1 — three rows tie at 1, two at 0.
    const rows = f32(0, 1, /**/ 1, 0, /**/ 1, 0, /**/ 0, 1, /**/ 1, 0);
    expect(topK(QUERY, rows, 2, k).map((r) => r.index)).toEqual(indices);
  });

  it('handles an empty matrix', () => {
    expect(topK(QUERY, f32(), 2, 3)).toEqual([]);
  });

  it.each([1, 5, 10, 100, 8000])('matches a naive full sort for N=8000, dim=256, k=%i', (k) => {
    const dim = 256;
    const matrix = normalisedRows(8000, dim, 1);
    const query = normalisedRows(1, dim, 2);
    const got = topK(query, matrix, dim, k);
    const want = naiveTopK(query, matrix, dim, k);
    expect(got.map((r) => r.index)).toEqual(want.map((r) => r.index));
    got.forEach((r, i) => expect(r.score).toBeCloseTo(want[i].score, 9));
  });

  it('ranks a NaN score last instead of corrupting the order', () => {
    const rows = f32(NaN, 0, /**/ 0.5, 0, /**/ 1, 0);
    expect(topK(QUERY, rows, 2, 3).map((r) => r.index)).toEqual([2, 1, 0]);
  });

  it.each<[string, () => unknown, RetrievalErrorCode, RegExp]>([
    ['a query longer than dim', () => topK(f32(1, 0, 0), ROWS, 2, 1), 'bad-length', /length dim=2, found 3/],
    [
      'a matrix that is not [N, dim]',
      () => topK(QUERY, f32(1, 0, 1), 2, 1),
      'bad-length',
      /\[N, 2\] matrix, found 3 \(1 rows and 1 extra\)/,
    ],
    ['dim 0', () => topK(f32(), f32(), 0, 1), 'bad-dim', /positive integer, found 0/],
    ['a fractional dim', () => topK(QUERY, ROWS, 1.5, 1), 'bad-dim', /found 1.5/],
    ['a negative k', () => topK(QUERY, ROWS, 2, -1), 'bad-k', /integer >= 0, found -1/],
    ['a fractional k', () => topK(QUERY, ROWS, 2, 2.5), 'bad-k', /found 2.5/],
  ])('throws on %s', (_, call, code, message) => {
    expect(call).toThrow(RetrievalError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (error) {
      expect((error as RetrievalError).code).toBe(code);
    }
  });
});

describe('zeroShot', () => {
  // Image [1, 0] against labels [1, 0], [0, 1], [-1, 0]: cosines 1, 0, -1.
  const LABELS = f32(1, 0, /**/ 0, 1, /**/ -1, 0);

  it.each<[string, number, number[]]>([
    // exp(0) = 1: softmax(1, 0, -1) = e / (e + 1 + 1/e) ...
    ['logitScale 0 (scale 1)', 0, [0.665241, 0.244728, 0.090031]],
    // exp(ln 2) = 2: softmax(2, 0, -2) = e^2 / (e^2 + 1 + e^-2) ...
    ['logitScale ln 2 (scale 2)', Math.log(2), [0.866813, 0.11731, 0.015876]],
    // CLIP's ln(100) clamp: softmax(100, 0, -100) is one-hot to float precision
    ['logitScale ln 100 (scale 100)', Math.log(100), [1, 0, 0]],
  ])('with %s', (_, logitScale, expected) => {
    const probs = zeroShot(f32(1, 0), LABELS, 2, logitScale);
    expect(probs).toBeInstanceOf(Float32Array);
    expect(Array.from(probs, (p) => Number(p.toFixed(6)))).toEqual(expected);
  });

  it('treats logitScale as a log: ln(1/0.07) gives scale 14.29, not 2.66', () => {
    // Two labels with cosines 0.8 and 0.6: logits 11.43 and 8.57, p0 = 1 / (1 + e^-2.857) = 0.945687.
    const probs = zeroShot(f32(1, 0), f32(0.8, 0.6, /**/ 0.6, 0.8), 2, Math.log(1 / 0.07));
    expect(probs[0]).toBeCloseTo(0.945687, 5); // linear use of 2.66 would give 0.630
  });

  it('sums to 1 and is empty for no labels', () => {
    const probs = zeroShot(f32(0.6, 0.8), LABELS, 2, 1.3);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(zeroShot(f32(1, 0), f32(), 2, 1)).toEqual(new Float32Array(0));
  });

  it.each<[string, () => unknown, RetrievalErrorCode]>([
    ['an image embedding of the wrong length', () => zeroShot(f32(1, 0, 0), LABELS, 2, 0), 'bad-length'],
    ['label embeddings not [L, dim]', () => zeroShot(f32(1, 0), f32(1, 0, 0), 2, 0), 'bad-length'],
    ['a NaN logitScale', () => zeroShot(f32(1, 0), LABELS, 2, NaN), 'bad-value'],
    ['an infinite logitScale', () => zeroShot(f32(1, 0), LABELS, 2, Infinity), 'bad-value'],
  ])('throws on %s', (_, call, code) => {
    expect(call).toThrow(expect.objectContaining({ code }));
  });
});

describe('softmax', () => {
  it.each<[number[], number[]]>([
    [
      [0, 0],
      [0.5, 0.5],
    ],
    [
      [1, 0, -1],
      [0.665241, 0.244728, 0.090031],
    ],
    [
      [1000, 1000],
      [0.5, 0.5],
    ], // exp(1000) overflows without the max shift
    [
      [1000, 0],
      [1, 0],
    ],
    [
      [-1000, -1001],
      [0.731059, 0.268941],
    ], // exp(-1000) underflows without the max shift
    [
      [Infinity, 0, Infinity],
      [0.5, 0, 0.5],
    ],
    [
      [-Infinity, -Infinity],
      [0.5, 0.5],
    ],
    [
      [-Infinity, 0],
      [0, 1],
    ],
    [[], []],
  ])('softmax(%j) = %j', (logits, expected) => {
    expect(Array.from(softmax(new Float32Array(logits)), (p) => Number(p.toFixed(6)))).toEqual(expected);
  });

  it('refuses NaN', () => {
    expect(() => softmax(f32(0, NaN))).toThrow(/found NaN at index 1/);
  });
});

describe('fillPromptTemplate', () => {
  it.each([
    ['a photo of a {}', 'dog', 'a photo of a dog'],
    ['{}', 'dog', 'dog'],
    ['a {} next to another {}', 'cat', 'a cat next to another cat'],
    ['a photo of a', 'dog', 'a photo of a dog'], // no '{}': the label is appended
    ['a photo of a  ', 'dog', 'a photo of a dog'],
    ['', 'dog', 'a photo of a dog'], // empty: the default template
    ['a photo of a {}', '$& $1 $$', 'a photo of a $& $1 $$'], // no String.replace patterns
  ])('(%j, %j) → %j', (template, label, expected) => {
    expect(fillPromptTemplate(template, label)).toBe(expected);
  });
});

describe('parseLabels', () => {
  it.each<[string, string[]]>([
    ['dog, cat, bird', ['dog', 'cat', 'bird']],
    ['  dog ,cat,,  , bird,', ['dog', 'cat', 'bird']],
    ['dog, cat, dog, cat', ['dog', 'cat']],
    ['red car, Red car', ['red car', 'Red car']],
    ['dog\ncat\r\nbird', ['dog', 'cat', 'bird']],
    ['', []],
    [' , ,', []],
  ])('%j → %j', (text, expected) => {
    expect(parseLabels(text)).toEqual(expected);
  });
});
