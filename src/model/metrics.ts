// Evaluation metrics as pure functions over plain arrays: in-batch accuracy, retrieval
// Recall@K and median rank, ROC AUC (ties by average rank) and balanced accuracy.
// Ties always count against the query, so a model that scores everything alike scores badly.

/** Share of rows of logits [B, B] whose diagonal entry is strictly the row's (i2t) / column's (t2i) largest. */
export function inBatchAccuracy(logits: ArrayLike<number>, batchSize: number): { i2t: number; t2i: number } {
  const B = batchSize;
  let i2t = 0;
  let t2i = 0;
  for (let i = 0; i < B; i++) {
    const d = logits[i * B + i];
    let rowWins = true;
    let colWins = true;
    for (let j = 0; j < B; j++) {
      if (j === i) continue;
      if (logits[i * B + j] >= d) rowWins = false;
      if (logits[j * B + i] >= d) colWins = false;
    }
    i2t += rowWins ? 1 : 0;
    t2i += colWins ? 1 : 0;
  }
  return { i2t: i2t / B, t2i: t2i / B };
}

/**
 * 1-based rank of each query's best relevant target in sim [Q, N] (row-major): 1 + the number of
 * irrelevant targets scoring at least as high as the best relevant one (ties pessimistic).
 * queryTargets[q] lists the relevant target indices of query q (an image query: all its
 * captions, any one is a hit; a caption query: its one image).
 */
export function firstHitRanks(sim: ArrayLike<number>, numTargets: number, queryTargets: readonly (readonly number[])[]): Int32Array {
  const N = numTargets;
  const ranks = new Int32Array(queryTargets.length);
  queryTargets.forEach((targets, q) => {
    if (targets.length === 0) throw new RangeError(`firstHitRanks: query ${q} has no relevant target`);
    const row = q * N;
    const relevant = new Set(targets);
    let best = -Infinity;
    for (const t of targets) best = Math.max(best, sim[row + t]);
    let ahead = 0;
    for (let j = 0; j < N; j++) {
      if (!relevant.has(j) && sim[row + j] >= best) ahead++;
    }
    ranks[q] = ahead + 1;
  });
  return ranks;
}

/** Share of queries whose first relevant target ranks within the top k. */
export function recallAtK(ranks: ArrayLike<number>, k: number): number {
  let hits = 0;
  for (let i = 0; i < ranks.length; i++) hits += ranks[i] <= k ? 1 : 0;
  return ranks.length === 0 ? NaN : hits / ranks.length;
}

/** Median of the ranks (mean of the two middle ones for an even count). */
export function medianRank(ranks: ArrayLike<number>): number {
  if (ranks.length === 0) return NaN;
  const sorted = Float64Array.from(ranks).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface RetrievalMetrics {
  r1: number;
  r5: number;
  r10: number;
  medianRank: number;
}

/** R@1/5/10 and median rank for queries over sim [Q, N]. */
export function retrievalMetrics(
  sim: ArrayLike<number>,
  numTargets: number,
  queryTargets: readonly (readonly number[])[],
): RetrievalMetrics {
  const ranks = firstHitRanks(sim, numTargets, queryTargets);
  return { r1: recallAtK(ranks, 1), r5: recallAtK(ranks, 5), r10: recallAtK(ranks, 10), medianRank: medianRank(ranks) };
}

/**
 * Area under the ROC curve: the probability that a random positive outscores a random negative,
 * ties counting half (Mann-Whitney U with average ranks). NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    const averageRank = (start + end) / 2 + 1; // 1-based
    for (let i = start; i <= end; i++) {
      if (labels[order[i]] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** (true-positive rate + true-negative rate) / 2, predicting positive when score > threshold. */
export function balancedAccuracy(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): number {
  let tp = 0;
  let pos = 0;
  let tn = 0;
  let neg = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] === 1) {
      pos++;
      tp += scores[i] > threshold ? 1 : 0;
    } else {
      neg++;
      tn += scores[i] > threshold ? 0 : 1;
    }
  }
  if (pos === 0 || neg === 0) return NaN;
  return (tp / pos + tn / neg) / 2;
}
