// Seeded synthetic data for benchmarks: a TrainingSet with random pixels and random captions over a
// word pool large enough to fill the preset's whole vocabulary (so the embedding is full size), and
// random unit-row embedding matrices for the search benchmark. Pure: runs in the page and in Node.

import type { TrainConfig } from '../../src/config';
import { mulberry32 } from '../../src/data/random';
import type { TrainingSet } from '../../src/data/types';

/**
 * `images` images of side `size` (all train), `captionsPerImage` captions each of 8..maxTokens
 * words drawn from vocabSize + 1,000 distinct words, so that every vocabulary slot is used.
 */
export function syntheticTrainingSet(
  config: TrainConfig,
  opts: { images: number; captionsPerImage?: number; size?: number; seed?: number },
): TrainingSet {
  const { images, captionsPerImage = 5, size = config.imageSize, seed = 1 } = opts;
  const random = mulberry32(seed);
  const pixels = new Uint8Array(images * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  const pool = config.vocabSize + 1000;
  const captions: TrainingSet['captions'] = [];
  for (let image = 0; image < images; image++) {
    for (let c = 0; c < captionsPerImage; c++) {
      const length = 8 + Math.floor(random() * Math.max(1, config.maxTokens - 7));
      const words = Array.from({ length }, () => `w${Math.floor(random() * pool)}`);
      captions.push({ image, text: words.join(' ') });
    }
  }
  return {
    name: `synthetic-${config.preset}`,
    imageSize: size,
    pixels,
    imageNames: Array.from({ length: images }, (_, i) => `img${i}.jpg`),
    imageSplit: new Uint8Array(images), // all train
    captions,
  };
}

/** n random rows of dimension dim, each scaled to unit L2 norm: [n, dim] row-major. */
export function randomUnitRows(n: number, dim: number, seed = 1): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = random() * 2 - 1;
      out[r * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[r * dim + j] *= inv;
  }
  return out;
}
