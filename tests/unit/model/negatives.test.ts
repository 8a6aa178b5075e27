import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { hardNegativeSelection, negativeSelection, randomNegativeSelection, validNegativeRows } from '../../../src/model/negatives';

const sim = [
  [0.9, 0.8, 0.1, 0.3],
  [0.2, 0.7, 0.6, 0.1],
  [0.5, 0.4, 0.9, 0.5],
  [0.1, 0.0, 0.3, 0.2],
];

describe('hardNegativeSelection', () => {
  it('picks the most similar wrong caption of each image; exact ties share the row', () => {
    expect(hardNegativeSelection(tf.tensor2d(sim)).arraySync()).toEqual([
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0.5, 0, 0, 0.5],
      [0, 0, 1, 0],
    ]);
  });

  it('skips captions of the same image when a mask is given', () => {
    const mask = tf.tensor2d([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(hardNegativeSelection(tf.tensor2d(sim), mask).arraySync()[0]).toEqual([0, 0, 0, 1]);
  });

  it('passes no gradient to the similarities', () => {
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(hardNegativeSelection(s as tf.Tensor2D), tf.tensor2d(sim))))(tf.tensor2d(sim));
    expect(g.dataSync().every((v) => v === 0)).toBe(true);
  });
});

describe('randomNegativeSelection', () => {
  it('gives one-hot rows that never pick the own caption, seeded', () => {
    const B = 7;
    const sel = randomNegativeSelection(B, mulberry32(3));
    for (let i = 0; i < B; i++) {
      const row = [...sel.subarray(i * B, (i + 1) * B)];
      expect(row.reduce((a, b) => a + b, 0)).toBe(1);
      expect(row[i]).toBe(0);
    }
    expect(randomNegativeSelection(B, mulberry32(3))).toEqual(sel);
    expect(randomNegativeSelection(B, mulberry32(4))).not.toEqual(sel);
  });
});

describe('randomNegativeSelection with excluded captions (same text)', () => {
  it.each([[1], [2], [3]])('seed %i: never picks an excluded caption; a row without choices stays empty', (seed) => {
    const B = 5;
    const excluded = new Float32Array(B * B);
    for (let i = 0; i < B; i++) excluded[i * B + i] = 1;
    excluded[0 * B + 1] = excluded[0 * B + 2] = 1; // image 0 may only get 3 or 4
    for (const j of [0, 1, 2, 3, 4]) excluded[4 * B + j] = 1; // image 4 has no negative at all
    const sel = randomNegativeSelection(B, mulberry32(seed), excluded);
    for (let i = 0; i < B; i++) {
      const row = [...sel.subarray(i * B, (i + 1) * B)];
      expect(row.reduce((a, b) => a + b, 0)).toBe(i === 4 ? 0 : 1);
      row.forEach((v, j) => v === 1 && expect(excluded[i * B + j]).toBe(0));
    }
    expect(Array.from(validNegativeRows(B, excluded))).toEqual([1, 1, 1, 1, 0]);
  });

  it('the hard negative skips a same-text caption even when it is the most similar', () => {
    const mask = tf.tensor2d([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]); // captions 0 and 1 read the same
    expect(hardNegativeSelection(tf.tensor2d(sim), mask).arraySync()[1]).toEqual([0, 0, 1, 0]);
  });
});

describe('negativeSelection', () => {
  it('takes the first hardCount rows hard and the rest random', () => {
    const random = tf.tensor2d(randomNegativeSelection(4, mulberry32(1)), [4, 4]);
    const out = negativeSelection(tf.tensor2d(sim), random, 2).arraySync();
    const hard = hardNegativeSelection(tf.tensor2d(sim)).arraySync();
    expect(out.slice(0, 2)).toEqual(hard.slice(0, 2));
    expect(out.slice(2)).toEqual(random.arraySync().slice(2));
  });
});
