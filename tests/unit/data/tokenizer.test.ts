import { describe, expect, it } from 'vitest';
import { PAD_ID, Tokenizer, TokenizerError, UNK_ID, tokenize } from '../../../src/data/tokenizer';

describe('tokenize', () => {
  it.each([
    ['A dog runs.', ['a', 'dog', 'runs']],
    ["The dog's ball, 2 KIDS!", ['the', "dog's", 'ball', '2', 'kids']],
    ["  'quoted'  words-with-dashes ", ['quoted', 'words', 'with', 'dashes']],
    ['Café naïve', ['café', 'naïve']],
    ['', []],
    ['?!', []],
  ])('%j', (text, words) => {
    expect(tokenize(text)).toEqual(words);
  });
});

describe('Tokenizer.build', () => {
  const captions = ['a dog runs', 'a dog jumps', 'a cat sits', 'the cat runs', 'zebra'];

  it('puts PAD and UNK first, then words by count, ties alphabetical', () => {
    const t = Tokenizer.build(captions, { maxVocab: 100, minCount: 1 });
    expect(t.vocab).toEqual(['<pad>', '<unk>', 'a', 'cat', 'dog', 'runs', 'jumps', 'sits', 'the', 'zebra']);
  });

  it('drops words below minCount and caps the size', () => {
    expect(Tokenizer.build(captions, { maxVocab: 100, minCount: 2 }).vocab).toEqual(['<pad>', '<unk>', 'a', 'cat', 'dog', 'runs']);
    expect(Tokenizer.build(captions, { maxVocab: 4, minCount: 1 }).vocab).toEqual(['<pad>', '<unk>', 'a', 'cat']);
  });

  it('is deterministic whatever the caption order', () => {
    const a = Tokenizer.build(captions, { maxVocab: 100, minCount: 1 }).vocab;
    const b = Tokenizer.build([...captions].reverse(), { maxVocab: 100, minCount: 1 }).vocab;
    expect(a).toEqual(b);
  });

  it.each([
    [{ maxVocab: 1, minCount: 1 }, /maxVocab: expected an integer >= 2/],
    [{ maxVocab: 10, minCount: 0 }, /minCount: expected an integer >= 1, found 0/],
  ])('rejects bad options %j', (opts, message) => {
    expect(() => Tokenizer.build(captions, opts)).toThrow(message);
  });
});

describe('encode', () => {
  const t = Tokenizer.fromVocab(['<pad>', '<unk>', 'a', 'dog', 'runs']);

  it('maps words to ids, unknown words to UNK and pads with PAD', () => {
    expect([...t.encode('A dog flies', 5)]).toEqual([2, 3, UNK_ID, PAD_ID, PAD_ID]);
  });

  it('truncates to maxLen', () => {
    expect([...t.encode('a dog runs a dog', 3)]).toEqual([2, 3, 4]);
  });

  it('encodeBatch gives [B, T] float32 ids equal to encode', () => {
    const batch = t.encodeBatch(['a dog', 'runs runs runs runs'], 3);
    expect(batch).toBeInstanceOf(Float32Array);
    expect([...batch]).toEqual([2, 3, 0, 4, 4, 4]);
  });
});

describe('Tokenizer.fromVocab', () => {
  it('round-trips a built vocab', () => {
    const built = Tokenizer.build(['b a', 'a'], { maxVocab: 10, minCount: 1 });
    expect(Tokenizer.fromVocab(built.vocab).vocab).toEqual(built.vocab);
    expect(built.size).toBe(4);
  });

  it.each([
    [['a', '<unk>'], /expected '<pad>' at 0 and '<unk>' at 1/],
    [['<pad>', '<unk>', 'a', 'a'], /vocab\[3\]: duplicate word 'a'/],
    [['<pad>', '<unk>', ''], /vocab\[2\]: expected a non-empty string/],
  ])('rejects %j', (vocab, message) => {
    expect(() => Tokenizer.fromVocab(vocab)).toThrow(TokenizerError);
    expect(() => Tokenizer.fromVocab(vocab)).toThrow(message);
  });
});
