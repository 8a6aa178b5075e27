import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withOverrides, type TrainConfig } from '../../../src/config';
import { ClipModel, LOGIT_SCALE_INIT, LOGIT_SCALE_MAX } from '../../../src/model/clip';
import { ModelError } from '../../../src/model/params';

const V = 20;
const variants: [string, Partial<TrainConfig>][] = [
  ['tiny (conv text, match head)', {}],
  ['bow, no match head, image fc', { textEncoder: 'bow', matchHidden: 0, imageWidth: 24 }],
  ['transformer', { textEncoder: 'transformer', textLayers: 2, textHeads: 4 }],
];

function images(B: number, S: number, seed = 1): tf.Tensor4D {
  return tf.randomUniform([B, S, S, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

describe('ClipModel weights', () => {
  it.each(variants)('%s: weightSpecs lists exactly what getWeights returns', async (_, overrides) => {
    const config = withOverrides('tiny', overrides);
    const model = ClipModel.create(config, V);
    const weights = await model.getWeights();
    expect(weights.map(({ name, shape, dtype }) => ({ name, shape, dtype }))).toEqual(ClipModel.weightSpecs(config, V));
    expect(weights.every((w) => w.data.length === w.shape.reduce((a, b) => a * b, 1))).toBe(true);
    expect([...model.trainableVariables().keys()]).toEqual(weights.map((w) => w.name));
    model.dispose();
  });

  it('uses stable readable names', () => {
    const names = ClipModel.weightSpecs(withOverrides('tiny'), V).map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'image.conv0.kernel',
        'image.conv2.bias',
        'proj.image.kernel',
        'text.embedding',
        'text.conv0.kernel',
        'proj.text.kernel',
        'logit_scale',
        'match.fc0.kernel',
        'match.fc1.bias',
      ]),
    );
    expect(ClipModel.weightSpecs(withOverrides('tiny'), V).find((s) => s.name === 'text.embedding')!.shape).toEqual([V, 32]);
  });

  it('initialises from the seed', async () => {
    const config = withOverrides('tiny');
    const [a, b, c] = [ClipModel.create(config, V), ClipModel.create(config, V), ClipModel.create({ ...config, seed: 2 }, V)];
    const [wa, wb, wc] = await Promise.all([a.getWeights(), b.getWeights(), c.getWeights()]);
    expect(wa).toEqual(wb);
    expect(wa[0].data).not.toEqual(wc[0].data);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('setWeights copies a model exactly', async () => {
    const config = withOverrides('tiny');
    const a = ClipModel.create(config, V);
    const b = ClipModel.create({ ...config, seed: 5 }, V);
    b.setWeights(await a.getWeights());
    const x = images(2, 32);
    expect(b.encodeImage(x).arraySync()).toEqual(a.encodeImage(x).arraySync());
    a.dispose();
    b.dispose();
  });

  it.each([
    ['a missing tensor', (w: { name: string }[]) => w.slice(1), /missing tensor 'image.conv0.kernel'/],
    [
      'an unexpected tensor',
      (w: { name: string }[]) => [...w, { name: 'extra', shape: [1], dtype: 'float32', data: new Float32Array(1) }],
      /unexpected tensor 'extra'/,
    ],
    [
      'a wrong shape',
      (w: { name: string; shape: number[] }[]) => w.map((t, i) => (i === 0 ? { ...t, shape: [3, 3, 3, 9] } : t)),
      /'image.conv0.kernel' expected shape \[3,3,3,8\], found \[3,3,3,9\]/,
    ],
  ] as const)('setWeights refuses %s and changes nothing', async (_, edit, message) => {
    const model = ClipModel.create(withOverrides('tiny'), V);
    const before = await model.getWeights();
    const bad = edit(before.map((w) => ({ ...w, data: new Float32Array(w.data.length).fill(0.5) })) as never);
    expect(() => model.setWeights(bad as never)).toThrow(ModelError);
    expect(() => model.setWeights(bad as never)).toThrow(message);
    expect(await model.getWeights()).toEqual(before);
    model.dispose();
  });

  it('logit_scale starts at ln(1/0.07) and is clamped at ln(100)', () => {
    const model = ClipModel.create(withOverrides('tiny'), V);
    expect(model.logitScale.dataSync()[0]).toBeCloseTo(LOGIT_SCALE_INIT, 6);
    model.logitScale.assign(tf.scalar(7));
    model.clampLogitScale();
    expect(model.logitScale.dataSync()[0]).toBeCloseTo(LOGIT_SCALE_MAX, 6);
    model.dispose();
  });
});

describe('ClipModel encoders', () => {
  it.each(variants)('%s: unit-norm embeddings, no leaked tensors', (_, overrides) => {
    const config = withOverrides('tiny', overrides);
    const model = ClipModel.create(config, V);
    const x = images(3, 32);
    const tokens = tf.tensor2d(
      Float32Array.from({ length: 3 * 12 }, (_, i) => (i % 5 === 4 ? 0 : (i % 7) + 2)),
      [3, 12],
    );
    const before = tf.memory().numTensors;
    const img = model.encodeImage(x);
    const txt = model.encodeText(tokens);
    expect(img.shape).toEqual([3, config.embedDim]);
    expect(txt.shape).toEqual([3, config.embedDim]);
    for (const e of [img, txt])
      tf.tidy(() => (tf.sum(tf.square(e), 1).arraySync() as number[]).forEach((n) => expect(n).toBeCloseTo(1, 5)));
    if (model.hasMatchHead) {
      const p = model.matchProbability(img, txt);
      expect(p.shape).toEqual([3]);
      p.arraySync().forEach((v) => expect(v > 0 && v < 1).toBe(true));
      p.dispose();
    } else {
      expect(() => model.matchLogits(img, txt)).toThrow(/no match classifier/);
    }
    const { logitsPerImage, logitsPerText } = model.logits(img, txt);
    expect(logitsPerText.arraySync()).toEqual(tf.tidy(() => tf.transpose(logitsPerImage).arraySync()));
    tf.dispose([img, txt, logitsPerImage, logitsPerText]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each(variants)('%s: PAD positions do not reach the text embedding', (_, overrides) => {
    const model = ClipModel.create(withOverrides('tiny', overrides), V);
    const tokens = tf.tensor2d([
      [3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    const before = model.encodeText(tokens).arraySync();
    const embedding = model.trainableVariables().get('text.embedding')!;
    embedding.assign(tf.concat([tf.fill([1, embedding.shape[1]!], 7), tf.slice(embedding, [1, 0], [-1, -1])]));
    const after = model.encodeText(tokens).arraySync();
    after.flat().forEach((v, i) => expect(v).toBeCloseTo(before.flat()[i], 5));
    model.dispose();
  });

  it.each([
    ['conv', true],
    ['transformer', true],
    ['bow', false],
  ] as const)('%s text encoder reads word order: %s', (kind, ordered) => {
    const model = ClipModel.create(withOverrides('tiny', { textEncoder: kind, textLayers: 1, textHeads: 2 }), V);
    const e = model
      .encodeText(
        tf.tensor2d([
          [3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0],
          [5, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ]),
      )
      .arraySync();
    const diff = Math.max(...e[0].map((v, i) => Math.abs(v - e[1][i])));
    if (ordered) expect(diff).toBeGreaterThan(1e-4);
    else expect(diff).toBeLessThan(1e-6);
    model.dispose();
  });

  it('conv2d and im2col image encoders agree on the same weights', () => {
    const model = ClipModel.create(withOverrides('tiny'), V);
    const x = images(2, 32);
    const a = model.encodeImage(x).arraySync();
    model.convImpl = 'im2col';
    const b = model.encodeImage(x).arraySync();
    a.flat().forEach((v, i) => expect(Math.abs(v - b.flat()[i])).toBeLessThan(1e-5));
    model.dispose();
  });

  it.each([
    ['images of the wrong size', (m: ClipModel) => m.encodeImage(images(1, 16)), /expected images \[B, 32, 32, 3\], found \[1,16,16,3\]/],
    [
      'int32 tokens',
      (m: ClipModel) => m.encodeText(tf.zeros([1, 12], 'int32') as tf.Tensor2D),
      /expected float32 tokens \[B, 12\], found int32/,
    ],
    ['tokens of the wrong length', (m: ClipModel) => m.encodeText(tf.zeros([1, 5]) as tf.Tensor2D), /found float32 \[1,5\]/],
  ])('refuses %s', (_, call, message) => {
    const model = ClipModel.create(withOverrides('tiny'), V);
    expect(() => call(model)).toThrow(ModelError);
    expect(() => call(model)).toThrow(message);
    model.dispose();
  });
});
