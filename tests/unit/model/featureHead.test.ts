// The trainable image tower on cached backbone features, and the feature CLIP model's training
// step: parameter shapes, the forward pass against a plain matMul, seeded dropout masks, the loss
// going down on a seeded toy set, and no tensor growth across steps.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/data/random';
import { bowCounts, bowTextForward } from '../../../src/model/bagOfWords';
import { FeatureClipModel } from '../../../src/model/featureClip';
import { dropoutMaskData, featureHeadForward, featureHeadSpecs, type FeatureHeadConfig } from '../../../src/model/featureHead';
import { declareTextWeights, textTower } from '../../../src/model/clip';
import { createVariable, type ParamSpec } from '../../../src/model/params';

import { featureTrainStep } from '../../../src/train/featureStep';
import { AdamW } from '../../../src/train/optimizer';

/** Fresh seeded variables for `specs`, by name. */
function createParams(specs: ParamSpec[], seed: number): Map<string, tf.Variable> {
  return new Map(specs.map((spec) => [spec.name, createVariable(spec, seed)]));
}

const head = (hidden: number, dropout = 0): FeatureHeadConfig => ({ featureSize: 12, hidden, dropout, embedDim: 8 });

describe('featureHeadSpecs', () => {
  it.each([
    [
      'linear',
      0,
      [
        ['proj.image.kernel', [12, 8]],
        ['proj.image.bias', [8]],
      ],
    ],
    [
      'mlp',
      16,
      [
        ['image.head.fc.kernel', [12, 16]],
        ['image.head.fc.bias', [16]],
        ['proj.image.kernel', [16, 8]],
        ['proj.image.bias', [8]],
      ],
    ],
  ] as const)('%s', (_, hidden, want) => {
    expect(featureHeadSpecs(head(hidden)).map((s) => [s.name, s.shape])).toEqual(want);
  });
  it.each([
    [{ ...head(0), dropout: 1 }, /dropout in \[0, 1\), found 1/],
    [{ ...head(0), featureSize: 0 }, /featureSize a whole number >= 1, found 0/],
  ])('refuses %o', (cfg, msg) => expect(() => featureHeadSpecs(cfg)).toThrow(msg));
});

describe('featureHeadForward', () => {
  it('a linear head is features @ W + b; a wrong width is refused', () => {
    const params = createParams(featureHeadSpecs(head(0)), 3);
    const x = tf.randomNormal([5, 12], 0, 1, 'float32', 1) as tf.Tensor2D;
    const got = featureHeadForward(params, head(0), x);
    const want = tf.add(tf.matMul(x, params.get('proj.image.kernel')! as tf.Tensor2D), params.get('proj.image.bias')!);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0])).toBeLessThan(1e-6);
    expect(() => featureHeadForward(params, head(0), tf.zeros([2, 7]) as tf.Tensor2D)).toThrow(
      /expected features \[B, 12\], found \[2,7\]/,
    );
    tf.dispose([x, got, want, ...params.values()]);
  });

  it('dropout masks are seeded, 0 or 1/(1-p), and drop about p', () => {
    const a = dropoutMaskData(100, 50, 0.3, mulberry32(9));
    expect(dropoutMaskData(100, 50, 0.3, mulberry32(9))).toEqual(a);
    expect(new Set(a)).toEqual(new Set([0, Math.fround(1 / 0.7)]));
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(dropped).toBeGreaterThan(0.27);
    expect(dropped).toBeLessThan(0.33);
  });
});

describe('featureTrainStep', () => {
  it.each([
    ['linear, bow', 0, 'bow'],
    ['mlp with dropout, conv text', 16, 'conv'],
  ] as const)('%s: the loss falls and no tensor is left behind', async (_, hidden, textEncoder) => {
    // 8 classes: image features are a noisy one-hot of the class, captions name it with one word.
    const B = 8;
    const F = 12;
    const T = 4;
    const random = mulberry32(5);
    const features = new Float32Array(B * F);
    const tokens = new Float32Array(B * T);
    for (let i = 0; i < B; i++) {
      for (let f = 0; f < F; f++) features[i * F + f] = (f === i ? 1 : 0) + 0.1 * random();
      tokens[i * T] = 2 + i;
    }
    const model = FeatureClipModel.create(
      { textEncoder, maxTokens: T, textWidth: 8, textLayers: 1, textHeads: 1, embedDim: 8, matchHidden: 8, matchLossWeight: 1, seed: 1 },
      { ...head(hidden, hidden ? 0.1 : 0), featureSize: F },
      12,
    );
    const optimizer = new AdamW(model.trainableVariables(), { epsilon: 1e-7, weightDecay: 0.01 });
    const batch = { size: B, features, tokens };
    const lossAt = async (step: number) => {
      const loss = featureTrainStep(model, optimizer, batch, { lr: 0.02, step, read: true })!;
      const value = (await loss.data())[0];
      loss.dispose();
      return value;
    };
    const first = await lossAt(0);
    const before = tf.memory().numTensors;
    let last = first;
    for (let step = 1; step < 40; step++) last = await lossAt(step);
    expect(featureTrainStep(model, optimizer, batch, { lr: 0.02, step: 40, read: false })).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first * 0.5);
    optimizer.dispose();
    model.dispose();
  });
});

describe('bowCounts', () => {
  it("gives the text tower's 'bow' output through counts @ embedding (PAD and empty captions included)", () => {
    const V = 9;
    const T = 5;
    const tokens = Float32Array.from([3, 3, 7, 0, 0, 1, 2, 8, 4, 5, 0, 0, 0, 0, 0]); // [3, T]: repeated word, full, empty
    const cfg = { textEncoder: 'bow' as const, maxTokens: T, textWidth: 4, textLayers: 0, textHeads: 1, embedDim: 3 };
    const params = new Map<string, tf.Variable>();
    const text = declareTextWeights(cfg, V, (spec) => {
      const v = createVariable(spec, 2);
      params.set(spec.name, v);
      return v;
    });
    const counts = bowCounts(tokens, 3, T, V);
    expect(Array.from(counts.subarray(0, V)).map((x) => +x.toFixed(6))).toEqual([0, 0, 0, 0.666667, 0, 0, 0, 0.333333, 0]);
    const want = textTower(text, tf.tensor2d(tokens, [3, T]), cfg.textHeads);
    const got = bowTextForward(params, tf.tensor2d(counts, [3, V]));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0])).toBeLessThan(1e-6);
    tf.dispose([want, got, ...params.values()]);
  });
});
