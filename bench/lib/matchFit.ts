// The match classifier of a feature CLIP model, fitted after its encoders are trained: the image
// and text embeddings of the train split are computed once (frozen, i.e. detached), and only the
// classifier's weights (match.*) learn, with their own AdamW and learning rate, on every positive
// pair and K wrong captions per positive: a share of them hard (drawn from the image's M most
// similar wrong captions over the whole train split), the rest random. A caption whose text equals
// one of the image's own is never a negative. Positives weigh K, so both classes weigh the same.

import * as tf from '@tensorflow/tfjs';
import { hashString, mulberry32 } from '../../src/data/random';
import type { FeatureClipModel } from '../../src/model/featureClip';
import { matchLoss } from '../../src/model/losses';
import { AdamW } from '../../src/train/optimizer';
import { learningRateAt } from '../../src/train/schedule';
import { embedAll, embedTexts, type FeatureSplit } from './featureTrain';

export interface MatchFitOptions {
  epochs: number; // passes over the train captions (each a positive)
  batchSize: number; // positives per step
  negatives: number; // K wrong captions per positive
  hardShare: number; // share of the K drawn from the hard pool
  hardPool: number; // M: the image's most similar wrong captions to draw hard ones from
  learningRate: number;
  weightDecay: number;
  zeroInit: boolean; // start the output layer at zero: a 'residual' head then scores exactly s·cos before it learns
  seed: number;
}

export const MATCH_FIT: MatchFitOptions = {
  epochs: 4,
  batchSize: 256,
  negatives: 4,
  hardShare: 0.25,
  hardPool: 16,
  learningRate: 1e-3,
  weightDecay: 0.01,
  zeroInit: true,
  seed: 1,
};

/** Per image, the indices of its `m` most similar captions among those `wrong(i, j)` allows. sim rows come in chunks. */
export async function hardPools(
  img: Float32Array,
  txt: Float32Array,
  D: number,
  m: number,
  wrong: (i: number, j: number) => boolean,
): Promise<Int32Array[]> {
  const Ni = img.length / D;
  const Nc = txt.length / D;
  const pools: Int32Array[] = [];
  const txtT = tf.tensor2d(txt, [Nc, D]);
  for (let start = 0; start < Ni; start += 256) {
    const n = Math.min(256, Ni - start);
    const simT = tf.tidy(() => tf.matMul(tf.tensor2d(img.subarray(start * D, (start + n) * D), [n, D]), txtT, false, true));
    const sim = (await simT.data()) as Float32Array;
    simT.dispose();
    for (let r = 0; r < n; r++) {
      const i = start + r;
      const top: { j: number; s: number }[] = []; // ascending by s, at most m
      for (let j = 0; j < Nc; j++) {
        const s = sim[r * Nc + j];
        if (top.length === m && s <= top[0].s) continue;
        if (!wrong(i, j)) continue;
        let k = 0;
        while (k < top.length && top[k].s < s) k++;
        top.splice(k, 0, { j, s });
        if (top.length > m) top.shift();
      }
      pools.push(Int32Array.from(top, (t) => t.j));
    }
  }
  txtT.dispose();
  return pools;
}

/** The frozen train embeddings and hard pools a fit reads; the same for every fit on one trained model. */
export interface MatchFitData {
  img: Float32Array; // [Ni, D]
  imgFlip: Float32Array | null; // [Ni, D]
  txt: Float32Array; // [Nc, D]
  pools: Int32Array[]; // per image, its hardPool most similar wrong captions
  hardPool: number;
  seconds: number;
}

/** Embeds the train split with the (frozen) encoders and finds every image's `hardPool` hardest wrong captions. */
export async function prepareMatchFit(
  model: FeatureClipModel,
  train: FeatureSplit,
  hardPool: number,
  log: (line: string) => void,
): Promise<MatchFitData> {
  const t0 = performance.now();
  const F = train.featureSize;
  const D = model.config.embedDim;
  const img = await embedAll(train.plain, F, (x) => model.encodeImage(x));
  const imgFlip = train.flip ? await embedAll(train.flip, F, (x) => model.encodeImage(x)) : null;
  const txt = await embedTexts(model, train.tokens);
  const pools = await hardPools(img, txt, D, hardPool, wrongCaption(train));
  const seconds = (performance.now() - t0) / 1000;
  log(`match fit: embedded ${img.length / D} images and ${txt.length / D} captions, hard pools of ${hardPool} in ${seconds.toFixed(1)} s`);
  return { img, imgFlip, txt, pools, hardPool, seconds };
}

