// Strict parsing of the string metadata of a clip-lab model file: counts, JSON values, and the
// metrics history (validated field by field, non-finite numbers kept, bounded by downsampling).

import type { RetrievalMetrics } from '../model/metrics';
import type { Calibration, EvalMetrics, MatchEvalMetrics, MetricsHistory, StepMetrics } from '../train/types';
import { ModelFileError } from './errors';

/** The most step (and eval) entries an exported history keeps. */
export const MAX_HISTORY_ENTRIES = 2000;

const fail = (message: string): never => {
  throw new ModelFileError('bad-header', message);
};

/** A metadata value that must be there, or a 'bad-header' error naming the key. */
export function required(meta: Record<string, string>, key: string): string {
  if (!Object.hasOwn(meta, key)) fail(`metadata '${key}': expected a value, found none`);
  return meta[key];
}

/** A non-negative integer written in decimal ('0', '17'), as clip-lab writes step and epoch. */
export function parseCount(meta: Record<string, string>, key: string): number {
  const text = required(meta, key);
  const value = Number(text);
  if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(value)) {
    fail(`metadata '${key}': expected a non-negative integer, found ${JSON.stringify(text.slice(0, 40))}`);
  }
  return value;
}

/** JSON.parse only (never evaluated); `code` is the error code for invalid JSON. */
export function parseJson(meta: Record<string, string>, key: string, code: ModelFileError['code'] = 'bad-header'): unknown {
  const text = required(meta, key);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ModelFileError(code, `metadata '${key}' is not valid JSON: ${(error as Error).message}`);
  }
}

// ------------------------------------------------------------------------------ metrics history

// JSON has no NaN or Infinity; they are written as these strings so a history round-trips exactly.
const NON_FINITE = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/**
 * At most `max` evenly spaced entries, first and last always kept (only the last when max is 1);
 * a copy of all of them when short enough. Bounds exported histories and the page's charts.
 */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  if (max <= 1) return max === 1 ? [items[items.length - 1]] : [];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]);
}

/** The history as JSON, each list downsampled to at most `max` entries. */
export function encodeHistory(history: MetricsHistory, max = MAX_HISTORY_ENTRIES): string {
  const bounded = { steps: downsample(history.steps, max), evals: downsample(history.evals, max) };
  return JSON.stringify(bounded, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value));
}

type FieldKind = 'number' | 'optionalNumber' | 'nullable' | 'scores' | 'match' | 'numberList';

// Records over keyof: adding a field to StepMetrics or EvalMetrics fails to compile until it is listed here.
const STEP_FIELDS: Record<keyof StepMetrics, FieldKind> = {
  step: 'number',
  epoch: 'number',
  loss: 'number',
  clipLoss: 'number',
  matchLoss: 'nullable',
  accI2T: 'number',
  accT2I: 'number',
  matchAcc: 'nullable',
  posSim: 'number',
  negSim: 'number',
  logitScale: 'number',
  lr: 'number',
  pairsPerSec: 'number',
  msPerStep: 'number',
};
const EVAL_FIELDS: Record<keyof EvalMetrics, FieldKind> = {
  step: 'number',
  epoch: 'number',
  valLoss: 'number',
  i2t: 'scores',
  t2i: 'scores',
  matchAcc: 'nullable',
  auc: 'nullable',
  match: 'match',
  images: 'number',
  captions: 'number',
};
const MATCH_FIELDS: Record<keyof MatchEvalMetrics, FieldKind> = {
  aucRandom: 'number',
  aucHard: 'number',
  cosineAuc: 'number',
  cosineAucRandom: 'number',
  cosineAucHard: 'number',
  ece: 'number',
  eceCalibrated: 'number',
  plattA: 'number',
  plattB: 'number',
  stackWz: 'optionalNumber', // absent in files made before the stacked calibration
  stackWc: 'optionalNumber',
  stackB: 'optionalNumber',
  calibratedAucRandom: 'optionalNumber',
  calibratedAucHard: 'optionalNumber',
  binCount: 'numberList',
  binConfidence: 'numberList',
  binAccuracy: 'numberList',
};
const SCORE_FIELDS: Record<keyof RetrievalMetrics, FieldKind> = { r1: 'number', r5: 'number', r10: 'number', medianRank: 'number' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value)?.slice(0, 40) ?? typeof value;
}

