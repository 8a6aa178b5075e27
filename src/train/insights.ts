// What the insight pictures show, computed from embeddings the trainer already has: the live
// batch similarity matrix and its diagonal vs off-diagonal means, and from the eval pass the
// embedding map (image and caption embeddings on their top two principal axes) and the worst
// mistakes (val images whose true caption ranks lowest, with the wrong caption preferred most).
import { pca } from '../model/pca';

/** The current batch's image×caption cosines: row i is image i, column j caption j (pairs on the diagonal). */
export interface BatchSimilarity {
  step: number;
  size: number; // B
  sim: number[]; // [B, B] row-major cosines
  images: number[]; // [B] dataset image index of each row
  captions: string[]; // [B] caption text of each column
}

export interface HeatmapStats {
  diagonalMean: number; // mean cosine of the matching pairs
  offDiagonalMean: number; // mean cosine of the non-matching pairs
}

/** Diagonal and off-diagonal means of a square [B, B] matrix (B ≥ 2). */
export function heatmapStats(sim: ArrayLike<number>, B: number): HeatmapStats {
  if (sim.length !== B * B || B < 2)
    throw new RangeError(`heatmapStats: expected a ${B} x ${B} matrix with B ≥ 2, found ${sim.length} values`);
  let diag = 0;
  let off = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) i === j ? (diag += sim[i * B + j]) : (off += sim[i * B + j]);
  return { diagonalMean: diag / B, offDiagonalMean: off / (B * B - B) };
}

/** The val embeddings of one eval pass, as evaluate() has them. */
export interface EvalEmbeddings {
  img: Float32Array; // [Ni, D]
  txt: Float32Array; // [Nt, D]
  sim: Float32Array; // [Ni, Nt] cosines
  dim: number; // D
  captionImageRow: readonly number[]; // [Nt] row of each caption's image
}

/** The val split on its top two principal axes (fitted on images and captions together). */
export interface EmbeddingMap {
  images: { image: number; x: number; y: number }[]; // dataset image index
  captions: { imageRow: number; text: string; x: number; y: number }[]; // imageRow: index into images
  explained: [number, number]; // fraction of the total variance on each axis
}

export interface Mistake {
  image: number; // dataset image index
  rank: number; // 1-based rank of its best true caption among all val captions (1 = right)
  trueCaption: string; // that caption
  trueSim: number;
  preferredCaption: string; // the most similar caption of another image
  preferredSim: number;
}

/** What the eval pass leaves for the pictures: stored per run (the latest only). */
export interface EvalInsights {
  step: number;
  epoch: number;
  map: EmbeddingMap;
  mistakes: Mistake[];
}

/** How the val rows map back to the dataset: image index per row, text per caption. */
export interface EvalLabels {
  images: readonly number[]; // [Ni] dataset image index
  captions: readonly string[]; // [Nt] caption text
}

/**
 * Val images ranked by how wrong retrieval is: the rank of their best true caption (worst first),
 * ties by how much more the preferred wrong caption scores than that true one. Returns the first k.
 */
export function worstMistakes(e: EvalEmbeddings, labels: EvalLabels, k: number): Mistake[] {
  const Nt = e.captionImageRow.length;
  const Ni = labels.images.length;
  const out: (Mistake & { margin: number })[] = [];
  for (let i = 0; i < Ni; i++) {
    let bestTrue = -1;
    let bestWrong = -1;
    for (let j = 0; j < Nt; j++) {
      const s = e.sim[i * Nt + j];
      if (e.captionImageRow[j] === i) {
        if (bestTrue < 0 || s > e.sim[i * Nt + bestTrue]) bestTrue = j;
      } else if (bestWrong < 0 || s > e.sim[i * Nt + bestWrong]) bestWrong = j;
    }
    if (bestTrue < 0 || bestWrong < 0) continue; // no caption of its own, or no other caption
    const trueSim = e.sim[i * Nt + bestTrue];
    let rank = 1;
    for (let j = 0; j < Nt; j++) if (e.captionImageRow[j] !== i && e.sim[i * Nt + j] > trueSim) rank++;
    const preferredSim = e.sim[i * Nt + bestWrong];
    out.push({
      image: labels.images[i],
      rank,
      trueCaption: labels.captions[bestTrue],
      trueSim,
      preferredCaption: labels.captions[bestWrong],
      preferredSim,
      margin: preferredSim - trueSim,
    });
  }
  out.sort((a, b) => b.rank - a.rank || b.margin - a.margin || a.image - b.image);
  return out.slice(0, k).map(({ margin: _, ...m }) => m);
}

/** PCA of the first `maxImages` val images and their captions, both in one 2-D frame. */
export function embeddingMap(e: EvalEmbeddings, labels: EvalLabels, maxImages: number): EmbeddingMap {
  const D = e.dim;
  const Ni = Math.min(maxImages, labels.images.length);
  const captionIds = e.captionImageRow
    .map((row, j) => [row, j])
    .filter(([row]) => row < Ni)
    .map(([, j]) => j);
  const n = Ni + captionIds.length;
  const X = new Float32Array(n * D); // [Ni + Nc, D]: images, then their captions
  X.set(e.img.subarray(0, Ni * D));
  captionIds.forEach((j, r) => X.set(e.txt.subarray(j * D, (j + 1) * D), (Ni + r) * D));
  const k = Math.min(2, D); // an embedding of one dimension lies on one axis
  const { projected, variance } = pca(X, n, D, k);
  const P = k === 2 ? projected : Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? projected[i / 2] : 0));
  let total = 0;
  const mean = new Float64Array(D);
  for (let r = 0; r < n; r++) for (let a = 0; a < D; a++) mean[a] += X[r * D + a] / n;
  for (let r = 0; r < n; r++) for (let a = 0; a < D; a++) total += (X[r * D + a] - mean[a]) ** 2 / Math.max(1, n - 1);
  return {
    images: Array.from({ length: Ni }, (_, i) => ({ image: labels.images[i], x: P[2 * i], y: P[2 * i + 1] })),
    captions: captionIds.map((j, r) => ({
      imageRow: e.captionImageRow[j],
      text: labels.captions[j],
      x: P[2 * (Ni + r)],
      y: P[2 * (Ni + r) + 1],
    })),
    explained: [total > 0 ? variance[0] / total : 0, total > 0 && k === 2 ? variance[1] / total : 0],
  };
}

/** Both eval pictures at once. */
export function evalInsights(
  e: EvalEmbeddings,
  labels: EvalLabels,
  at: { step: number; epoch: number },
  opts: { mapImages?: number; mistakes?: number } = {},
): EvalInsights {
  return { ...at, map: embeddingMap(e, labels, opts.mapImages ?? 150), mistakes: worstMistakes(e, labels, opts.mistakes ?? 8) };
}
