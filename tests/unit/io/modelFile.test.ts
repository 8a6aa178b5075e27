// The clip-lab model file: a checkpoint from a real training step round-trips bit for bit, an
// independent reader sees the documented tensor names and metadata keys, training resumes from
// the decoded file exactly, and every kind of bad file is refused with its own code, untouched.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, withOverrides, type TrainConfig } from '../../../src/config';
import { mulberry32 } from '../../../src/data/random';
import { Tokenizer } from '../../../src/data/tokenizer';
import { ModelFileError, type ModelFileErrorCode } from '../../../src/io/errors';
import { decodeModelFile, describeModelFile, encodeModelFile, MODEL_FILE_FORMAT, MODEL_FILE_VERSION } from '../../../src/io/modelFile';
import { MAX_HISTORY_ENTRIES } from '../../../src/io/modelFileMetadata';
import { readSafetensors, writeSafetensors } from '../../../src/io/safetensors';
import { ClipModel } from '../../../src/model/clip';
import { AdamW } from '../../../src/train/optimizer';
import { readStep, trainStep, type TrainBatch } from '../../../src/train/step';
import {
  CHECKPOINT_VERSION,
  type Checkpoint,
  type EvalMetrics,
  type MatchEvalMetrics,
  type SerializedTensor,
  type StepMetrics,
} from '../../../src/train/types';
import { referenceRead } from './helpers';
import { hostileModelFiles } from './hostileFiles';

const CAPTIONS = ['a red circle', 'a blue square', 'two green triangles', 'a red square on blue'];
const DOCUMENTED_KEYS = [
  'batch_in_epoch',
  'checkpoint_version',
  'config',
  'created_at',
  'dataset_name',
  'epoch',
  'format',
  'format_version',
  'metrics',
  'preprocessing',
  'step',
  'vocab',
];

function seededFloats(seed: number, length: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => random());
}

function batchFor(config: TrainConfig, tokenizer: Tokenizer): TrainBatch {
  const S = config.imageSize;
  return {
    size: CAPTIONS.length,
    images: seededFloats(7, CAPTIONS.length * S * S * 3),
    tokens: tokenizer.encodeBatch(CAPTIONS, config.maxTokens),
  };
}

function stepMetrics(step: number, overrides: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step,
    epoch: 0,
    loss: 2.5 - step * 1e-3,
    clipLoss: 1.25,
    matchLoss: 0.625,
    accI2T: 0.25,
    accT2I: 0.5,
    matchAcc: 0.75,
    posSim: 0.125,
    negSim: -0.0625,
    logitScale: 14.285714,
    lr: 0.003,
    pairsPerSec: 812.5,
    msPerStep: 19.7,
    ...overrides,
  };
}

const EVAL: EvalMetrics = {
  step: 1,
  epoch: 0,
  valLoss: 1.3862943611198906,
  i2t: { r1: 0.5, r5: 1, r10: 1, medianRank: 1.5 },
  t2i: { r1: 0.25, r5: 0.75, r10: 1, medianRank: 2 },
  matchAcc: null,
  auc: 0.8125,
  match: null,
  images: 4,
  captions: 4,
};

/** A checkpoint the way the trainer takes one: after a real AdamW step on a tiny batch. */
async function trainedCheckpoint(model: ClipModel, optimizer: AdamW, tokenizer: Tokenizer): Promise<Checkpoint> {
  const config = model.config;
  const readout = await readStep(
    trainStep(model, optimizer, batchFor(config, tokenizer), { lr: 3e-3, step: 0, read: true })!,
    CAPTIONS.length,
  );
  return {
    version: CHECKPOINT_VERSION,
    config,
    vocab: [...tokenizer.vocab],
    step: 1,
    epoch: 0,
    batchInEpoch: 1,
    weights: await model.getWeights(),
    optimizer: await optimizer.getState(),
    history: { steps: [stepMetrics(1, { loss: readout.loss, clipLoss: readout.clipLoss, matchLoss: readout.matchLoss })], evals: [EVAL] },
    datasetName: 'shapes (synthetic)',
    createdAt: '2025-03-04T10:15:42.123Z',
  };
}

/** An untrained checkpoint for any config (no optimizer state). */
async function freshCheckpoint(config: TrainConfig, vocab: string[]): Promise<Checkpoint> {
  const model = ClipModel.create(config, vocab.length);
  const weights = await model.getWeights();
  model.dispose();
  return {
    version: CHECKPOINT_VERSION,
    config,
    vocab,
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    weights,
    optimizer: [],
    history: { steps: [], evals: [] },
    datasetName: 'x',
    createdAt: new Date(0).toISOString(),
  };
}

