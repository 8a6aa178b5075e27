// Word-level tokenizer built from the TRAINING captions only: lower-case words (letters/digits,
// apostrophes kept inside words), most frequent first, PAD = 0, UNK = 1, fixed-length encoding.
import { LabError } from '../errors';

export const PAD_TOKEN = '<pad>';
export const UNK_TOKEN = '<unk>';
export const PAD_ID = 0;
export const UNK_ID = 1;

export type TokenizerErrorCode = 'bad-vocab' | 'bad-option';

export class TokenizerError extends LabError<TokenizerErrorCode> {
  override readonly name = 'TokenizerError';
}

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/** "A dog's ball, 2 kids!" -> ["a", "dog's", "ball", "2", "kids"]. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

export interface TokenizerBuildOptions {
  maxVocab: number; // including PAD and UNK
  minCount: number; // words seen fewer times become UNK
}

export class Tokenizer {
  readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(vocab: string[]) {
    this.vocab = Object.freeze(vocab);
    this.ids = new Map(vocab.map((word, id) => [word, id]));
  }

  /** Most frequent words first, ties in code-point order, so the same captions give the same vocab. */
  static build(captions: readonly string[], opts: TokenizerBuildOptions): Tokenizer {
    const { maxVocab, minCount } = opts;
    if (!Number.isInteger(maxVocab) || maxVocab < 2) {
      throw new TokenizerError('bad-option', `maxVocab: expected an integer >= 2 (PAD and UNK), found ${maxVocab}`);
    }
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new TokenizerError('bad-option', `minCount: expected an integer >= 1, found ${minCount}`);
    }
    const counts = new Map<string, number>();
    for (const caption of captions) {
      for (const word of tokenize(caption)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const words = [...counts.entries()]
      .filter(([, count]) => count >= minCount) // tokenize() never yields '<pad>' or '<unk>'
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxVocab - 2)
      .map(([word]) => word);
    return new Tokenizer([PAD_TOKEN, UNK_TOKEN, ...words]);
  }

  /** Restores a tokenizer saved as its vocab (e.g. from a checkpoint). */
  static fromVocab(vocab: readonly string[]): Tokenizer {
    if (vocab[PAD_ID] !== PAD_TOKEN || vocab[UNK_ID] !== UNK_TOKEN) {
      throw new TokenizerError(
        'bad-vocab',
        `vocab: expected '${PAD_TOKEN}' at 0 and '${UNK_TOKEN}' at 1, found ${JSON.stringify(vocab.slice(0, 2))}`,
      );
    }
    const seen = new Set<string>();
    vocab.forEach((word, id) => {
      if (typeof word !== 'string' || word.length === 0) {
        throw new TokenizerError('bad-vocab', `vocab[${id}]: expected a non-empty string, found ${JSON.stringify(word)}`);
      }
      if (seen.has(word)) throw new TokenizerError('bad-vocab', `vocab[${id}]: duplicate word '${word}'`);
      seen.add(word);
    });
    return new Tokenizer([...vocab]);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** Token ids [maxLen]: words truncated to maxLen, PAD after them, UNK for unknown words. */
  encode(text: string, maxLen: number): Int32Array {
    const out = new Int32Array(maxLen); // PAD_ID = 0
    this.encodeInto(text, out, 0, maxLen);
    return out;
  }

  /** Token ids [B, T] as float32 (whole numbers): safe to upload on webgpu, where int32 tensors are not. */
  encodeBatch(texts: readonly string[], maxLen: number): Float32Array {
    const out = new Float32Array(texts.length * maxLen);
    texts.forEach((text, b) => this.encodeInto(text, out, b * maxLen, maxLen));
    return out;
  }

  private encodeInto(text: string, out: Int32Array | Float32Array, offset: number, maxLen: number): void {
    const words = tokenize(text);
    const n = Math.min(words.length, maxLen);
    for (let t = 0; t < n; t++) out[offset + t] = this.ids.get(words[t]) ?? UNK_ID;
  }
}