/** A fresh object holding exactly `fields` of `raw`, each checked; extra keys are dropped. */
function pick(raw: unknown, fields: Record<string, FieldKind>, where: string): Record<string, unknown> {
  if (!isRecord(raw)) return fail(`metadata 'metrics': ${where}: expected an object, found ${show(raw)}`);
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(fields)) {
    const value = Object.hasOwn(raw, key) ? raw[key] : undefined;
    const at = `${where}.${key}`;
    if (kind === 'scores') {
      out[key] = pick(value, SCORE_FIELDS, at);
    } else if (kind === 'match') {
      out[key] = value === undefined || value === null ? null : pick(value, MATCH_FIELDS, at); // absent in older files
    } else if (kind === 'numberList') {
      if (
        !Array.isArray(value) ||
        value.length > 1000 ||
        !value.every((v) => v === null || typeof v === 'number' || NON_FINITE.has(v as string))
      ) {
        fail(`metadata 'metrics': ${at}: expected a list of numbers, found ${show(value)}`);
      }
      out[key] = (value as unknown[]).map((v) => (typeof v === 'string' ? NON_FINITE.get(v) : v));
    } else if (value === undefined && kind === 'optionalNumber') {
      // absent: left out
    } else if (value === null && kind === 'nullable') {
      out[key] = null;
    } else if (typeof value === 'number') {
      out[key] = value;
    } else if (typeof value === 'string' && NON_FINITE.has(value)) {
      out[key] = NON_FINITE.get(value);
    } else {
      fail(`metadata 'metrics': ${at}: expected a number${kind === 'nullable' ? ' or null' : ''}, found ${show(value)}`);
    }
  }
  return out;
}

/** Parses metadata 'metrics' into a MetricsHistory; refuses anything not shaped like one. */
export function parseHistory(meta: Record<string, string>): MetricsHistory {
  const raw = parseJson(meta, 'metrics');
  if (!isRecord(raw) || !Array.isArray(raw.steps) || !Array.isArray(raw.evals)) {
    return fail(`metadata 'metrics': expected {"steps": [...], "evals": [...]}, found ${show(raw)}`);
  }
  for (const list of ['steps', 'evals'] as const) {
    const length = (raw[list] as unknown[]).length;
    if (length > MAX_HISTORY_ENTRIES) fail(`metadata 'metrics': expected at most ${MAX_HISTORY_ENTRIES} ${list}, found ${length}`);
  }
  return {
    steps: (raw.steps as unknown[]).map((s, i) => pick(s, STEP_FIELDS, `steps[${i}]`) as unknown as StepMetrics),
    evals: (raw.evals as unknown[]).map((e, i) => pick(e, EVAL_FIELDS, `evals[${i}]`) as unknown as EvalMetrics),
  };
}

// --------------------------------------------------------------------- preprocessing (version 2)

/** Where the pixels a model was trained on came from: the page (canvas) or the Node trainer. */
export type PixelPipeline = 'browser' | 'node';

/**
 * How pixels and captions reach the model, as fields a program can follow (format version 2).
 * Images: decode, EXIF-upright, centre square crop (fractional offset (w - side) / 2), resample to
 * stored.side with stored.resample, then to imageSize (area average when shrinking, bilinear with
 * pixel centres at +0.5 when enlarging), rounding to uint8 after each resample, then uint8 / divide
 * (- subtract). A backbone run's pixels go to its frozen backbone: stored.side = imageSize = the
 * backbone's input size (decoded straight to it, no 128-px copy), range its value range
 * ('-1,1': divide 127.5, subtract 1), no normalisation beyond that (mean 0, std 1).
 */