const bytesOf = (t: { data: ArrayBufferView }) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

/** Index of the first differing byte, -1 when equal (vitest's toEqual is slow on large typed arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSameTensors(actual: readonly SerializedTensor[], expected: readonly SerializedTensor[]): void {
  expect(actual.map((t) => [t.name, t.shape, t.dtype])).toEqual(expected.map((t) => [t.name, t.shape, t.dtype]));
  actual.forEach((t, i) => {
    expect(t.data.constructor).toBe(expected[i].data.constructor);
    expect(firstDifference(bytesOf(t), bytesOf(expected[i])), t.name).toBe(-1);
  });
}

function expectSameCheckpoint(actual: Checkpoint, expected: Checkpoint): void {
  const { weights, optimizer, ...meta } = actual;
  const { weights: w, optimizer: o, ...expectedMeta } = expected;
  expect(meta).toEqual(expectedMeta);
  expectSameTensors(weights, w);
  expectSameTensors(optimizer, o);
}

const tokenizer = Tokenizer.build(CAPTIONS, { maxVocab: PRESETS.tiny.vocabSize, minCount: 1 });
let model: ClipModel;
let optimizer: AdamW;
let ckpt: Checkpoint;
let file: Uint8Array;

beforeAll(async () => {
  const config = PRESETS.tiny;
  model = ClipModel.create(config, tokenizer.size);
  optimizer = new AdamW(model.trainableVariables(), { epsilon: config.adamEpsilon, weightDecay: config.weightDecay });
  ckpt = await trainedCheckpoint(model, optimizer, tokenizer);
  file = encodeModelFile(ckpt);
});

afterAll(() => {
  model.dispose();
  optimizer.dispose();
});

describe('encodeModelFile → decodeModelFile', () => {
  it('round-trips a trained checkpoint bit for bit: every weight, moment, the step count and all metadata', () => {
    expect(ckpt.optimizer.some((s) => s.name.startsWith('m/') && bytesOf(s).some((b) => b !== 0))).toBe(true); // real moments
    expectSameCheckpoint(decodeModelFile(file), ckpt);
  });

  it('decodes from an ArrayBuffer and from a view into a larger buffer', () => {
    expectSameCheckpoint(decodeModelFile(file.slice().buffer), ckpt);
    const padded = new Uint8Array(file.length + 13);
    padded.set(file, 5);
    expectSameCheckpoint(decodeModelFile(padded.subarray(5, 5 + file.length)), ckpt);
  });

  it('is read by an independent safetensors reader: documented tensor names, dtypes, values and metadata keys', () => {
    const { headerLength, metadata, tensors } = referenceRead(file);
    expect(headerLength % 8).toBe(0);
    const specs = ClipModel.weightSpecs(ckpt.config, ckpt.vocab.length);
    const optimizerNames = [...specs.flatMap((s) => [`optimizer/m/${s.name}`, `optimizer/v/${s.name}`]), 'optimizer/step'];
    expect([...tensors.keys()].sort()).toEqual([...specs.map((s) => s.name), ...optimizerNames].sort());
    expect(tensors.get('image.conv0.kernel')).toMatchObject({ dtype: 'F32', shape: [3, 3, 3, 8] });
    expect(tensors.get('logit_scale')).toMatchObject({ dtype: 'F32', shape: [] });
    expect(tensors.get('optimizer/step')).toMatchObject({ dtype: 'I32', shape: [], values: [1] });
    const asBytes = (values: number[], like: SerializedTensor) =>
      bytesOf({ data: like.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values) });
    for (const w of ckpt.weights) expect(firstDifference(asBytes(tensors.get(w.name)!.values, w), bytesOf(w)), w.name).toBe(-1);
    for (const s of ckpt.optimizer)
      expect(firstDifference(asBytes(tensors.get(`optimizer/${s.name}`)!.values, s), bytesOf(s)), s.name).toBe(-1);

    expect(Object.keys(metadata).sort()).toEqual(DOCUMENTED_KEYS);
    expect(Object.values(metadata).every((v) => typeof v === 'string')).toBe(true);
    expect(metadata).toMatchObject({
      format: 'clip-lab',
      format_version: '3',
      checkpoint_version: '1',
      step: '1',
      epoch: '0',
      batch_in_epoch: '1',
      dataset_name: 'shapes (synthetic)',
      created_at: '2025-03-04T10:15:42.123Z',
    });
    expect(MODEL_FILE_FORMAT).toBe('clip-lab');
    expect(MODEL_FILE_VERSION).toBe(3);
    expect(JSON.parse(metadata.config)).toEqual(PRESETS.tiny);
    expect(JSON.parse(metadata.vocab)).toEqual(['<pad>', '<unk>', ...tokenizer.vocab.slice(2)]);
    expect(JSON.parse(metadata.metrics)).toEqual(ckpt.history);
    expect(JSON.parse(metadata.preprocessing)).toMatchObject({
      imageSize: 32,
      decoder: 'browser',
      crop: 'center-square',
      channels: 'RGB',
      layout: 'NHWC',
      stored: { side: 128, resample: 'canvas-high-quality' },
      resize: { shrink: 'area', enlarge: 'bilinear' },
      range: { divide: 255 },
      normalisation: { mean: [0.48145466, 0.4578275, 0.40821073] },
      text: { maxTokens: 12 },
    });
  });

  it("says in preprocessing that the Node trainer's pixels come from jpeg-js and exact area averaging", () => {
    const spec = JSON.parse(referenceRead(encodeModelFile(ckpt, { pipeline: 'node' })).metadata.preprocessing) as Record<string, unknown>;
    expect(spec).toMatchObject({ decoder: 'libjpeg-turbo-wasm+pngjs', stored: { side: 128, resample: 'area' } });
  });

  it('still reads a format version 1 file, whose preprocessing is prose', () => {
    const { tensors, metadata } = readSafetensors(file);
    const v1 = writeSafetensors(tensors, {
      ...metadata,
      format_version: '1',
      preprocessing: JSON.stringify({ resize: 'bilinear, high quality' }),
    });
    expectSameCheckpoint(decodeModelFile(v1), ckpt);
  });

  it('carries the calibration as an optional metadata field; a file without it reads as uncalibrated', () => {
    const calibration = { method: 'platt' as const, a: 1.75, b: -0.625, step: 12, eceCalibrated: 0.031 };
    const withCal = encodeModelFile({ ...ckpt, calibration });
    expect(JSON.parse(referenceRead(withCal).metadata.calibration)).toEqual(calibration);
    expect(decodeModelFile(withCal).calibration).toEqual(calibration);
    expect(
      decodeModelFile(encodeModelFile({ ...ckpt, calibration: { ...calibration, eceCalibrated: NaN } })).calibration?.eceCalibrated,
    ).toBeNaN();
    expect(referenceRead(file).metadata).not.toHaveProperty('calibration');
    expect(decodeModelFile(file).calibration ?? null).toBeNull();
  });

  it.each([
    { method: 'stacked' as const, wz: -0.125, wc: 7.5, b: -2.25, step: 30, eceCalibrated: 0.055 },
    { method: 'platt' as const, a: 0.5, b: 1, step: 3, eceCalibrated: 0.04 },
  ])('carries a $method calibration unchanged through the file', (calibration) => {
    const withCal = encodeModelFile({ ...ckpt, calibration });
    expect(JSON.parse(referenceRead(withCal).metadata.calibration)).toEqual(calibration);
    expect(decodeModelFile(withCal).calibration).toEqual(calibration);
    // Version-2 files were written with either method before the bump to 3: both still read.
    const { tensors, metadata } = readSafetensors(withCal);
    expect(decodeModelFile(writeSafetensors(tensors, { ...metadata, format_version: '2' })).calibration).toEqual(calibration);
  });

  it.each([
    ['not JSON', '{a', /calibration.*not valid JSON/],
    ['another method', '{"method":"temperature","a":1,"b":0,"step":1}', /method: expected 'stacked' or 'platt', found "temperature"/],
    [
      'a stacked one without its cosine weight',
      '{"method":"stacked","wz":1,"b":0,"step":1}',
      /wc: expected a finite number, found nothing/,
    ],
    [
      'a stacked one with a string weight',
      '{"method":"stacked","wz":"1","wc":2,"b":0,"step":1}',
      /wz: expected a finite number, found "1"/,
    ],
    ['a stacked one with a non-finite offset', '{"method":"stacked","wz":1,"wc":2,"b":"NaN","step":1}', /b: expected a finite number/],
    ['a non-finite slope', '{"method":"platt","a":"Infinity","b":0,"step":1}', /a: expected a finite number/],
    ['a missing offset', '{"method":"platt","a":1,"step":1}', /b: expected a finite number/],
    ['a negative step', '{"method":"platt","a":1,"b":0,"step":-1}', /step: expected a step count/],
  ])('refuses a calibration with %s', (_what, value, message) => {
    const { tensors, metadata } = readSafetensors(file);
    expectRefused(writeSafetensors(tensors, { ...metadata, calibration: value }), 'bad-header', message);
  });

  it('leaves the optimizer state out when asked, and decodes it as []', () => {
    const small = encodeModelFile(ckpt, { includeOptimizer: false });
    expect([...referenceRead(small).tensors.keys()].filter((n) => n.startsWith('optimizer/'))).toEqual([]);
    expect(small.length).toBeLessThan(file.length / 2);
    const decoded = decodeModelFile(small);
    expect(decoded.optimizer).toEqual([]);
    expectSameTensors(decoded.weights, ckpt.weights);
  });

  it('lets training continue from the file exactly as from the live model and optimizer', async () => {
    const decoded = decodeModelFile(file);
    const restored = ClipModel.create(decoded.config, decoded.vocab.length);
    const restoredOpt = new AdamW(restored.trainableVariables(), {
      epsilon: decoded.config.adamEpsilon,
      weightDecay: decoded.config.weightDecay,
    });
    restored.setWeights(decoded.weights);
    restoredOpt.setState(decoded.optimizer);
    const batch = batchFor(decoded.config, Tokenizer.fromVocab(decoded.vocab));
    for (const [m, o] of [
      [model, optimizer],
      [restored, restoredOpt],
    ] as const) {
      trainStep(m, o, batch, { lr: 3e-3, step: 1, read: false });
    }
    expectSameTensors(await restored.getWeights(), await model.getWeights());
    expectSameTensors(await restoredOpt.getState(), await optimizer.getState());
    restored.dispose();
    restoredOpt.dispose();
  });

  it.each<[string, Partial<TrainConfig>]>([
    ['transformer text encoder', { textEncoder: 'transformer', textLayers: 2, textHeads: 4 }],
    ['bag-of-words text, no match classifier', { textEncoder: 'bow', matchHidden: 0, matchLossWeight: 0 }],
    ['an image fc layer', { imageWidth: 24, convChannels: [4, 8] }],
  ])('round-trips a model with %s, its weights named by weightSpecs', async (_, overrides) => {
    const config = withOverrides('tiny', overrides);
    const fresh = await freshCheckpoint(config, [...tokenizer.vocab]);
    const bytes = encodeModelFile(fresh);
    expect([...referenceRead(bytes).tensors.keys()]).toEqual(ClipModel.weightSpecs(config, tokenizer.size).map((s) => s.name));
    expectSameCheckpoint(decodeModelFile(bytes), fresh);
  });

  it(`keeps at most ${MAX_HISTORY_ENTRIES} step entries, first and last included, and non-finite values exactly`, () => {
    const steps = Array.from({ length: 5003 }, (_, i) => stepMetrics(i + 1, { matchLoss: null }));
    steps[0] = stepMetrics(1, { pairsPerSec: Infinity, msPerStep: NaN, negSim: -Infinity });
    const decoded = decodeModelFile(encodeModelFile({ ...ckpt, history: { steps, evals: [EVAL] } }));
    expect(decoded.history.steps).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(decoded.history.steps[0]).toEqual(steps[0]); // toEqual treats NaN as equal to NaN
    expect(Number.isNaN(decoded.history.steps[0].msPerStep)).toBe(true);
    expect(decoded.history.steps.at(-1)).toEqual(steps.at(-1));
    const kept = decoded.history.steps.map((s) => s.step);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(new Set(kept).size).toBe(MAX_HISTORY_ENTRIES);
    expect(decoded.history.evals).toEqual([EVAL]);
  });

  it('keeps the match metrics, with the stacked calibration’s fields or (older files) without them', () => {
    const older: MatchEvalMetrics = {
      aucRandom: 0.9,
      aucHard: 0.6,
      cosineAuc: 0.8,
      cosineAucRandom: 0.91,
      cosineAucHard: 0.55,
      ece: 0.2,
      eceCalibrated: 0.05,
      plattA: 0.04,
      plattB: 1,
      binCount: [1, 0],
      binConfidence: [0.25, null],
      binAccuracy: [0, null],
    };
    const stacked: MatchEvalMetrics = {
      ...older,
      stackWz: -0.125,
      stackWc: 7,
      stackB: -2,
      calibratedAucRandom: 0.913,
      calibratedAucHard: 0.06,
    };
    for (const match of [older, stacked]) {
      const evals = [{ ...EVAL, match }];
      const decoded = decodeModelFile(encodeModelFile({ ...ckpt, history: { steps: [], evals } }));
      expect(decoded.history.evals).toEqual(evals);
      expect(Object.keys(decoded.history.evals[0].match!).sort()).toEqual(Object.keys(match).sort());
    }
  });

  it('takes the dataset name from the options when given', () => {
    expect(decodeModelFile(encodeModelFile(ckpt, { datasetName: 'Flickr8k' })).datasetName).toBe('Flickr8k');
  });

  it('summarises a file for the UI: preset, image tower, text encoder, dataset, step and creation time', () => {
    expect(describeModelFile(ckpt)).toBe(
      `tiny preset · CNN from scratch, ${ckpt.config.imageSize} px, channels ${ckpt.config.convChannels.join('-')} · 1-D conv text · dataset 'shapes (synthetic)' · step 1 (epoch 0) · created 2025-03-04 10:15 UTC`,
    );
    expect(describeModelFile({ ...ckpt, datasetName: '' })).toContain('unnamed dataset');
    const backbone = {
      name: 'MobileNetV2 (ImageNet)',
      kind: 'layers',
      sha256: 'b'.repeat(64),
      inputSize: 224,
      range: '-1,1',
      outputNode: 'out_relu',
      featureSize: 1280,
    } as const;
    const pretrained = { ...ckpt.config, imageTower: 'backbone', backbone, headHidden: 256, headDropout: 0.2, flipViews: false } as const;
    expect(describeModelFile({ ...ckpt, config: pretrained })).toContain(
      ' · MobileNetV2 (ImageNet), frozen, 1280 features → head with 256 hidden units, dropout 0.2 · ',
    );
  });
});

// ------------------------------------------------------------------------------------- refusals

function refusal(run: () => unknown): ModelFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ModelFileError) return error;
    throw new Error(`expected a ModelFileError, got ${String(error)}`);
  }
  throw new Error('expected a ModelFileError, but nothing was thrown');
}

/** Refused with `code`, the input bytes untouched and no tensor left behind. */
function expectRefused(bytes: Uint8Array, code: ModelFileErrorCode, message: RegExp, limits?: { maxFileBytes?: number }): void {
  const before = bytes.slice();
  const tensors = tf.memory().numTensors;
  const error = refusal(() => decodeModelFile(bytes, limits));
  expect({ code: error.code, message: error.message }).toMatchObject({ code, message: expect.stringMatching(message) });
  expect(firstDifference(bytes, before)).toBe(-1);
  expect(tf.memory().numTensors).toBe(tensors);
}

