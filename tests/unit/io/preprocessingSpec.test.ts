// The model file's `preprocessing` for a backbone run describes what Use feeds the backbone (its
// input size, decoded straight to it, its value range), not the CNN's imageSize; a CNN run's is
// unchanged; the first backbone files (the CNN's imageSize, 0..1) are still read; others are refused.
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../../src/io/errors';
import { parsePreprocessing, preprocessingSpec } from '../../../src/io/modelFileMetadata';

const text = { maxTokens: 12, pad: '<pad>', unk: '<unk>', tokens: 'w+' };
const cnn = preprocessingSpec('browser', { imageSize: 32, storedSide: 128, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], ...text });
const backbone = (range: '0,1' | '-1,1') =>
  preprocessingSpec('browser', { imageSize: 224, storedSide: 224, range, mean: [0, 0, 0], std: [1, 1, 1], ...text });
const config = (b: { inputSize: number; range: '0,1' | '-1,1' } | null) => ({ imageSize: 32, maxTokens: 12, backbone: b });
const meta = (spec: unknown) => ({ preprocessing: JSON.stringify(spec) });

describe('preprocessing of a backbone run', () => {
  it.each([
    ['0,1', { from: 'uint8', divide: 255, min: 0, max: 1 }],
    ['-1,1', { from: 'uint8', divide: 127.5, subtract: 1, min: -1, max: 1 }],
  ] as const)('says the backbone input size and the %s range, and reads back', (range, want) => {
    const spec = backbone(range);
    expect(spec).toMatchObject({ imageSize: 224, stored: { side: 224 }, range: want, normalisation: { mean: [0, 0, 0], std: [1, 1, 1] } });
    expect(parsePreprocessing(meta(spec), config({ inputSize: 224, range }))).toEqual(spec);
  });

  it("leaves a CNN run's spec as it was (stored 128 px, then imageSize, 0..1)", () => {
    expect(cnn).toMatchObject({ imageSize: 32, stored: { side: 128 }, range: { divide: 255, min: 0, max: 1 } });
    expect(cnn.range).not.toHaveProperty('subtract');
    expect(parsePreprocessing(meta(cnn), config(null))).toEqual(cnn);
  });

  it("still reads a first backbone file, which described the CNN's imageSize", () => {
    expect(parsePreprocessing(meta(cnn), config({ inputSize: 224, range: '-1,1' }))).toEqual(cnn);
  });

  it.each([
    ['another input size', { ...backbone('0,1'), imageSize: 96 }, /imageSize: expected 224 \(config.backbone.inputSize\), found 96/],
    ['the wrong range', backbone('0,1'), /range.divide: expected 127.5, found 255/],
  ])('refuses %s', (_what, spec, message) => {
    const err = (() => {
      try {
        return parsePreprocessing(meta(spec), config({ inputSize: 224, range: '-1,1' }));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as Error).message).toMatch(message);
  });
});
