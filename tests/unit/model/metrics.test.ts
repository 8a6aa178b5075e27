import { describe, expect, it } from 'vitest';
import {
  balancedAccuracy,
  firstHitRanks,
  inBatchAccuracy,
  medianRank,
  recallAtK,
  retrievalMetrics,
  rocAuc,
} from '../../../src/model/metrics';

describe('inBatchAccuracy', () => {
  it.each([
    ['perfect', [2, 1, 0, 3], 1, 1],
    ['row 0 wrong, columns right', [1, 2, 0, 3], 0.5, 1],
    ['ties count as wrong', [1, 1, 1, 1], 0, 0],
    ['column 0 wrong', [1, 0, 2, 3], 1, 0.5],
  ])('%s', (_, logits, i2t, t2i) => {
    expect(inBatchAccuracy(logits, 2)).toEqual({ i2t, t2i });
  });
});

describe('firstHitRanks / recallAtK / medianRank', () => {
  it.each<[string, number[], number, number[][], number[]]>([
    ['best target first', [0.9, 0.1, 0.2], 3, [[0]], [1]],
    ['one irrelevant ahead', [0.9, 0.5, 0.1], 3, [[1]], [2]],
    ['any of several targets counts (image query)', [0.2, 0.3, 0.25, 0.9], 4, [[0, 2, 3]], [1]],
    ['the best of several targets decides', [0.2, 0.3, 0.25, 0.1], 4, [[0, 2, 3]], [2]],
    ['ties with irrelevant targets count against the query', [0.5, 0.5, 0.5], 3, [[1]], [3]],
    ['two queries', [0.1, 0.9, 0.8, 0.3, 0.2, 0.1], 3, [[0], [0]], [3, 1]],
  ])('%s', (_, sim, N, targets, ranks) => {
    expect([...firstHitRanks(sim, N, targets)]).toEqual(ranks);
  });

  it.each([
    [[1, 2, 3, 10], 1, 0.25],
    [[1, 2, 3, 10], 5, 0.75],
    [[1, 2, 3, 10], 10, 1],
    [[7], 5, 0],
  ])('recallAtK(%j, %i) = %f', (ranks, k, recall) => {
    expect(recallAtK(ranks, k)).toBe(recall);
  });

  it.each([
    [[3, 1, 2], 2],
    [[10, 1, 3, 2], 2.5],
    [[4], 4],
  ])('medianRank(%j) = %f', (ranks, median) => {
    expect(medianRank(ranks)).toBe(median);
  });

  it('retrievalMetrics combines them', () => {
    // 2 image queries over 4 captions: image 0 owns captions 0, 1; image 1 owns 2, 3.
    const sim = [0.1, 0.2, 0.9, 0.0, /* */ 0.3, 0.1, 0.8, 0.2];
    expect(
      retrievalMetrics(sim, 4, [
        [0, 1],
        [2, 3],
      ]),
    ).toEqual({ r1: 0.5, r5: 1, r10: 1, medianRank: 1.5 });
  });

  it('refuses a query without targets', () => {
    expect(() => firstHitRanks([1, 2], 2, [[]])).toThrow(/query 0 has no relevant target/);
  });
});

describe('rocAuc', () => {
  it.each([
    ['sklearn example', [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75],
    ['perfect', [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1], 1],
    ['inverted', [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1], 0],
    ['all tied', [0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0], 0.5],
    ['a tie across classes counts half', [1, 1, 2], [0, 1, 1], 0.75],
    ['order of inputs does not matter', [0.8, 0.1, 0.35, 0.4], [1, 0, 1, 0], 0.75],
  ])('%s', (_, scores, labels, auc) => {
    expect(rocAuc(scores, labels)).toBeCloseTo(auc, 10);
  });

  it('is NaN with one class only', () => {
    expect(rocAuc([0.2, 0.3], [1, 1])).toBeNaN();
  });
});

describe('balancedAccuracy', () => {
  it.each([
    ['half right in each class', [0.9, 0.2, 0.6, 0.4], [1, 1, 0, 0], 0.5, 0.5],
    ['imbalanced but perfect', [0.9, 0.8, 0.7, 0.1], [1, 1, 1, 0], 0.5, 1],
    ['everything positive', [0.9, 0.8, 0.7, 0.6], [1, 1, 1, 0], 0.5, 0.5],
    ['threshold is strict', [0, 0], [1, 0], 0, 0.5],
  ])('%s', (_, scores, labels, threshold, acc) => {
    expect(balancedAccuracy(scores, labels, threshold)).toBe(acc);
  });
});
