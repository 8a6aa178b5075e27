import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides, type MatchHeadKind } from '../../../src/config';
import { ClipModel } from '../../../src/model/clip';
import { rocAuc } from '../../../src/model/metrics';

const V = 20;

function unitRows(n: number, d: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, d], 0, 1, 'float32', seed);
    return tf.div(x, tf.norm(x, 2, 1, true)) as tf.Tensor2D;
  });
}

describe('match head variants (issue 9)', () => {
  it.each<[MatchHeadKind, number]>([
    ['mlp', 4 * 32],
    ['cosine-feature', 4 * 32 + 1],
    ['residual', 4 * 32],
  ])('%s: fc0 reads %i features', (kind, fanIn) => {
    const specs = ClipModel.weightSpecs(withOverrides('tiny', { matchHead: kind }), V);
    expect(specs.find((s) => s.name === 'match.fc0.kernel')!.shape).toEqual([fanIn, 32]);
  });

  it('residual: logit = exp(logit_scale)·cos + MLP, so with the MLP zeroed it is the scaled cosine', async () => {
    const model = ClipModel.create(withOverrides('tiny', { matchHead: 'residual' }), V);
    const weights = await model.getWeights();
    model.setWeights(weights.map((w) => (w.name === 'match.fc1.kernel' ? { ...w, data: new Float32Array(w.data.length) } : w)));
    const [u, v] = [unitRows(6, 32, 1), unitRows(6, 32, 2)];
    const logits = model.matchLogits(u, v).dataSync();
    const cos = tf.sum(tf.mul(u, v), 1).dataSync();
    const scale = Math.exp(model.logitScale.dataSync()[0]);
    cos.forEach((c, i) => expect(logits[i]).toBeCloseTo(scale * c, 4));
    model.dispose();
  });

  it('residual: an untrained head already ranks pairs nearly as cosine does', () => {
    const model = ClipModel.create(withOverrides('tiny', { matchHead: 'residual' }), V);
    const u = unitRows(200, 32, 3);
    const v = tf.tidy(() => {
      const mixed = tf.add(u, tf.mul(unitRows(200, 32, 4), 1.2)); // related captions: cos ~0.6
      return tf.div(mixed, tf.norm(mixed, 2, 1, true)) as tf.Tensor2D;
    });
    const w = unitRows(200, 32, 5); // unrelated: cos ~0
    const scores = tf.concat([model.matchLogits(u, v), model.matchLogits(u, w)]).dataSync();
    const labels = Array.from({ length: 400 }, (_, i) => (i < 200 ? 1 : 0));
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.95);
    model.dispose();
  });

  it.each([
    [false, true],
    [true, false],
  ])('detach %s: gradient reaches the embeddings: %s', (detach, flows) => {
    const model = ClipModel.create(withOverrides('tiny', { matchHead: 'residual', matchDetach: detach }), V);
    const [u, v] = [unitRows(4, 32, 6), unitRows(4, 32, 7)];
    const [gu, gv] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(model.matchLogits(a as tf.Tensor2D, b as tf.Tensor2D)))([u, v]);
    const norm = tf.add(tf.sum(tf.abs(gu)), tf.sum(tf.abs(gv))).dataSync()[0];
    expect(norm > 0).toBe(flows);
    // The head's own weights still learn, and logit_scale gets no gradient from the classifier.
    const { grads } = tf.variableGrads(() => tf.sum(model.matchLogits(u, v)) as tf.Scalar, [...model.trainableVariables().values()]);
    const byName = new Map([...model.trainableVariables()].map(([name, variable]) => [name, grads[variable.name]]));
    expect(tf.sum(tf.abs(byName.get('match.fc0.kernel')!)).dataSync()[0]).toBeGreaterThan(0);
    const scaleGrad = byName.get('logit_scale');
    expect(scaleGrad ? scaleGrad.dataSync()[0] : 0).toBe(0);
    model.dispose();
  });
});
