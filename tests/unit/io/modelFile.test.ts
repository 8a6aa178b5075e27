// The clip-lab model file: a checkpoint from a real training step round-trips bit for bit, an
// independent reader sees the documented tensor names and metadata keys, training resumes from
// the decoded file exactly, and every kind of bad file is refused with its own code, untouched.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, withOverrides, type TrainConfig } from '../../../src/config';
import { mulberry32 } from '../../../src/data/random';
import { Tokenizer } from '../../../src/data/tokenizer';
import { ModelFileError, type ModelFileErrorCode } from '../../../src/io/errors';
import {
  decodeModelFile, describeModelFile, encodeModelFile, MODEL_FILE_FORMAT, MODEL_FILE_VERSION,
} from '../../../src/io/modelFile';
import { MAX_HISTORY_ENTRIES } from '../../../src/io/modelFileMetadata';
import { readSafetensors, writeSafetensors, type SafeTensor } from '../../../src/io/safetensors';
import { ClipModel } from '../../../src/model/clip';
import { AdamW } from '../../../src/train/optimizer';
import { readStep, trainStep, type TrainBatch } from '../../../src/train/step';
import { CHECKPOINT_VERSION, type Checkpoint, type EvalMetrics, type SerializedTensor, type StepMetrics } from '../../../src/train/types';
import { buildFile, f32Bytes, referenceRead } from './helpers';

const CAPTIONS = ['a red circle', 'a blue square', 'two green triangles', 'a red square on blue'];
const DOCUMENTED_KEYS = [
  'batch_in_epoch', 'checkpoint_version', 'config', 'created_at', 'dataset_name', 'epoch', 'format',
  'format_version', 'metrics', 'preprocessing', 'step', 'vocab',
];

function seededFloats(seed: number, length: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length }, () => random());
}

function batchFor(config: TrainConfig, tokenizer: Tokenizer): TrainBatch {
  const S = config.imageSize;
  return { size: CAPTIONS.length, images: seededFloats(7, CAPTIONS.length * S * S * 3), tokens: tokenizer.encodeBatch(CAPTIONS, config.maxTokens) };
}

function stepMetrics(step: number, overrides: Partial<StepMetrics> = {}): StepMetrics {
  return {
    step, epoch: 0, loss: 2.5 - step * 1e-3, clipLoss: 1.25, matchLoss: 0.625, accI2T: 0.25, accT2I: 0.5, matchAcc: 0.75,
    posSim: 0.125, negSim: -0.0625, logitScale: 14.285714, lr: 0.003, pairsPerSec: 812.5, msPerStep: 19.7, ...overrides,
  };
}

const EVAL: EvalMetrics = {
  step: 1, epoch: 0, valLoss: 1.3862943611198906, i2t: { r1: 0.5, r5: 1, r10: 1, medianRank: 1.5 },
  t2i: { r1: 0.25, r5: 0.75, r10: 1, medianRank: 2 }, matchAcc: null, auc: 0.8125, images: 4, captions: 4,
};

/** A checkpoint the way the trainer takes one: after a real AdamW step on a tiny batch. */
async function trainedCheckpoint(model: ClipModel, optimizer: AdamW, tokenizer: Tokenizer): Promise<Checkpoint> {
  const config = model.config;
  const readout = await readStep(trainStep(model, optimizer, batchFor(config, tokenizer), { lr: 3e-3, step: 0, read: true })!, CAPTIONS.length);
  return {
    version: CHECKPOINT_VERSION, config, vocab: [...tokenizer.vocab], step: 1, epoch: 0, batchInEpoch: 1,
    weights: await model.getWeights(), optimizer: await optimizer.getState(),
    history: { steps: [stepMetrics(1, { loss: readout.loss, clipLoss: readout.clipLoss, matchLoss: readout.matchLoss })], evals: [EVAL] },
    datasetName: 'shapes (synthetic)', createdAt: '2025-03-04T10:15:42.123Z',
  };
}