describe('decodeModelFile refuses bad files with a specific code and no side effects', () => {
  it.each(hostileModelFiles(() => file, tokenizer.vocab))('%s', (_, make, code, message) => {
    expectRefused(make(), code, message);
  });

  it('refuses a file above maxFileBytes before reading it', () => {
    expectRefused(file, 'too-large', new RegExp(`the file has ${file.length} bytes .* but at most 1000 `), { maxFileBytes: 1000 });
    expect(decodeModelFile(file, { maxFileBytes: file.length }).step).toBe(1); // the bound is inclusive
  });
});

describe('encodeModelFile refuses what the reader would refuse', () => {
  const nanWeights = () => ckpt.weights.map((w) => (w.name === 'logit_scale' ? { ...w, data: Float32Array.of(NaN) } : w));
  it.each<[string, () => Checkpoint, ModelFileErrorCode, RegExp]>([
    ['a NaN weight', () => ({ ...ckpt, weights: nanWeights() }), 'bad-tensor', /'logit_scale': value 0 of 1 is NaN/],
    ['a missing weight', () => ({ ...ckpt, weights: ckpt.weights.slice(1) }), 'missing-tensor', /'image\.conv0\.kernel'/],
    ['an invalid config', () => ({ ...ckpt, config: { ...ckpt.config, batchSize: 1 } }), 'bad-config', /config\.batchSize/],
    ['a vocab that does not match the weights', () => ({ ...ckpt, vocab: ckpt.vocab.slice(0, -1) }), 'shape-mismatch', /'text\.embedding'/],
  ])('%s', (_, make, code, message) => {
    const error = refusal(() => encodeModelFile(make()));
    expect({ code: error.code, message: error.message }).toMatchObject({ code, message: expect.stringMatching(message) });
  });
});