/** (image i, caption j) -> whether j may be i's negative: its text is none of i's own. */
function wrongCaption(train: FeatureSplit): (i: number, j: number) => boolean {
  const ownGroups: Set<number>[] = [];
  train.captionImage.forEach((i, j) => (ownGroups[i] ??= new Set()).add(train.captionGroups[j]));
  return (i, j) => !ownGroups[i].has(train.captionGroups[j]);
}

/**
 * Fits model's match.* weights in place; `log` hears a line per epoch. `data` from prepareMatchFit
 * (computed here when absent or of another pool size). Returns the seconds spent, preparation included.
 */
export async function fitMatchHead(
  model: FeatureClipModel,
  train: FeatureSplit,
  opts: MatchFitOptions,
  log: (line: string) => void,
  data?: MatchFitData,
): Promise<{ seconds: number; steps: number; losses: number[] }> {
  const t0 = performance.now();
  const D = model.config.embedDim;
  const prepared = data?.hardPool === opts.hardPool ? data : await prepareMatchFit(model, train, opts.hardPool, log);
  const { img, imgFlip, txt, pools } = prepared;
  const Nc = train.captionImage.length;
  const wrong = wrongCaption(train);

  const vars = new Map([...model.trainableVariables()].filter(([name]) => name.startsWith('match.')));
  if (opts.zeroInit) for (const [name, v] of vars) if (name.startsWith('match.fc1.')) v.assign(tf.zerosLike(v));
  const optimizer = new AdamW(vars, { epsilon: 1e-7, weightDecay: opts.weightDecay });
  const K = opts.negatives;
  const B = opts.batchSize;
  const stepsPerEpoch = Math.ceil(Nc / B);
  const schedule = {
    learningRate: opts.learningRate,
    warmupSteps: 50,
    totalSteps: stepsPerEpoch * opts.epochs,
    schedule: 'cosine' as const,
  };
  const random = mulberry32(hashString(`match-fit:${opts.seed}`));
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = Array.from({ length: Nc }, (_, j) => j);
    for (let k = Nc - 1; k > 0; k--) {
      const r = Math.floor(random() * (k + 1));
      [order[k], order[r]] = [order[r], order[k]];
    }
    let lossSum = 0;
    for (let s = 0; s < Nc; s += B) {
      const batch = order.slice(s, s + B);
      const n = batch.length;
      const u = new Float32Array(n * (1 + K) * D);
      const v = new Float32Array(n * (1 + K) * D);
      const labels = new Float32Array(n * (1 + K));
      const weights = new Float32Array(n * (1 + K));
      batch.forEach((j, b) => {
        const i = train.captionImage[j];
        const src = imgFlip && random() < 0.5 ? imgFlip : img;
        const row = src.subarray(i * D, (i + 1) * D);
        for (let k = 0; k <= K; k++) {
          let c = j;
          if (k > 0) {
            if (random() < opts.hardShare && pools[i].length > 0) c = pools[i][Math.floor(random() * pools[i].length)];
            else
              do c = Math.floor(random() * Nc);
              while (!wrong(i, c));
          }
          const at = k * n + b;
          u.set(row, at * D);
          v.set(txt.subarray(c * D, (c + 1) * D), at * D);
          labels[at] = k === 0 ? 1 : 0;
          weights[at] = k === 0 ? K : 1;
        }
      });
      const loss = tf.tidy(() => {
        const U = tf.tensor2d(u, [n * (1 + K), D]);
        const V = tf.tensor2d(v, [n * (1 + K), D]);
        const { value, grads } = tf.variableGrads(
          () => matchLoss(model.matchLogits(U, V), tf.tensor1d(labels), tf.tensor1d(weights)),
          [...vars.values()],
        );
        const byName = new Map([...vars].map(([name, variable]) => [variable.name, name]));
        optimizer.apply(new Map(Object.entries(grads).map(([tfName, g]) => [byName.get(tfName)!, g])), learningRateAt(step, schedule));
        return value;
      });
      lossSum += (await loss.data())[0];
      loss.dispose();
      step++;
    }
    losses.push(lossSum / stepsPerEpoch);
    log(`match fit epoch ${epoch + 1}: loss ${losses.at(-1)!.toFixed(4)}`);
  }
  optimizer.dispose();
  const seconds = (performance.now() - t0) / 1000 + (prepared === data ? prepared.seconds : 0);
  return { seconds, steps: step, losses };
}
