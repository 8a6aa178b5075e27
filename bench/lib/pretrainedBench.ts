// The lab's side of bench:ratio-pretrained, in Node: the head-only training step (the app's
// FeatureClipModel + featureTrainStep + AdamW, the page's pretrained setup, on seeded synthetic
// features and captions) and the feature pass (the app's loadBackbone + extractFeatures on the
// nsfwjs MobileNetV2 1.0 fixture), each timed per step / batch in wall and process CPU time.

import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../src/data/random';
import { extractFeatures, loadBackbone, type Backbone } from '../../src/model/backbone';
import { FeatureClipModel } from '../../src/model/featureClip';
import { featureTrainStep } from '../../src/train/featureStep';
import { AdamW } from '../../src/train/optimizer';
import { writeNsfwjsFixture } from '../../tests/fixtures/nsfwjs';

/** What one timed run returns: per step (or batch) wall and CPU milliseconds, numTensors before and after. */
export interface TimedRun {
  ms: number[];
  cpuMs: number[];
  numTensors: [number, number];
  out: number; // the last step's loss, or the feature width
}

/** The page's pretrained setup (config.ts's head fields, bench:backbone's probe text tower): linear head, dropout 0.5, 'bow' 256, D 256, batch 128. */
export const HEAD_SETUP = { batch: 128, maxTokens: 24, vocab: 5000, textWidth: 256, embedDim: 256, dropout: 0.5, weightDecay: 0.1 };

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeSteps(steps: number, warmup: number, step: () => Promise<number>): Promise<TimedRun> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  const before = tf.memory().numTensors;
  let out = NaN;
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const c0 = cpuNow();
    out = await step();
    if (i >= warmup) {
      ms.push(performance.now() - t0);
      cpuMs.push(cpuNow() - c0);
    }
  }
  return { ms, cpuMs, numTensors: [before, tf.memory().numTensors], out };
}

/** Seeded captions [B, T]: 8..T word ids in 2..V-1, then PAD, as bench/pytorch_pretrained.py draws them. */
function syntheticTokens(B: number, T: number, V: number, random: () => number): Float32Array {
  const tokens = new Float32Array(B * T);
  for (let b = 0; b < B; b++) {
    const n = 8 + Math.floor(random() * (T - 7));
    for (let t = 0; t < n; t++) tokens[b * T + t] = 2 + Math.floor(random() * (V - 2));
  }
  return tokens;
}

/** `steps` timed head-only training steps (after `warmup`) on the active backend, loss read back every step. */
export async function benchHeadStep(featureSize: number, steps: number, warmup: number): Promise<TimedRun> {
  const s = HEAD_SETUP;
  const model = FeatureClipModel.create(
    {
      textEncoder: 'bow',
      maxTokens: s.maxTokens,
      textWidth: s.textWidth,
      textLayers: 1,
      textHeads: 1,
      embedDim: s.embedDim,
      matchHidden: 0,
      matchLossWeight: 0,
      seed: 1,
    },
    { featureSize, hidden: 0, dropout: s.dropout, embedDim: s.embedDim },
    s.vocab,
  );
  const optimizer = new AdamW(model.trainableVariables(), { epsilon: 1e-7, weightDecay: s.weightDecay });
  const random = mulberry32(1);
  const features = Float32Array.from({ length: s.batch * featureSize }, () => random());
  const tokens = syntheticTokens(s.batch, s.maxTokens, s.vocab, random);
  let step = 0;
  try {
    return await timeSteps(steps, warmup, async () => {
      const packed = featureTrainStep(model, optimizer, { size: s.batch, features, tokens }, { lr: 1e-3, step: step++, read: true })!;
      const loss = (await packed.data())[0];
      packed.dispose();
      return loss;
    });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** The nsfwjs MobileNetV2 1.0 fixture (layers model, 224 px, 1,280-d), loaded on the active backend. */
export async function loadMobileNetV2(): Promise<Backbone> {
  const dir = writeNsfwjsFixture('mobilenet_v2');
  const files = readdirSync(dir).map((name) => ({ name, bytes: new Uint8Array(readFileSync(`${dir}/${name}`)) }));
  return loadBackbone(files, { name: 'nsfwjs@4.4.0 mobilenet_v2 (MobileNetV2 1.0)' });
}

/** `batches` timed feature batches of `batch` seeded 224-px images (float32 0..1), features read back. */
export async function benchFeaturePass(backbone: Backbone, batch: number, batches: number, warmup: number): Promise<TimedRun> {
  const S = backbone.identity.inputSize;
  const random = mulberry32(2);
  const pixels = tf.tensor4d(
    Float32Array.from({ length: batch * S * S * 3 }, () => random()),
    [batch, S, S, 3],
  );
  try {
    return await timeSteps(batches, warmup, async () => {
      const f = extractFeatures(backbone, pixels);
      await f.data();
      f.dispose();
      return f.shape[1];
    });
  } finally {
    pixels.dispose();
  }
}
