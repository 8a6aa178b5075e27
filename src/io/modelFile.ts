// The lab's one-file model export ("clip-lab" format, safetensors layout): weights, optionally the
// AdamW state so training can continue, and the config, vocab and history to use or resume it.
// decodeModelFile validates everything (format, version, config, vocab, every tensor) before
// returning, and throws a ModelFileError whose code says which check failed.
//
// ------------------------------------------------------------------- clip-lab format, version 2
// A safetensors file (u64 LE header length, JSON header, little-endian data). Tensor order is free.
// Version 2 = version 1 + a machine-readable `preprocessing` (PreprocessingSpec below); version 1
// files (preprocessing as prose) are still read. The README's format section has the model math.
//
// Tensors
//   <weight>               F32  every name and shape of ClipModel.weightSpecs(config, vocab.length) (a backbone run: its feature head + text tower):
//                                image.conv<i>.kernel [3, 3, Cin, Cout], image.conv<i>.bias [Cout],
//                                image.fc.kernel/.bias (imageWidth > 0), proj.image.kernel/.bias,
//                                text.embedding [V, C], text.conv<i>.kernel [3, C, C]/.bias [C] (conv) or
//                                text.pos_embedding [T, C], text.block<i>.* and text.ln_final.*
//                                (transformer), proj.text.kernel [C, D]/.bias [D],
//                                logit_scale [] (log space: the multiplier is exp(logit_scale)),
//                                match.fc0.kernel [4D, H]/.bias [H], match.fc1.kernel [H, 1]/.bias [1]
//                                (matchHidden = H > 0)
//   optimizer/m/<weight>   F32  AdamW first moment, the shape of <weight>   \  optional, but all of
//   optimizer/v/<weight>   F32  AdamW second moment, the shape of <weight>   > them or none: absent
//   optimizer/step         I32  [] AdamW updates applied (Adam's t)         /  when exported for use only
//   All F32 values are finite.
//
// __metadata__ (every value a string; JSON where structured)
//   format             'clip-lab'
//   format_version     '2' (a file with a larger number needs a newer CLIP Lab; '1' is still read)
//   checkpoint_version '1' (CHECKPOINT_VERSION of the training state below)
//   config             JSON TrainConfig (every key; see src/config.ts)
//   vocab              JSON array of the tokenizer's words; id = index, '<pad>' = 0, '<unk>' = 1
//   preprocessing      JSON PreprocessingSpec (version 2; checked): how pixels and captions are prepared
//                      for the model — decoder, EXIF orientation, centre square crop, resample to
//                      stored.side with stored.resample, then to imageSize (resize.shrink / .enlarge),
//                      uint8 / 255, normalisation inside the model, and the tokenizer. Version 1: prose.
//   step               optimiser steps completed, decimal
//   epoch              data-order cursor: the next batch is batch `batch_in_epoch` of epoch `epoch`
//   batch_in_epoch     decimal
//   metrics            JSON {steps: StepMetrics[], evals: EvalMetrics[]}, each at most 2,000 entries
//                      (evenly downsampled, first and last kept); NaN / ±Infinity as strings
//   dataset_name       the training set's name
//   created_at         ISO 8601 time the checkpoint was taken
//   calibration        optional JSON {method: 'stacked', wz, wc, b, step, eceCalibrated}: the match
//                      classifier's calibration from the latest evaluation, calibrated P(match) =
//                      sigmoid(wz·logit + wc·cosine + b), cosine of the unit embeddings; files made before
//                      it carry {method: 'platt', a, b, …}, P(match) = sigmoid(a·logit + b), still read and
//                      used; absent (older files, or no evaluation yet): the model is uncalibrated
// -----------------------------------------------------------------------------------------------

import { validateConfig, type TrainConfig } from '../config';
import { imageTowerSummary, TEXT_ENCODERS } from '../configSummary';
import { PAD_TOKEN, Tokenizer, UNK_TOKEN } from '../data/tokenizer';
import { ClipModel, IMAGE_MEAN, IMAGE_STD } from '../model/clip';
import { featureClipParamSpecs } from '../model/featureClip';
import type { WeightSpec } from '../model/params';
import { CHECKPOINT_VERSION, type Checkpoint, type SerializedTensor } from '../train/types';
import { ModelFileError } from './errors';
import { STORED_IMAGE_SIZE } from '../ingest/constants';
import { DEFAULT_MAX_MODEL_FILE_BYTES } from './limits';
import {
  encodeCalibration,
  encodeHistory,
  parseCalibration,
  parseCount,
  parseHistory,
  parseJson,
  parsePreprocessing,
  preprocessingSpec,
  required,
  type PixelPipeline,
  type PreprocessingSpec,
} from './modelFileMetadata';
import { readSafetensors, writeSafetensors, type SafeTensor } from './safetensors';

