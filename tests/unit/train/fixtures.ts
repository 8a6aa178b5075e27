// Synthetic, seeded training sets for trainer tests: blocky random images and distinct captions.

import { mulberry32 } from '../../../src/data/random';
import { SPLIT_CODE, type Split, type TrainingSet } from '../../../src/data/types';

const COLOURS = ['red', 'green', 'blue', 'yellow', 'black', 'white', 'brown', 'pink'];
const THINGS = ['dog', 'cat', 'bird', 'car', 'tree', 'boat', 'house', 'ball'];

export interface SyntheticOptions {
  images: number;
  captionsPerImage?: number;
  size?: number; // R
  val?: number; // how many of the images (the last ones) are val
  seed?: number;
}

/** Image i is 4x4 blocks of seeded random colour; its captions name a colour, a thing and "i<i>". */
export function syntheticSet(opts: SyntheticOptions): TrainingSet {
  const { images, captionsPerImage = 1, size = 32, val = 0, seed = 7 } = opts;
  const random = mulberry32(seed);
  const pixels = new Uint8Array(images * size * size * 3);
  const block = size / 4;
  for (let i = 0; i < images; i++) {
    for (let by = 0; by < 4; by++) {
      for (let bx = 0; bx < 4; bx++) {
        const rgb = [0, 1, 2].map(() => Math.floor(random() * 256));
        for (let y = by * block; y < (by + 1) * block; y++) {
          for (let x = bx * block; x < (bx + 1) * block; x++) pixels.set(rgb, ((i * size + y) * size + x) * 3);
        }
      }
    }
  }
  const captions: { image: number; text: string }[] = [];
  for (let i = 0; i < images; i++) {
    for (let k = 0; k < captionsPerImage; k++) {
      captions.push({ image: i, text: `a ${COLOURS[(i + k) % 8]} ${THINGS[Math.floor(i / 8 + k) % 8]} i${i} variant${k}` });
    }
  }
  const split = (i: number): Split => (i >= images - val ? 'val' : 'train');
  return {
    name: `synthetic-${images}`,
    imageSize: size,
    pixels,
    imageNames: Array.from({ length: images }, (_, i) => `img${i}.png`),
    imageSplit: Uint8Array.from({ length: images }, (_, i) => SPLIT_CODE[split(i)]),
    captions,
  };
}
