// Backbone loading and feature extraction on a tiny layers model generated here (seeded) and
// saved to memory as a standard TF.js file set: output found, identity, flip / resize / range,
// explicit node override, typed errors, no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BackboneError,
  extractFeatures,
  loadBackbone,
  manifestBytes,
  readFileSet,
  sha256Hex,
  type BackboneFile,
} from '../../../src/model/backbone';
import { pickFeatureOutput, topologicalOrder, type FeatureCandidate } from '../../../src/model/backboneOutput';
import { tinyModelFiles, tinyNoTopFiles } from '../../fixtures/tinyBackbone';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

/** The pooled features the loader should find: mean over space of relu(conv(x)). */
function expected(model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(model.getLayer('conv').apply(x) as tf.Tensor4D, [1, 2]) as tf.Tensor2D);
}

describe('loadBackbone on a generated layers model', () => {
  let files: BackboneFile[];
  let ref: tf.LayersModel;
  beforeAll(async () => ({ files, model: ref } = await tinyModelFiles()));

  it('finds the pooled output, reads the input size and hashes the files', async () => {
    const b = await loadBackbone(files, { name: 'tiny' });
    expect(b.identity).toEqual({
      name: 'tiny',
      kind: 'layers',
      sha256: await sha256Hex(files.map((f) => f.bytes)),
      inputSize: 16,
      range: '0,1',
      outputNode: 'drop',
      featureSize: 256,
    });
    expect(b.identity.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.candidates.map((c) => c.node)).toEqual(['conv', 'pool', 'drop', 'head']);
    b.dispose();
  });

  it('extracts [N, F] features equal to the reference, from uint8 or float pixels, without leaking', async () => {
    const b = await loadBackbone(files);
    const x = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const bytes = tf.tidy(() => tf.round(tf.mul(x, 255)).toInt()) as tf.Tensor4D;
    extractFeatures(b, x).dispose(); // warm-up
    const before = tf.memory().numTensors;
    const f = extractFeatures(b, x);
    const fromBytes = extractFeatures(b, bytes);
    const want = expected(ref, x);
    expect(f.shape).toEqual([3, 256]);
    expect(maxDiff(f, want)).toBeLessThan(1e-5);
    expect(maxDiff(fromBytes, want)).toBeLessThan(2e-2); // 1/255 quantisation
    tf.dispose([f, fromBytes, want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, bytes]);
    b.dispose();
  });

  it.each([
    ['flip', 16, { flip: true }, (x: tf.Tensor4D) => tf.reverse(x, 2)],
    ['resize 32 -> 16', 32, {}, (x: tf.Tensor4D) => tf.image.resizeBilinear(x, [16, 16], false, true)],
  ] as const)('%s', async (_, side, opts, view) => {
    const b = await loadBackbone(files);
    const x = tf.randomUniform([2, side, side, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const f = extractFeatures(b, x, opts);
    const want = expected(ref, view(x) as tf.Tensor4D);
    expect(maxDiff(f, want)).toBeLessThan(1e-5);
    tf.dispose([x, f, want]);
    b.dispose();
  });

  it("range '-1,1' feeds 2x - 1", async () => {
    const b = await loadBackbone(files, { range: '-1,1' });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const f = extractFeatures(b, x);
    const want = expected(ref, tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D);
    expect(maxDiff(f, want)).toBeLessThan(1e-5);
    tf.dispose([x, f, want]);
    b.dispose();
  });

  it('an explicit feature-map node is mean-pooled; an unknown node is refused', async () => {
    const b = await loadBackbone(files, { outputNode: 'conv' });
    expect(b.identity).toMatchObject({ outputNode: 'conv', featureSize: 256 });
    b.dispose();
    await expect(loadBackbone(files, { outputNode: 'nope' })).rejects.toMatchObject({ code: 'unknown-node' });
  });

  it.each([
    ['no model.json', (f: BackboneFile[]) => f.slice(1), 'missing-file'],
    ['no weights', (f: BackboneFile[]) => f.slice(0, 1), 'missing-file'],
    ['not JSON', (f: BackboneFile[]) => [{ name: 'model.json', bytes: new TextEncoder().encode('{oops') }, f[1]], 'bad-model-json'],
  ])('%s -> BackboneError %s', async (_, edit, code) => {
    const err = await loadBackbone(edit(files)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackboneError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(/expected|names weight file/);
  });

  it('a model with an open input size asks for it, and takes it', async () => {
    const open = await tinyModelFiles([null, null, 3]);
    await expect(loadBackbone(open.files)).rejects.toMatchObject({ code: 'unknown-input-size' });
    const b = await loadBackbone(open.files, { inputSize: 20 });
    expect(b.identity).toMatchObject({ inputSize: 20, featureSize: 256, outputNode: 'drop' });
    b.dispose();
  });

  it('the hash changes when one weight byte does', async () => {
    const bytes = files[1].bytes.slice();
    bytes[10] ^= 1;
    const b = await loadBackbone([files[0], { name: 'weights.bin', bytes }]);
    expect(b.identity.sha256).not.toBe(await sha256Hex(files.map((f) => f.bytes)));
    b.dispose();
  });
});

describe("a 'no top' model ending in a feature map (Teachable Machine's MobileNetV2)", () => {
  it('picks the last feature map, pools it by a global average, and records the source URL', async () => {
    const { files, model } = await tinyNoTopFiles();
    const source = 'https://storage.googleapis.com/x/model.json';
    const b = await loadBackbone(files, { range: '-1,1', source });
    expect(b.identity).toMatchObject({ outputNode: 'out_relu', featureSize: 256, inputSize: 16, range: '-1,1', source });
    expect(b.candidates.map((c) => [c.node, c.shape])).toEqual([
      ['conv1', [8, 8, 8]],
      ['out_relu', [4, 4, 256]],
    ]);
    const x = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    extractFeatures(b, x).dispose(); // warm-up
    const before = tf.memory().numTensors;
    const f = extractFeatures(b, x);
    const want = tf.tidy(() => tf.mean(model.predict(tf.sub(tf.mul(x, 2), 1)) as tf.Tensor4D, [1, 2]));
    expect(f.shape).toEqual([3, 256]);
    expect(maxDiff(f, want)).toBeLessThan(1e-5);
    tf.dispose([f, want]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x]);
    b.dispose();
    model.dispose();
  });

  it('a no-top model with maps narrower than 256 channels is refused, saying what it found', async () => {
    const { files, model } = await tinyNoTopFiles(32);
    model.dispose();
    await expect(loadBackbone(files)).rejects.toThrow(/out_relu \[4, 4, 32\]/);
  });
});

describe('weight bytes from the manifest', () => {
  const w = (name: string, dtype: string, shape: number[], quantDtype?: string) =>
    ({
      name,
      dtype,
      shape,
      ...(quantDtype ? { quantization: { dtype: quantDtype, min: 0, scale: 1 } } : {}),
    }) as tf.io.WeightsManifestEntry;
  it.each([
    ['float32 [3, 3, 3, 8] + [8]', [w('k', 'float32', [3, 3, 3, 8]), w('b', 'float32', [8])], 4 * 216 + 4 * 8],
    ['uint8-quantised float32 [10, 10]', [w('k', 'float32', [10, 10], 'uint8')], 100],
    ['float16-quantised [5] + int32 scalar', [w('k', 'float32', [5], 'float16'), w('i', 'int32', [])], 10 + 4],
  ])('%s', (_, weights, bytes) => {
    expect(manifestBytes([{ paths: ['a.bin'], weights }])).toEqual([bytes]);
  });
  it('refuses a string weight, which it cannot size', () => {
    expect(() => manifestBytes([{ paths: ['a.bin'], weights: [w('s', 'string', [2])] }])).toThrow(/expected a numeric dtype/);
  });

  it.each([
    ['one byte short', (b: Uint8Array) => b.slice(0, -1)],
    ['one byte over', (b: Uint8Array) => new Uint8Array([...b, 0])],
    ['an HTML page', () => new TextEncoder().encode('<html>Not Found</html>')],
  ])('a weight file %s is refused as truncated or foreign', async (_, edit) => {
    const { files, model } = await tinyModelFiles();
    model.dispose();
    const bad = [files[0], { name: 'weights.bin', bytes: edit(files[1].bytes) }];
    expect(() => readFileSet(bad)).toThrow(BackboneError);
    expect(() => readFileSet(bad)).toThrow(/weights\.bin: expected \d+ bytes of weights, found \d+/);
    expect(readFileSet(files).shards[0].length).toBe(files[1].bytes.length);
  });
});

describe('pickFeatureOutput', () => {
  const c = (node: string, op: string, ...shape: number[]): FeatureCandidate => ({ node, op, shape });
  const chain = (from: string, to: string) => to === `${from}+`; // 'p+' reads 'p'
  it.each([
    [
      'GAP then flatten then dense',
      [c('a', 'AddV2', 7, 7, 320), c('p', 'Mean', 1280), c('p+', 'Flatten', 1280), c('d', 'Dense', 256)],
      'p+',
    ],
    ['squeeze then classifier', [c('s', 'Squeeze', 1792), c('m', '_FusedMatMul', 5), c('o', 'Softmax', 5)], 's'],
    ['logits-only tail of an ImageNet net', [c('g', 'Mean', 1024), c('r', 'Reshape', 1, 1, 1024), c('l', 'Reshape', 1000)], 'g'],
    ['a feature-vector model', [c('x', 'AddV2', 7, 7, 96), c('fv', 'Identity', 1280)], 'fv'],
  ])('%s', (_, candidates, want) => {
    expect(pickFeatureOutput(candidates, chain).node).toBe(want);
  });
  it('says what it found when nothing is wide enough', () => {
    expect(() => pickFeatureOutput([c('d', 'Dense', 5)], chain)).toThrow(/expected a node with output \[N, F\], F >= 256, found d \[5\]/);
  });
});

describe('topologicalOrder', () => {
  it('puts inputs first, ignores control-input marks and output indices, keeps file order otherwise', () => {
    const nodes = [
      { name: 'c', op: 'Add', input: ['b:0', '^a'] },
      { name: 'a', op: 'Placeholder' },
      { name: 'b', op: 'Relu', input: ['a'] },
      { name: 'd', op: 'Const' },
    ];
    expect(topologicalOrder(nodes).map((n) => n.name)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('loadBackbone frees what it loaded when it refuses', () => {
  it('no tensors are left after an unknown-input-size refusal', async () => {
    const open = await tinyModelFiles([null, null, 3]);
    open.model.dispose();
    const before = tf.memory().numTensors;
    await expect(loadBackbone(open.files)).rejects.toMatchObject({ code: 'unknown-input-size' });
    expect(tf.memory().numTensors).toBe(before);
  });
});
