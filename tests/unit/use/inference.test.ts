import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides } from '../../../src/config';
import { Tokenizer } from '../../../src/data/tokenizer';
import { ClipModel } from '../../../src/model/clip';
import { embedImages, embedTexts, scorePair } from '../../../src/use/inference';
import { resizeImages } from '../../../src/train/pixels';
import { syntheticSet } from '../train/fixtures';

const data = syntheticSet({ images: 5, size: 32 });
const tokenizer = Tokenizer.build(
  data.captions.map((c) => c.text),
  { maxVocab: 100, minCount: 1 },
);
const D = 16;
const texts = ['a red dog', 'a blue car', 'nothing known here'];

function withModel(matchHidden: number, fn: (m: ClipModel) => Promise<void>) {
  return async () => {
    const model = ClipModel.create(withOverrides('tiny', { embedDim: D, matchHidden }), tokenizer.size);
    const before = tf.memory().numTensors;
    await fn(model);
    expect(tf.memory().numTensors).toBe(before); // every helper disposes what it makes
    model.dispose();
  };
}

function dot(a: Float32Array, i: number, b: Float32Array, j: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) s += a[i * D + k] * b[j * D + k];
  return s;
}

describe('inference helpers', () => {
  it(
    'embedImages: unit rows, the same in any batch size',
    withModel(8, async (model) => {
      const all = await embedImages(model, data.pixels, 32, 5, 2);
      expect(all).toHaveLength(5 * D);
      for (let i = 0; i < 5; i++) expect(dot(all, i, all, i)).toBeCloseTo(1, 5);
      const one = await embedImages(model, data.pixels, 32, 5, 64);
      one.forEach((v, i) => expect(v).toBeCloseTo(all[i], 6));
    }),
  );

  it(
    "embedImages resizes pixels of another size to the model's",
    withModel(8, async (model) => {
      const big = resizeImages(data.pixels, 5, 32, 64);
      const fromBig = await embedImages(model, big, 64, 5);
      const direct = await embedImages(model, resizeImages(big, 5, 64, 32), 32, 5);
      fromBig.forEach((v, i) => expect(v).toBeCloseTo(direct[i], 6));
    }),
  );

  it(
    'embedTexts: unit rows in order',
    withModel(8, async (model) => {
      const e = await embedTexts(model, tokenizer, texts, 2);
      expect(e).toHaveLength(3 * D);
      const single = await embedTexts(model, tokenizer, [texts[1]]);
      single.forEach((v, k) => expect(v).toBeCloseTo(e[D + k], 6));
    }),
  );

  it(
    'scorePair: cosine of the two embeddings and a probability',
    withModel(8, async (model) => {
      const pixels = data.pixels.subarray(0, 32 * 32 * 3);
      const { probability, cosine } = await scorePair(model, tokenizer, pixels, 32, texts[0]);
      const [u, v] = [await embedImages(model, pixels, 32, 1), await embedTexts(model, tokenizer, [texts[0]])];
      expect(cosine).toBeCloseTo(dot(u, 0, v, 0), 5);
      expect(probability! > 0 && probability! < 1).toBe(true);
    }),
  );

  it(
    'scorePair without a classifier gives probability null',
    withModel(0, async (model) => {
      const { probability } = await scorePair(model, tokenizer, data.pixels.subarray(0, 32 * 32 * 3), 32, texts[0]);
      expect(probability).toBeNull();
    }),
  );
});