export const MODEL_FILE_FORMAT = 'clip-lab';
/**
 * Never changed in place: a new layout gets a new number. 2: machine-readable preprocessing.
 * 3: the calibration may be {"method": "stacked", …} (over the logit and the cosine); a version-2
 * file may carry it too (written before the bump), and every version's calibration reads the same.
 */
export const MODEL_FILE_VERSION = 3;
export { DEFAULT_MAX_MODEL_FILE_BYTES };
export const OPTIMIZER_PREFIX = 'optimizer/';

export interface EncodeModelFileOptions {
  includeOptimizer?: boolean; // default true: so training can continue from the file
  datasetName?: string; // default: the checkpoint's
  pipeline?: PixelPipeline; // whose pixels the model was trained on: 'browser' (default) or 'node'
}

export interface DecodeModelFileLimits {
  maxFileBytes?: number; // default DEFAULT_MAX_MODEL_FILE_BYTES (512 MiB)
}

/** What describeModelFile needs; a Checkpoint is one. */
export type ModelFileSummary = Pick<Checkpoint, 'config' | 'datasetName' | 'step' | 'epoch' | 'createdAt'>;

/** A tensor as found in (or bound for) a file; dtype is the file's dtype name. */
interface FileTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** The tensors a model of `config` has: the CNN's (ClipModel), or a backbone run's feature head + text tower. */
function weightSpecsOf(config: TrainConfig, vocabSize: number): WeightSpec[] {
  if (config.imageTower !== 'backbone' || !config.backbone) return ClipModel.weightSpecs(config, vocabSize);
  const head = {
    featureSize: config.backbone.featureSize,
    hidden: config.headHidden,
    dropout: config.headDropout,
    embedDim: config.embedDim,
  };
  return featureClipParamSpecs(config, head, vocabSize).map(({ name, shape }) => ({ name, shape: [...shape], dtype: 'float32' }));
}

function fail(code: ModelFileError['code'], message: string): never {
  throw new ModelFileError(code, message);
}

// ----------------------------------------------------------------------------------------- encode

/** Serialises a checkpoint; refuses (ModelFileError, same codes) anything decodeModelFile would refuse. */
export function encodeModelFile(ckpt: Checkpoint, opts: EncodeModelFileOptions = {}): Uint8Array {
  const checked = checkConfig(ckpt.config);
  const metadata: Record<string, string> = {
    format: MODEL_FILE_FORMAT,
    format_version: String(MODEL_FILE_VERSION),
    checkpoint_version: String(ckpt.version),
    config: JSON.stringify(checked),
    vocab: JSON.stringify(ckpt.vocab),
    preprocessing: JSON.stringify(preprocessingOf(checked, opts.pipeline ?? 'browser')),
    step: String(ckpt.step),
    epoch: String(ckpt.epoch),
    batch_in_epoch: String(ckpt.batchInEpoch),
    metrics: encodeHistory(ckpt.history),
    dataset_name: opts.datasetName ?? ckpt.datasetName,
    created_at: ckpt.createdAt,
    ...(ckpt.calibration ? { calibration: encodeCalibration(ckpt.calibration) } : {}),
  };
  // The reader's own checks, run on what is about to be written: a refused export beats an unreadable file.
  const { config, vocab } = parseMetadata(metadata, []);
  const found: FileTensor[] = ckpt.weights.map((w) => fromSerialized(w.name, w));
  if (opts.includeOptimizer ?? true) found.push(...ckpt.optimizer.map((s) => fromSerialized(OPTIMIZER_PREFIX + s.name, s)));
  const { weights, optimizer } = checkTensors(found, weightSpecsOf(config, vocab.length));

  const tensors: SafeTensor[] = [
    ...weights.map((w): SafeTensor => ({ name: w.name, dtype: 'F32', shape: w.shape, data: w.data })),
    ...optimizer.map(
      (s): SafeTensor => ({
        name: OPTIMIZER_PREFIX + s.name,
        dtype: s.dtype === 'int32' ? 'I32' : 'F32',
        shape: s.shape,
        data: s.data,
      }),
    ),
  ];
  return writeSafetensors(tensors, metadata);
}

