// The comparison of bench/stack-calibration.ts on a dump (stackDump.ts): the lab's classifier pairs
// on dev (evaluate.ts matchPairs, seed 1), cross-fitted by image parity (fit on even images' pairs,
// score odd ones', and back), each calibration fitted on one half and scored on the other:
// AUC vs random and vs hardest wrong captions, ECE and NLL, per held-out half and pooled.

import * as tf from '@tensorflow/tfjs';
import { matchHeadForward } from '../../src/model/matchHead';
import { expectedCalibrationError, sigmoid } from '../../src/model/calibration';
import { fitLogistic, logisticScore } from '../../src/model/logistic';
import { rocAuc } from '../../src/model/metrics';
import { matchEvalMetrics, matchPairs, type MatchPairs } from '../../src/train/evaluate';
import type { MatchEvalMetrics } from '../../src/train/types';
import type { StackDump } from './stackDump';

/** Per-pair inputs a calibration may read; all on the logit scale (× s) except z's own. */
export interface PairInputs {
  z: Float64Array; // the head's logit ('residual': s·cos + MLP)
  c: Float64Array; // s·cos(u, v)
  hImg: Float64Array; // s·u·m_txt: the image's mean similarity to the bank's captions
  hTxt: Float64Array; // s·v·m_img: the caption's mean similarity to the bank's images
  kImg: Float64Array; // s·mean of u's top-k similarities to the bank's captions (CSLS)
  kTxt: Float64Array; // s·mean of v's top-k similarities to the bank's images
}

export type InputName = keyof PairInputs | 'mlp' | 'uv'; // mlp = z − c, the head without its residual; uv = u ⊙ v, D columns (a diagonal bilinear head)

export interface Variant {
  name: string;
  inputs: InputName[]; // [] = the score itself, uncalibrated (raw)
  raw?: 'z' | 'c'; // uncalibrated score: sigmoid(z), or cosine (AUC only)
  fitOn?: 'all' | 'random'; // the fit half's pairs it learns from: all (default), or positives + random wrong captions only
  l2?: number; // overrides opts.l2
  plattOnAll?: boolean; // then Platt scaling of the fitted score on all the fit half's pairs (AUC kept, calibrated on the evaluation's mix)
}

export interface Scored {
  aucRandom: number;
  aucHard: number;
  ece: number;
  nll: number;
}

const KINDS = { positive: 0, hard: 1, random: 2 };

/** AUC of scores on positives + the negatives of `kind`, among pairs `keep`. */
function aucOf(scores: ArrayLike<number>, pairs: MatchPairs, kind: number, keep: (n: number) => boolean): number {
  const s: number[] = [];
  const l: number[] = [];
  pairs.kinds.forEach((k, n) => {
    if (keep(n) && (k === KINDS.positive || k === kind)) s.push(scores[n]), l.push(pairs.labels[n]);
  });
  return rocAuc(s, l);
}

function scoreOf(p: ArrayLike<number>, pairs: MatchPairs, keep: (n: number) => boolean): Scored {
  const idx = pairs.labels.map((_, n) => n).filter(keep);
  const probs = idx.map((n) => p[n]);
  const labels = idx.map((n) => pairs.labels[n]);
  const nll = idx.reduce((s, n) => s - Math.log(Math.max(1e-15, pairs.labels[n] === 1 ? p[n] : 1 - p[n])), 0) / idx.length;
  return {
    aucRandom: aucOf(p, pairs, KINDS.random, keep),
    aucHard: aucOf(p, pairs, KINDS.hard, keep),
    ece: expectedCalibrationError(probs, labels),
    nll,
  };
}

/** The head's logits of pairs (u rows, v rows) from the dumped match.* weights. */
function headLogits(dump: StackDump, u: Float32Array, v: Float32Array): Float64Array {
  const D = dump.D;
  const n = u.length / D;
  const params = new Map(dump.matchWeights.map((w) => [w.name, tf.variable(tf.tensor(w.data, w.shape), false)]));
  params.set('logit_scale', tf.variable(tf.scalar(dump.logitScale), false));
  const out = tf.tidy(() => matchHeadForward(params, tf.tensor2d(u, [n, D]), tf.tensor2d(v, [n, D]), { kind: 'residual', detach: true }));
  const data = Float64Array.from(out.dataSync());
  out.dispose();
  for (const p of params.values()) p.dispose();
  return data;
}

const rows = (src: Float32Array, D: number, idx: readonly number[]) => {
  const out = new Float32Array(idx.length * D);
  idx.forEach((r, k) => out.set(src.subarray(r * D, (r + 1) * D), k * D));
  return out;
};