export interface PreprocessingSpec {
  imageSize: number;
  decoder: string; // 'browser' (JPEG: wasm libjpeg-turbo, data/jpeg; others: createImageBitmap), 'libjpeg-turbo-wasm+pngjs' (Node trainer; 'jpeg-js+pngjs' before 2026-11-28), 'pillow' (Python)
  orientation: 'exif';
  crop: 'center-square';
  channels: 'RGB';
  layout: 'NHWC';
  // 'browser' files say canvas-high-quality: true of non-JPEGs; the page's JPEGs get 'area' in the wasm decoder since 2026-11-28
  stored: { side: number; resample: 'canvas-high-quality' | 'area'; rounding: 'half-up' };
  resize: { shrink: 'area'; enlarge: 'bilinear'; rounding: 'half-up' };
  range: { from: 'uint8'; divide: number; subtract?: number; min: number; max: number };
  normalisation: { mean: number[]; std: number[]; inside: 'model' };
  text: { lowercase: true; tokens: string; pad: string; unk: string; maxTokens: number; idsAs: 'float32' };
}

/** uint8 -> the model's values: '0,1' is x / 255, '-1,1' is x / 127.5 - 1. */
const RANGES = {
  '0,1': { from: 'uint8', divide: 255, min: 0, max: 1 },
  '-1,1': { from: 'uint8', divide: 127.5, subtract: 1, min: -1, max: 1 },
} as const;

/** The spec for a model of `imageSize` trained on `pipeline`'s pixels (range: a backbone's value range, default 0..1). */
export function preprocessingSpec(
  pipeline: PixelPipeline,
  model: {
    imageSize: number;
    maxTokens: number;
    storedSide: number;
    mean: number[];
    std: number[];
    pad: string;
    unk: string;
    tokens: string;
    range?: '0,1' | '-1,1';
  },
): PreprocessingSpec {
  return {
    imageSize: model.imageSize,
    decoder: pipeline === 'browser' ? 'browser' : 'libjpeg-turbo-wasm+pngjs',
    orientation: 'exif',
    crop: 'center-square',
    channels: 'RGB',
    layout: 'NHWC',
    stored: { side: model.storedSide, resample: pipeline === 'browser' ? 'canvas-high-quality' : 'area', rounding: 'half-up' },
    resize: { shrink: 'area', enlarge: 'bilinear', rounding: 'half-up' },
    range: { ...RANGES[model.range ?? '0,1'] },
    normalisation: { mean: model.mean, std: model.std, inside: 'model' },
    text: { lowercase: true, tokens: model.tokens, pad: model.pad, unk: model.unk, maxTokens: model.maxTokens, idsAs: 'float32' },
  };
}

const RESAMPLES = ['canvas-high-quality', 'area'];

/**
 * Checks a version-2 file's `preprocessing` against its config; returns it. A backbone run's spec
 * describes what its backbone is fed (input size, value range); the first backbone files described
 * the CNN's imageSize and 0..1 instead, and are still read.
 */