/** An untrained checkpoint for any config (no optimizer state). */
async function freshCheckpoint(config: TrainConfig, vocab: string[]): Promise<Checkpoint> {
  const model = ClipModel.create(config, vocab.length);
  const weights = await model.getWeights();
  model.dispose();
  return {
    version: CHECKPOINT_VERSION, config, vocab, step: 0, epoch: 0, batchInEpoch: 0, weights, optimizer: [],
    history: { steps: [], evals: [] }, datasetName: 'x', createdAt: new Date(0).toISOString(),
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
    const asBytes = (values: number[], like: SerializedTensor) => bytesOf({ data: like.dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values) });
    for (const w of ckpt.weights) expect(firstDifference(asBytes(tensors.get(w.name)!.values, w), bytesOf(w)), w.name).toBe(-1);
    for (const s of ckpt.optimizer) expect(firstDifference(asBytes(tensors.get(`optimizer/${s.name}`)!.values, s), bytesOf(s)), s.name).toBe(-1);

    expect(Object.keys(metadata).sort()).toEqual(DOCUMENTED_KEYS);
    expect(Object.values(metadata).every((v) => typeof v === 'string')).toBe(true);
    expect(metadata).toMatchObject({
      format: 'clip-lab', format_version: '1', checkpoint_version: '1', step: '1', epoch: '0', batch_in_epoch: '1',
      dataset_name: 'shapes (synthetic)', created_at: '2025-03-04T10:15:42.123Z',
    });
    expect(MODEL_FILE_FORMAT).toBe('clip-lab');
    expect(MODEL_FILE_VERSION).toBe(1);
    expect(JSON.parse(metadata.config)).toEqual(PRESETS.tiny);
    expect(JSON.parse(metadata.vocab)).toEqual(['<pad>', '<unk>', ...tokenizer.vocab.slice(2)]);
    expect(JSON.parse(metadata.metrics)).toEqual(ckpt.history);
    expect(JSON.parse(metadata.preprocessing)).toMatchObject({
      imageSize: 32, crop: 'center-square', channels: 'RGB', normalisation: { mean: [0.48145466, 0.4578275, 0.40821073] },
    });
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
    const restoredOpt = new AdamW(restored.trainableVariables(), { epsilon: decoded.config.adamEpsilon, weightDecay: decoded.config.weightDecay });
    restored.setWeights(decoded.weights);
    restoredOpt.setState(decoded.optimizer);
    const batch = batchFor(decoded.config, Tokenizer.fromVocab(decoded.vocab));
    for (const [m, o] of [[model, optimizer], [restored, restoredOpt]] as const) {
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

  it('takes the dataset name from the options when given', () => {
    expect(decodeModelFile(encodeModelFile(ckpt, { datasetName: 'Flickr8k' })).datasetName).toBe('Flickr8k');
  });

  it('summarises a file for the UI: preset, dataset, step and creation time', () => {
    expect(describeModelFile(ckpt)).toBe(
      "tiny preset, conv text encoder · dataset 'shapes (synthetic)' · step 1 (epoch 0) · created 2025-03-04 10:15 UTC");
    expect(describeModelFile({ ...ckpt, datasetName: '' })).toContain('unnamed dataset');
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

/** The valid file with its tensors and metadata changed through `edit`. */
function rewrite(edit: (tensors: SafeTensor[], metadata: Record<string, string>) => SafeTensor[] | void): Uint8Array {
  const { tensors, metadata } = readSafetensors(file);
  return writeSafetensors(edit(tensors, metadata) ?? tensors, metadata);
}

const editMeta = (key: string, value: string | undefined) => rewrite((_, m) => {
  if (value === undefined) delete m[key];
  else m[key] = value;
});
const editConfig = (change: Record<string, unknown>) => editMeta('config', JSON.stringify({ ...PRESETS.tiny, ...change }));
const editTensor = (name: string, change: (t: SafeTensor) => SafeTensor | null) =>
  rewrite((ts) => ts.flatMap((t) => (t.name === name ? (change(t) ?? []) : [t])));
const poke = (index: number, value: number) => (t: SafeTensor) => {
  const data = (t.data as Float32Array).slice();
  data[index] = value;
  return { ...t, data };
};

/** The valid file with one tensor stored under another dtype (bytes written by hand). */
function withDtype(name: string, dtype: 'F16' | 'I32'): Uint8Array {
  const { tensors, metadata } = readSafetensors(file);
  const header: Record<string, unknown> = { __metadata__: metadata };
  const data: number[] = [];
  for (const t of tensors) {
    const size = t.data.length * (t.name === name && dtype === 'F16' ? 2 : 4);
    header[t.name] = { dtype: t.name === name ? dtype : t.dtype, shape: t.shape, data_offsets: [data.length, data.length + size] };
    data.push(...(t.name === name ? new Array<number>(size).fill(0) : bytesOf(t)));
  }
  return buildFile(header, data);
}

function seededBytes(seed: number, length: number): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

describe('decodeModelFile refuses bad files with a specific code and no side effects', () => {
  const headerEnd = () => 8 + Number(new DataView(file.buffer).getBigUint64(0, true));

  it.each<[string, () => Uint8Array, ModelFileErrorCode, RegExp]>([
    ['a 0-byte file', () => new Uint8Array(0), 'empty', /empty \(0 bytes\)/],
    ['a file cut after 5 bytes', () => file.slice(0, 5), 'truncated', /at least 8 bytes/],
    ['a file cut after the length prefix', () => file.slice(0, 8), 'header-too-large', /header declares \d+ bytes but the file has 0/],
    ['a file cut inside the header', () => file.slice(0, headerEnd() - 100), 'header-too-large', /header declares/],
    ['a file cut right after the header', () => file.slice(0, headerEnd()), 'truncated', /the tensors need \d+ bytes of data but the file has 0/],
    ['a file cut inside the data', () => file.slice(0, headerEnd() + 1000), 'truncated', /the file has 1000 after the header/],
    ['a file missing its last byte', () => file.slice(0, -1), 'truncated', /tensors need/],
    ['4 KiB of random bytes', () => seededBytes(99, 4096), 'header-too-large', /header declares/],
    ['random bytes behind a plausible length', () => buildFile('', seededBytes(5, 64), 64n), 'bad-header', /UTF-8|start with/],
    ['a declared header of 2^62 bytes', () => buildFile('{}', [], 2n ** 62n), 'header-too-large', /at least 2\^53/],
    ['another model without metadata', () => buildFile({ 'bert.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32Bytes(1, 2)),
      'not-clip-lab', /no clip-lab metadata \(found keys: none; tensors: "bert.weight"\)/],
    ['another model with its own metadata', () => buildFile({ __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32Bytes(1)),
      'not-clip-lab', /format is "pt", not 'clip-lab' \(found keys: "format"; tensors: "w"\)/],
    ['a newer format version', () => editMeta('format_version', '2'), 'version-too-new', /^made by a newer CLIP Lab: format version 2, this lab reads up to 1$/],
    ['a format version that is not a number', () => editMeta('format_version', '1.0'), 'bad-header', /format_version.*positive integer, found "1.0"/],
    ['a newer checkpoint version', () => editMeta('checkpoint_version', '2'), 'version-too-new', /checkpoint version 2, this lab reads up to 1/],
    ['a config out of range', () => editConfig({ imageSize: 7 }), 'bad-config', /^config\.imageSize: expected an integer in \[8, 256\], found 7$/],
    ['a config with an unknown key', () => editConfig({ dropout: 0.1 }), 'bad-config', /config\.dropout: unknown key/],
    ['a config that is not JSON', () => editMeta('config', "{preset: 'tiny'}"), 'bad-config', /'config' is not valid JSON/],
    ['a missing config', () => editMeta('config', undefined), 'bad-header', /metadata 'config': expected a value, found none/],
    ['a vocab without PAD and UNK first', () => editMeta('vocab', '["a","b","c"]'), 'bad-config', /expected '<pad>' at 0 and '<unk>' at 1/],
    ['a vocab of numbers', () => editMeta('vocab', '[1, 2]'), 'bad-config', /expected an array of strings/],
    ['a vocab longer than vocabSize', () => editMeta('vocab', JSON.stringify(['<pad>', '<unk>', ...Array.from({ length: 1000 }, (_, i) => `w${i}`)])),
      'bad-config', /expected 2 to config\.vocabSize = 1000 words, found 1002/],
    ['a vocab one word longer than the embedding', () => editMeta('vocab', JSON.stringify([...tokenizer.vocab, 'extra'])),
      'shape-mismatch', new RegExp(`'text.embedding': expected shape \\[${tokenizer.size + 1}, 32\\], found \\[${tokenizer.size}, 32\\]`)],
    ['a negative step', () => editMeta('step', '-1'), 'bad-header', /'step': expected a non-negative integer, found "-1"/],
    ['metrics of the wrong shape', () => editMeta('metrics', '{"steps": [{"step": "one"}], "evals": []}'), 'bad-header', /steps\[0\]\.step: expected a number/],
    ['a bad creation time', () => editMeta('created_at', 'yesterday'), 'bad-header', /ISO 8601/],
    ['a missing weight', () => editTensor('image.conv0.kernel', () => null), 'missing-tensor', /^missing tensor 'image\.conv0\.kernel': expected F32 \[3, 3, 3, 8\]$/],
    ['a weight of the wrong shape', () => editTensor('proj.image.bias', (t) => ({ ...t, shape: [4, 8] })), 'shape-mismatch',
      /'proj\.image\.bias': expected shape \[32\], found \[4, 8\]/],
    ['a NaN weight', () => editTensor('proj.text.kernel', poke(5, NaN)), 'bad-tensor', /'proj\.text\.kernel': value 5 of 1024 is NaN/],
    ['an infinite optimizer moment', () => editTensor('optimizer/v/logit_scale', poke(0, -Infinity)), 'bad-tensor', /'optimizer\/v\/logit_scale': value 0 of 1 is -Infinity/],
    ['a weight stored as F16', () => withDtype('text.embedding', 'F16'), 'unsupported-dtype', /'text\.embedding': expected F32 \[\d+, 32\], found F16; CLIP Lab model files store weights as F32$/],
    ['a weight stored as I32', () => withDtype('logit_scale', 'I32'), 'unsupported-dtype', /'logit_scale': expected F32 \[\], found I32/],
    ['an extra weight', () => rewrite((ts) => [...ts, { name: 'bert.weight', dtype: 'F32', shape: [2], data: new Float32Array(2) }]),
      'unexpected-tensor', /unexpected tensor 'bert\.weight' \[2\]/],
    ['an incomplete optimizer state', () => editTensor('optimizer/m/image.conv1.bias', () => null), 'missing-tensor',
      /missing tensor 'optimizer\/m\/image\.conv1\.bias': expected F32 \[16\]; the optimizer state must be complete or absent/],
    ['a moment of the wrong shape', () => editTensor('optimizer/m/logit_scale', (t) => ({ ...t, shape: [1] })), 'shape-mismatch',
      /'optimizer\/m\/logit_scale': expected shape \[\], found \[1\]/],
    ['a stray optimizer tensor', () => rewrite((ts) => [...ts, { name: 'optimizer/z/logit_scale', dtype: 'F32', shape: [], data: new Float32Array(1) }]),
      'unexpected-tensor', /'optimizer\/z\/logit_scale'/],
    ['an optimizer step stored as F32', () => editTensor('optimizer/step', (t) => ({ ...t, dtype: 'F32', data: Float32Array.of(1) })),
      'unsupported-dtype', /'optimizer\/step': expected I32 \[\], found F32/],
  ])('%s', (_, make, code, message) => {
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