/** Mean of the k largest of xs. */
function topMean(xs: number[], k: number): number {
  xs.sort((a, b) => b - a);
  const m = Math.min(k, xs.length);
  let s = 0;
  for (let i = 0; i < m; i++) s += xs[i];
  return s / Math.max(m, 1);
}

export interface StackReport {
  pairs: number;
  folds: Record<string, Scored[]>; // variant -> [held-out even half, held-out odd half]
  pooled: Record<string, Scored>;
  weights: Record<string, { inputs: string[]; weights: number[]; bias: number }[]>; // per fold: the first 8 inputs (uv0… for u⊙v's columns)
  deltaCi: Record<string, [number, number]>; // 90% interval of pooled AUC-vs-random minus cosine's, bootstrap over dev images
  lab: MatchEvalMetrics; // the lab's own evaluation of the same pairs (evaluate.ts: the stacked calibration, held out the same way)
}

/** 5th and 95th percentiles of AUC(scores) − AUC(base) vs random wrong captions, images resampled with replacement. */
function pairedBootstrap(
  scores: ArrayLike<number>,
  base: ArrayLike<number>,
  pairs: MatchPairs,
  Ni: number,
  reps: number,
): [number, number] {
  const byImage: number[][] = Array.from({ length: Ni }, () => []);
  pairs.imageRows.forEach((i, n) => pairs.kinds[n] !== KINDS.hard && byImage[i].push(n));
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const deltas: number[] = [];
  for (let r = 0; r < reps; r++) {
    const idx: number[] = [];
    for (let k = 0; k < Ni; k++) idx.push(...byImage[Math.floor(random() * Ni)]);
    const labels = idx.map((n) => pairs.labels[n]);
    deltas.push(
      rocAuc(
        idx.map((n) => scores[n]),
        labels,
      ) -
        rocAuc(
          idx.map((n) => base[n]),
          labels,
        ),
    );
  }
  deltas.sort((a, b) => a - b);
  return [deltas[Math.floor(0.05 * reps)], deltas[Math.floor(0.95 * reps)]];
}