export function parsePreprocessing(
  meta: Record<string, string>,
  config: { imageSize: number; maxTokens: number; backbone?: { inputSize: number; range: '0,1' | '-1,1' } | null },
): PreprocessingSpec {
  const { maxTokens } = config;
  const raw = parseJson(meta, 'preprocessing');
  const at = (path: string) => path.split('.').reduce<unknown>((o, k) => (isRecord(o) && Object.hasOwn(o, k) ? o[k] : undefined), raw);
  const expect = (path: string, ok: (v: unknown) => boolean, what: string) => {
    if (!ok(at(path))) fail(`metadata 'preprocessing': ${path}: expected ${what}, found ${show(at(path))}`);
  };
  if (!isRecord(raw)) return fail(`metadata 'preprocessing': expected an object, found ${show(raw)}`);
  const b = config.backbone;
  const describesBackbone = !!b && raw.imageSize === b.inputSize;
  const imageSize = describesBackbone ? b!.inputSize : config.imageSize;
  const range = RANGES[describesBackbone ? b!.range : '0,1'];
  expect('imageSize', (v) => v === imageSize, b ? `${b.inputSize} (config.backbone.inputSize)` : `${config.imageSize} (config.imageSize)`);
  expect('decoder', (v) => typeof v === 'string' && v.length > 0, 'a decoder name');
  expect('stored.side', (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 4096, 'an integer side in [1, 4096]');
  expect('stored.resample', (v) => RESAMPLES.includes(v as string), RESAMPLES.map((r) => `'${r}'`).join(' or '));
  expect('resize.shrink', (v) => v === 'area', "'area'");
  expect('resize.enlarge', (v) => v === 'bilinear', "'bilinear'");
  expect('range.divide', (v) => v === range.divide, String(range.divide));
  expect('normalisation.mean', (v) => Array.isArray(v) && v.length === 3 && v.every(Number.isFinite), '3 numbers');
  expect(
    'normalisation.std',
    (v) => Array.isArray(v) && v.length === 3 && v.every((s) => Number.isFinite(s) && s > 0),
    '3 positive numbers',
  );
  expect('text.maxTokens', (v) => v === maxTokens, `${maxTokens} (config.maxTokens)`);
  return raw as unknown as PreprocessingSpec;
}

// ------------------------------------------------------------- calibration (optional, version 2)

/**
 * The optional `calibration` value: JSON {method: 'stacked', wz, wc, b, step, eceCalibrated} or,
 * in files made before it, {method: 'platt', a, b, step, eceCalibrated} (NaN ECE as "NaN").
 */
export function encodeCalibration(c: Calibration): string {
  const weights = c.method === 'stacked' ? { wz: c.wz, wc: c.wc, b: c.b } : { a: c.a, b: c.b };
  return JSON.stringify({
    method: c.method,
    ...weights,
    step: c.step,
    eceCalibrated: Number.isFinite(c.eceCalibrated) ? c.eceCalibrated : 'NaN',
  });
}

const CALIBRATION_WEIGHTS = { stacked: ['wz', 'wc', 'b'], platt: ['a', 'b'] } as const;

/** Parses the optional `calibration` key: null when absent (files made before it: uncalibrated). */
export function parseCalibration(meta: Record<string, string>): Calibration | null {
  if (!Object.hasOwn(meta, 'calibration')) return null;
  const raw = parseJson(meta, 'calibration');
  const where = (key: string) => `metadata 'calibration': ${key}`;
  if (!isRecord(raw)) return fail(`metadata 'calibration': expected {"method": "stacked", "wz", "wc", "b", "step"}, found ${show(raw)}`);
  const method = raw.method;
  if (method !== 'stacked' && method !== 'platt') return fail(`${where('method')}: expected 'stacked' or 'platt', found ${show(method)}`);
  for (const key of CALIBRATION_WEIGHTS[method]) {
    if (typeof raw[key] !== 'number' || !Number.isFinite(raw[key]))
      fail(`${where(key)}: expected a finite number, found ${show(raw[key])}`);
  }
  if (!Number.isSafeInteger(raw.step) || (raw.step as number) < 0)
    fail(`${where('step')}: expected a step count >= 0, found ${show(raw.step)}`);
  const ece = raw.eceCalibrated === undefined || raw.eceCalibrated === 'NaN' ? NaN : raw.eceCalibrated;
  if (typeof ece !== 'number') fail(`${where('eceCalibrated')}: expected a number, found ${show(raw.eceCalibrated)}`);
  const at = { step: raw.step as number, eceCalibrated: ece as number };
  const num = (key: string) => raw[key] as number;
  return method === 'stacked' ? { method, wz: num('wz'), wc: num('wc'), b: num('b'), ...at } : { method, a: num('a'), b: num('b'), ...at };
}