function fromSerialized(name: string, t: SerializedTensor): FileTensor {
  const dtype =
    t.dtype === 'float32' && t.data instanceof Float32Array
      ? 'F32'
      : t.dtype === 'int32' && t.data instanceof Int32Array
        ? 'I32'
        : `${String(t.dtype)} held in a ${t.data?.constructor?.name}`;
  return { name, dtype, shape: t.shape, data: t.data };
}

/** What a user of the weights must do to pixels and captions, as the lab's own code does it. */
function preprocessingOf(config: TrainConfig, pipeline: PixelPipeline): PreprocessingSpec {
  const b = config.imageTower === 'backbone' ? config.backbone : null;
  if (b) {
    // What Use feeds the backbone: the image decoded straight to its input side, in its value range.
    return preprocessingSpec(pipeline, {
      imageSize: b.inputSize,
      storedSide: b.inputSize,
      range: b.range,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      maxTokens: config.maxTokens,
      pad: PAD_TOKEN,
      unk: UNK_TOKEN,
      tokens: TOKEN_PATTERN,
    });
  }
  return preprocessingSpec(pipeline, {
    imageSize: config.imageSize,
    maxTokens: config.maxTokens,
    storedSide: STORED_IMAGE_SIZE,
    mean: IMAGE_MEAN,
    std: IMAGE_STD,
    pad: PAD_TOKEN,
    unk: UNK_TOKEN,
    tokens: TOKEN_PATTERN,
  });
}

const TOKEN_PATTERN = "/[\\p{L}\\p{N}]+(?:'[\\p{L}\\p{N}]+)*/gu"; // JS syntax, matched on the lower-cased caption

// ----------------------------------------------------------------------------------------- decode

/** Parses and fully validates a clip-lab model file; nothing is returned unless every check passes. */
export function decodeModelFile(bytes: Uint8Array | ArrayBuffer, limits: DecodeModelFileLimits = {}): Checkpoint {
  const maxFileBytes = limits.maxFileBytes ?? DEFAULT_MAX_MODEL_FILE_BYTES;
  if (!(maxFileBytes > 0)) fail('too-large', `maxFileBytes: expected a positive number, found ${maxFileBytes}`);
  if (bytes.byteLength > maxFileBytes) {
    fail(
      'too-large',
      `the file has ${bytes.byteLength} bytes (${mib(bytes.byteLength)}) but at most ${maxFileBytes} (${mib(maxFileBytes)}) are accepted`,
    );
  }
  const file = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const { tensors, metadata } = readSafetensors(file, { maxFileBytes });
  const meta = parseMetadata(
    metadata,
    tensors.map((t) => t.name),
  );
  const dtypes = headerDtypes(file); // the reader widens F16 to F32; the format wants F32 itself
  const found = tensors.map((t): FileTensor => ({ ...t, dtype: dtypes.get(t.name) ?? t.dtype }));
  const { weights, optimizer } = checkTensors(found, weightSpecsOf(meta.config, meta.vocab.length));
  return { ...meta, weights, optimizer };
}

/** Everything of a Checkpoint that lives in the metadata, checked in the order a reader needs it. */
function parseMetadata(metadata: Record<string, string>, tensorNames: readonly string[]): Omit<Checkpoint, 'weights' | 'optimizer'> {
  const formatVersion = checkFormat(metadata, tensorNames);
  const checkpointVersion = parseCount(metadata, 'checkpoint_version');
  if (checkpointVersion > CHECKPOINT_VERSION) {
    fail(
      'version-too-new',
      `made by a newer CLIP Lab: checkpoint version ${checkpointVersion}, this lab reads up to ${CHECKPOINT_VERSION}`,
    );
  }
  if (checkpointVersion < 1)
    fail('bad-header', `metadata 'checkpoint_version': expected 1 to ${CHECKPOINT_VERSION}, found ${checkpointVersion}`);
  const config = checkConfig(parseJson(metadata, 'config', 'bad-config'));
  const vocab = checkVocab(parseJson(metadata, 'vocab', 'bad-config'), config);
  if (formatVersion >= 2) parsePreprocessing(metadata, { ...config, backbone: config.imageTower === 'backbone' ? config.backbone : null }); // version 1: prose, unchecked
  const createdAt = required(metadata, 'created_at');
  if (!Number.isFinite(Date.parse(createdAt))) {
    fail('bad-header', `metadata 'created_at': expected an ISO 8601 time, found ${JSON.stringify(createdAt.slice(0, 40))}`);
  }
  const calibration = parseCalibration(metadata);
  return {
    version: CHECKPOINT_VERSION,
    config,
    vocab,
    step: parseCount(metadata, 'step'),
    epoch: parseCount(metadata, 'epoch'),
    batchInEpoch: parseCount(metadata, 'batch_in_epoch'),
    history: parseHistory(metadata),
    datasetName: required(metadata, 'dataset_name'),
    createdAt,
    ...(calibration ? { calibration } : {}), // absent: uncalibrated
  };
}