export function stackEval(
  dump: StackDump,
  variants: readonly Variant[],
  opts: { k: number; l2: number; bootstrap?: number; bank?: number },
): StackReport {
  const { D, dev } = dump;
  const s = Math.exp(dump.logitScale);
  const Ni = dev.img.length / D;
  const Nt = dev.txt.length / D;
  const simT = tf.tidy(() => tf.matMul(tf.tensor2d(dev.img, [Ni, D]), tf.tensor2d(dev.txt, [Nt, D]), false, true));
  const sim = simT.dataSync() as Float32Array; // [Ni, Nt]
  simT.dispose();
  const pairs = matchPairs(sim, dev.captionImage, dev.captionGroups, Ni, 1);
  const P = pairs.labels.length;
  const z = headLogits(dump, rows(dev.img, D, pairs.imageRows), rows(dev.txt, D, pairs.captionRows));
  const c = Float64Array.from(pairs.imageRows, (i, n) => s * sim[i * Nt + pairs.captionRows[n]]);
  const heldOut: Record<string, Float64Array> = Object.fromEntries(variants.map((v) => [v.name, new Float64Array(P)]));
  const weights: StackReport['weights'] = Object.fromEntries(variants.map((v) => [v.name, []]));
  const ownGroups: Set<number>[] = Array.from({ length: Ni }, () => new Set());
  dev.captionImage.forEach((i, j) => ownGroups[i].add(dev.captionGroups[j]));
  for (const fold of [0, 1]) {
    // The bank is the fit half (the page's val split); the held-out half is what new pairs are.
    // With opts.bank, only the fit half's first `bank` images and their captions are stored (what a model file would carry).
    const bankImages = Array.from({ length: Ni }, (_, i) => i)
      .filter((i) => i % 2 !== fold)
      .slice(0, opts.bank ?? Ni);
    const inBank = new Set(bankImages);
    const bankCaptions = dev.captionImage.map((i, j) => (inBank.has(i) ? j : -1)).filter((j) => j >= 0);
    const mTxt = new Float64Array(D);
    const mImg = new Float64Array(D);
    for (const j of bankCaptions) for (let d = 0; d < D; d++) mTxt[d] += dev.txt[j * D + d] / bankCaptions.length;
    for (const i of bankImages) for (let d = 0; d < D; d++) mImg[d] += dev.img[i * D + d] / bankImages.length;
    const dot = (src: Float32Array, r: number, m: Float64Array) => {
      let t = 0;
      for (let d = 0; d < D; d++) t += src[r * D + d] * m[d];
      return s * t;
    };
    // Per image / caption once: a bank row that is its own (same image, same text) is left out.
    const kImgOf = new Map<number, number>();
    const kTxtOf = new Map<number, number>();
    const kImg = (i: number) => {
      if (!kImgOf.has(i))
        kImgOf.set(
          i,
          s *
            topMean(
              bankCaptions.filter((j) => !ownGroups[i].has(dev.captionGroups[j])).map((j) => sim[i * Nt + j]),
              opts.k,
            ),
        );
      return kImgOf.get(i)!;
    };
    const kTxt = (j: number) => {
      if (!kTxtOf.has(j))
        kTxtOf.set(
          j,
          s *
            topMean(
              bankImages.filter((i) => !ownGroups[i].has(dev.captionGroups[j])).map((i) => sim[i * Nt + j]),
              opts.k,
            ),
        );
      return kTxtOf.get(j)!;
    };
    const inputs: PairInputs = {
      z,
      c,
      hImg: Float64Array.from(pairs.imageRows, (i) => dot(dev.img, i, mTxt)),
      hTxt: Float64Array.from(pairs.captionRows, (j) => dot(dev.txt, j, mImg)),
      kImg: Float64Array.from(pairs.imageRows, (i) => kImg(i)),
      kTxt: Float64Array.from(pairs.captionRows, (j) => kTxt(j)),
    };
    const uv = Array.from({ length: D }, (_, d) =>
      Float64Array.from(pairs.imageRows, (i, n) => s * dev.img[i * D + d] * dev.txt[pairs.captionRows[n] * D + d]),
    );
    const columns = (name: InputName): Float64Array[] =>
      name === 'mlp' ? [z.map((x, n) => x - c[n])] : name === 'uv' ? uv : [inputs[name]];
    const fitRows = pairs.imageRows.map((i, n) => (i % 2 !== fold ? n : -1)).filter((n) => n >= 0);
    const testRows = pairs.imageRows.map((i, n) => (i % 2 === fold ? n : -1)).filter((n) => n >= 0);
    for (const v of variants) {
      const out = heldOut[v.name];
      if (v.raw) {
        for (const n of testRows) out[n] = v.raw === 'z' ? sigmoid(z[n]) : sigmoid(c[n]);
        continue;
      }
      const cols = v.inputs.flatMap(columns);
      const p = cols.length;
      const matrix = (idx: number[]) => Float64Array.from({ length: idx.length * p }, (_, t) => cols[t % p][idx[Math.floor(t / p)]]);
      const rowsOf = v.fitOn === 'random' ? fitRows.filter((n) => pairs.kinds[n] !== KINDS.hard) : fitRows;
      const fit = fitLogistic(
        matrix(rowsOf),
        rowsOf.map((n) => pairs.labels[n]),
        p,
        { l2: v.l2 ?? opts.l2 },
      );
      const names = v.inputs.flatMap((name) => (name === 'uv' ? Array.from({ length: D }, (_, d) => `uv${d}`) : [name]));
      weights[v.name].push({ inputs: names.slice(0, 8), weights: fit.weights.slice(0, 8), bias: fit.bias });
      const test = matrix(testRows);
      let outer = { weights: [1], bias: 0 };
      if (v.plattOnAll) {
        const all = matrix(fitRows);
        const scores = fitRows.map((_, r) => logisticScore(fit, all, r));
        outer = fitLogistic(
          scores,
          fitRows.map((n) => pairs.labels[n]),
          1,
          { l2: 0 },
        );
      }
      testRows.forEach((n, r) => (out[n] = sigmoid(outer.weights[0] * logisticScore(fit, test, r) + outer.bias)));
    }
  }
  const folds: StackReport['folds'] = {};
  const pooled: StackReport['pooled'] = {};
  for (const v of variants) {
    const p = heldOut[v.name];
    // Cosine is a ranking only: its AUC is cosine's whatever monotone map; its ECE/NLL as sigmoid(s·cos) mean little.
    folds[v.name] = [0, 1].map((f) => scoreOf(p, pairs, (n) => pairs.imageRows[n] % 2 === f));
    pooled[v.name] = scoreOf(p, pairs, () => true);
  }
  const deltaCi = Object.fromEntries(variants.map((v) => [v.name, pairedBootstrap(heldOut[v.name], c, pairs, Ni, opts.bootstrap ?? 200)]));
  const cosine = Float64Array.from(pairs.imageRows, (i, n) => sim[i * Nt + pairs.captionRows[n]]);
  return { pairs: P, folds, pooled, weights, deltaCi, lab: matchEvalMetrics(z, cosine, pairs) };
}
