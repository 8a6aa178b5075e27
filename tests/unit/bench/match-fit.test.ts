// bench:quality's classifier fit (bench/lib/matchFit.ts): the hard pools hold each image's M most
// similar captions that are not of its own texts, in ascending order of cosine.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { hardPools } from '../../../bench/lib/matchFit';

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('hardPools', () => {
  const img = Float32Array.from([...unit([1, 0]), ...unit([0, 1])]); // 2 images, D = 2
  const txt = Float32Array.from([
    ...unit([1, 0.1]), // 0: image 0's own
    ...unit([1, 0.3]), // 1: same text as 0 (never a negative for image 0)
    ...unit([1, 0.5]), // 2
    ...unit([1, 2]), // 3
    ...unit([0.2, 1]), // 4: image 1's own
  ]);
  const groups = [0, 0, 1, 2, 3];
  const own = [new Set([0]), new Set([3])];
  const wrong = (i: number, j: number) => !own[i].has(groups[j]);
  const cases: { m: number; expected: number[][] }[] = [
    { m: 1, expected: [[2], [3]] },
    {
      m: 2,
      expected: [
        [3, 2],
        [2, 3],
      ],
    },
    {
      m: 5,
      expected: [
        [4, 3, 2],
        [0, 1, 2, 3],
      ],
    },
  ];
  for (const { m, expected } of cases) {
    it(`top ${m}, ascending by cosine, own texts left out`, async () => {
      const pools = await hardPools(img, txt, 2, m, wrong);
      expect(pools.map((p) => [...p])).toEqual(expected);
      expect(tf.memory().numTensors).toBeLessThan(1000);
    });
  }
});