function checkFormat(metadata: Record<string, string>, tensorNames: readonly string[]): number {
  const format = Object.hasOwn(metadata, 'format') ? metadata.format : undefined;
  if (format !== MODEL_FILE_FORMAT) {
    const keys = listSome(Object.keys(metadata));
    const names = listSome(tensorNames);
    const what =
      format === undefined
        ? `this safetensors file has no ${MODEL_FILE_FORMAT} metadata`
        : `this safetensors file's format is ${JSON.stringify(format.slice(0, 40))}, not '${MODEL_FILE_FORMAT}'`;
    fail('not-clip-lab', `${what} (found keys: ${keys}; tensors: ${names}); it is not a CLIP Lab model export`);
  }
  const text = required(metadata, 'format_version');
  if (!/^[1-9][0-9]{0,8}$/.test(text)) {
    fail('bad-header', `metadata 'format_version': expected a positive integer, found ${JSON.stringify(text.slice(0, 40))}`);
  }
  const version = Number(text);
  if (version > MODEL_FILE_VERSION) {
    fail('version-too-new', `made by a newer CLIP Lab: format version ${version}, this lab reads up to ${MODEL_FILE_VERSION}`);
  }
  return version;
}

function checkConfig(raw: unknown): TrainConfig {
  try {
    return validateConfig(raw);
  } catch (error) {
    return fail('bad-config', (error as Error).message);
  }
}

/** The tokenizer's own rules (PAD, UNK first; non-empty unique words) plus the config's vocabSize. */
function checkVocab(raw: unknown, config: TrainConfig): string[] {
  if (!Array.isArray(raw) || !raw.every((w) => typeof w === 'string')) {
    fail('bad-config', `vocab: expected an array of strings, found ${Array.isArray(raw) ? 'other values in the array' : typeof raw}`);
  }
  const vocab = raw as string[];
  if (vocab.length < 2 || vocab.length > config.vocabSize) {
    fail('bad-config', `vocab: expected 2 to config.vocabSize = ${config.vocabSize} words, found ${vocab.length}`);
  }
  try {
    return [...Tokenizer.fromVocab(vocab).vocab];
  } catch (error) {
    return fail('bad-config', (error as Error).message);
  }
}

/** Tensor name -> dtype as the header states it (the header was already validated by the reader). */
function headerDtypes(file: Uint8Array): Map<string, string> {
  const view = new DataView(file.buffer, file.byteOffset, 8);
  const length = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) as Record<string, { dtype?: unknown }>;
  const dtypes = new Map<string, string>();
  for (const [name, entry] of Object.entries(header)) if (typeof entry.dtype === 'string') dtypes.set(name, entry.dtype);
  return dtypes;
}

// ------------------------------------------------------------------------------- tensor checks

/**
 * Checks the tensors against the model's specs and returns them in canonical order: weights in
 * spec order, then the optimizer state (m/<w>, v/<w> per weight, then step) or [] when absent.
 */
