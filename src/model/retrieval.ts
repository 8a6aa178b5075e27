// Retrieval and zero-shot classification over L2-normalised embeddings in plain typed-array math:
// cosine similarity is a dot product, top-k uses a k-sized heap, softmax is numerically stable.
import { LabError } from '../errors';

export interface Ranked {
  index: number; // row of the matrix
  score: number; // cosine similarity (dot product of normalised rows)
}

export type RetrievalErrorCode = 'bad-dim' | 'bad-length' | 'bad-k' | 'bad-value';

/** Bad arguments to a retrieval function; `message` says what was expected and what was found. */
export class RetrievalError extends LabError<RetrievalErrorCode> {
  override readonly name = 'RetrievalError';
}

export const DEFAULT_PROMPT_TEMPLATE = 'a photo of a {}';
const PLACEHOLDER = '{}';

/**
 * The k rows of `matrix` ([N, dim], row-major) most similar to `query` ([dim]), best first.
 * Ties keep the lower index first; k is clipped to N. One pass with a k-sized min-heap:
 * O(N·dim + N·log k), no sort of all N scores.
 */
export function topK(query: Float32Array, matrix: Float32Array, dim: number, k: number): Ranked[] {
  const n = rowCount('topK', query, matrix, dim);
  if (!Number.isInteger(k) || k < 0) {
    throw new RetrievalError('bad-k', `topK: expected k to be an integer >= 0, found ${k}`);
  }
  const size = Math.min(k, n);
  if (size === 0) return [];
  const heap = new TopHeap(size);
  for (let row = 0; row < n; row++) heap.offer(row, dot(query, matrix, row * dim, dim));
  return heap.sorted();
}

/**
 * Zero-shot label probabilities for one image: softmax(exp(logitScale) · cos) over the labels.
 * `logitScale` is in log space, as CLIP's learnt `logit_scale`; labelEmbeddings is [L, dim].
 */
export function zeroShot(imageEmbedding: Float32Array, labelEmbeddings: Float32Array, dim: number, logitScale: number): Float32Array {
  const labels = rowCount('zeroShot', imageEmbedding, labelEmbeddings, dim);
  if (!Number.isFinite(logitScale)) {
    throw new RetrievalError('bad-value', `zeroShot: expected a finite logitScale (log space), found ${logitScale}`);
  }
  const scale = Math.exp(logitScale);
  const logits = new Float64Array(labels); // [L]
  for (let i = 0; i < labels; i++) logits[i] = scale * dot(imageEmbedding, labelEmbeddings, i * dim, dim);
  return softmax(logits);
}

/**
 * Numerically stable softmax (shifted by the max). +Infinity logits share all the mass; if every
 * logit is -Infinity the result is uniform. NaN logits are refused.
 */
export function softmax(logits: Float32Array | Float64Array): Float32Array {
  const out = new Float32Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) {
      throw new RetrievalError('bad-value', `softmax: expected numbers, found NaN at index ${i}`);
    }
    if (logits[i] > max) max = logits[i];
  }
  if (max === -Infinity || max === Infinity) {
    // Uniform over the logits equal to max: all of them when every logit is -Infinity.
    let hits = 0;
    for (let i = 0; i < logits.length; i++) hits += logits[i] === max ? 1 : 0;
    for (let i = 0; i < logits.length; i++) out[i] = logits[i] === max ? 1 / hits : 0;
    return out;
  }
  const exps = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    exps[i] = Math.exp(logits[i] - max);
    sum += exps[i];
  }
  for (let i = 0; i < logits.length; i++) out[i] = exps[i] / sum;
  return out;
}

/**
 * Fills a CLIP-style prompt: every '{}' becomes the label. A template without '{}' gets the
 * label appended after a space; an empty template means DEFAULT_PROMPT_TEMPLATE.
 */
export function fillPromptTemplate(template: string, label: string): string {
  const t = template.trim() === '' ? DEFAULT_PROMPT_TEMPLATE : template;
  if (t.includes(PLACEHOLDER)) return t.split(PLACEHOLDER).join(label); // no `$` patterns, unlike replace
  return `${t.trimEnd()} ${label}`;
}

/** Labels from comma-separated text (newlines also separate): trimmed, empties and repeats dropped. */
export function parseLabels(text: string): string[] {
  const labels = new Set<string>();
  for (const part of text.split(/[,\n]/)) {
    const label = part.trim();
    if (label !== '') labels.add(label);
  }
  return [...labels];
}

/** Validates a [dim] vector against a [N, dim] matrix and returns N. */
function rowCount(fn: string, vector: Float32Array, matrix: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0) {
    throw new RetrievalError('bad-dim', `${fn}: expected dim to be a positive integer, found ${dim}`);
  }
  if (vector.length !== dim) {
    throw new RetrievalError('bad-length', `${fn}: expected a vector of length dim=${dim}, found ${vector.length}`);
  }
  if (matrix.length % dim !== 0) {
    const found = `found ${matrix.length} (${Math.floor(matrix.length / dim)} rows and ${matrix.length % dim} extra)`;
    throw new RetrievalError('bad-length', `${fn}: expected a [N, ${dim}] matrix, ${found}`);
  }
  return matrix.length / dim;
}

function dot(a: Float32Array, m: Float32Array, offset: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[j] * m[offset + j];
  return s;
}

/**
 * Fixed-capacity min-heap keeping the best `capacity` (score, index) pairs; its root is the worst
 * kept. Rows are offered in increasing index, so an equal score never displaces a kept row:
 * ties resolve to the lower index. A NaN score ranks last and is reported as -Infinity.
 */
class TopHeap {
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.indices = new Int32Array(capacity);
  }

  offer(index: number, rawScore: number): void {
    const score = Number.isNaN(rawScore) ? -Infinity : rawScore;
    if (this.size < this.capacity) {
      this.scores[this.size] = score;
      this.indices[this.size] = index;
      this.siftUp(this.size++);
    } else if (score > this.scores[0]) {
      this.scores[0] = score;
      this.indices[0] = index;
      this.siftDown(0);
    }
  }

  /** Best first: higher score, then lower index. */
  sorted(): Ranked[] {
    const out: Ranked[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.indices[i], score: this.scores[i] });
    return out.sort((a, b) => (a.score === b.score ? a.index - b.index : b.score - a.score));
  }

  /** True when slot i ranks below slot j (lower score, or equal score and higher index). */
  private worse(i: number, j: number): boolean {
    const a = this.scores[i];
    const b = this.scores[j];
    return a < b || (a === b && this.indices[i] > this.indices[j]);
  }

  private swap(i: number, j: number): void {
    [this.scores[i], this.scores[j]] = [this.scores[j], this.scores[i]];
    [this.indices[i], this.indices[j]] = [this.indices[j], this.indices[i]];
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < this.size && this.worse(left, worst)) worst = left;
      if (right < this.size && this.worse(right, worst)) worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }
}
