// Real pretrained weights through the loader: the nsfwjs@4.4.0 fixture (devDependency, unwrapped
// in a sandbox by tests/fixtures/nsfwjs.ts) as a graph model (MobileNetV2 1.4) and a layers model
// (MobileNetV2 1.0): the pooled feature output is found by itself, with the published widths.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFeatures, loadBackbone } from '../../../src/model/backbone';
import { nsfwjsFileSet } from '../../fixtures/nsfwjs';

describe('nsfwjs fixture backbones (wasm: ~5 s here; the cpu backend took 86 s)', () => {
  beforeAll(async () => {
    setWasmPaths(`${path.resolve('node_modules/@tensorflow/tfjs-backend-wasm/dist')}/`);
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => tf.setBackend('cpu'));

  it.each([
    ['mobilenet_v2_mid', 'graph', 1792, /\/predict\/feature_vector\/SpatialSqueeze$/],
    ['mobilenet_v2', 'layers', 1280, /^flatten_1$/],
  ] as const)('%s: a %s model, %i-d features at the pooled output', async (model, kind, F, node) => {
    const files = nsfwjsFileSet(model);
    expect(files.map((f) => f.name)[0]).toBe('model.json');
    const b = await loadBackbone(files, { name: model });
    expect(b.identity).toMatchObject({ kind, inputSize: 224, range: '0,1', featureSize: F });
    expect(b.identity.outputNode).toMatch(node);
    // The head after the features is the 5-class classifier: narrower, so not chosen.
    expect(b.candidates.some((c) => c.shape.join() === '5')).toBe(true);
    const pixels = tf.tidy(() => tf.cast(tf.randomUniform([2, 224, 224, 3], 0, 255, 'float32', 1), 'int32')) as tf.Tensor4D;
    const f = extractFeatures(b, pixels);
    expect(f.shape).toEqual([2, F]);
    const values = f.dataSync();
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0); // pooled ReLU6 activations
    tf.dispose([pixels, f]);
    b.dispose();
  });
});