function checkTensors(
  found: readonly FileTensor[],
  specs: readonly WeightSpec[],
): {
  weights: SerializedTensor[];
  optimizer: SerializedTensor[];
} {
  const byName = new Map<string, FileTensor>();
  for (const t of found) {
    if (byName.has(t.name)) fail('unexpected-tensor', `tensor '${t.name}' appears twice`);
    byName.set(t.name, t);
  }
  const expected = new Set(specs.map((s) => s.name));
  const extra = found.filter((t) => !t.name.startsWith(OPTIMIZER_PREFIX) && !expected.has(t.name));
  if (extra.length > 0) {
    fail(
      'unexpected-tensor',
      `unexpected tensor ${extra
        .map((t) => `'${t.name}' ${showShape(t.shape)}`)
        .slice(0, 5)
        .join(', ')}` +
        `${extra.length > 5 ? ` and ${extra.length - 5} more` : ''}: not a weight of this model (${specs.length} weights expected)`,
    );
  }
  const weights = specs.map((spec) => checkFloat(byName.get(spec.name), spec.name, spec.shape, ''));

  const moments = found.filter((t) => t.name.startsWith(OPTIMIZER_PREFIX));
  if (moments.length === 0) return { weights, optimizer: [] };
  const stateNames = [...specs.flatMap((s) => [`m/${s.name}`, `v/${s.name}`]), 'step'];
  const known = new Set(stateNames.map((n) => OPTIMIZER_PREFIX + n));
  const stray = moments.find((t) => !known.has(t.name));
  if (stray)
    fail('unexpected-tensor', `unexpected tensor '${stray.name}' ${showShape(stray.shape)}: not part of the optimizer state of this model`);
  const optimizer = specs.flatMap((spec) =>
    ['m', 'v'].map((moment) => {
      const name = `${moment}/${spec.name}`;
      return checkFloat(byName.get(OPTIMIZER_PREFIX + name), name, spec.shape, OPTIMIZER_PREFIX);
    }),
  );
  optimizer.push(checkStep(byName.get(`${OPTIMIZER_PREFIX}step`)));
  return { weights, optimizer };
}

function checkFloat(t: FileTensor | undefined, name: string, shape: readonly number[], prefix: string): SerializedTensor {
  const where = `tensor '${prefix}${name}'`;
  const partial = prefix ? '; the optimizer state must be complete or absent' : '';
  if (!t) return fail('missing-tensor', `missing ${where}: expected F32 ${showShape(shape)}${partial}`);
  if (t.dtype !== 'F32' || !(t.data instanceof Float32Array)) {
    fail('unsupported-dtype', `${where}: expected F32 ${showShape(shape)}, found ${t.dtype}; CLIP Lab model files store weights as F32`);
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail('shape-mismatch', `${where}: expected shape ${showShape(shape)}, found ${showShape(t.shape)}`);
  }
  const data = t.data as Float32Array;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      fail('bad-tensor', `${where}: value ${i} of ${data.length} is ${data[i]}; expected finite numbers (a diverged or damaged model)`);
    }
  }
  return { name, shape: [...shape], dtype: 'float32', data };
}

function checkStep(t: FileTensor | undefined): SerializedTensor {
  const where = `tensor '${OPTIMIZER_PREFIX}step'`;
  if (!t) return fail('missing-tensor', `missing ${where}: expected I32 []; the optimizer state must be complete or absent`);
  if (t.dtype !== 'I32' || !(t.data instanceof Int32Array)) fail('unsupported-dtype', `${where}: expected I32 [], found ${t.dtype}`);
  if (t.shape.length !== 0) fail('shape-mismatch', `${where}: expected shape [], found ${showShape(t.shape)}`);
  if (t.data[0] < 0) fail('bad-tensor', `${where}: expected a count >= 0, found ${t.data[0]}`);
  return { name: 'step', shape: [], dtype: 'int32', data: t.data as Int32Array };
}

// ---------------------------------------------------------------------------------------- summary

/** A one-line summary for the UI, e.g. "tiny preset, conv text encoder · dataset 'shapes' · step 120 (epoch 3) · created 2025-01-02 13:45 UTC". */
export function describeModelFile(meta: ModelFileSummary): string {
  const time = Date.parse(meta.createdAt);
  const created = Number.isFinite(time) ? `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC` : meta.createdAt;
  const dataset = meta.datasetName ? `dataset '${meta.datasetName}'` : 'unnamed dataset';
  const c = meta.config;
  return `${c.preset} preset · ${imageTowerSummary(c)} · ${TEXT_ENCODERS[c.textEncoder]} · ${dataset} · step ${meta.step} (epoch ${meta.epoch}) · created ${created}`;
}

const showShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
function listSome(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  const shown = items
    .slice(0, 5)
    .map((s) => JSON.stringify(s.slice(0, 60)))
    .join(', ');
  return items.length > 5 ? `${shown} and ${items.length - 5} more` : shown;
}
