// Strict parsing of the string metadata of a clip-lab model file: counts, JSON values, and the
// metrics history (validated field by field, non-finite numbers kept, bounded by downsampling).

import type { EvalMetrics, MatchEvalMetrics, MetricsHistory, RetrievalScores, StepMetrics } from '../train/types';
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
const NON_FINITE = new Map<string, number>([['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]);

/** Evenly spaced entries, first and last always kept; the array itself when short enough. */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]);
}

/** The history as JSON, each list downsampled to at most `max` entries. */
export function encodeHistory(history: MetricsHistory, max = MAX_HISTORY_ENTRIES): string {
  const bounded = { steps: downsample(history.steps, max), evals: downsample(history.evals, max) };
  return JSON.stringify(bounded, (_key, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? String(value) : value);
}

type FieldKind = 'number' | 'nullable' | 'scores' | 'match' | 'numberList';

// Records over keyof: adding a field to StepMetrics or EvalMetrics fails to compile until it is listed here.
const STEP_FIELDS: Record<keyof StepMetrics, FieldKind> = {
  step: 'number', epoch: 'number', loss: 'number', clipLoss: 'number', matchLoss: 'nullable',
  accI2T: 'number', accT2I: 'number', matchAcc: 'nullable', posSim: 'number', negSim: 'number',
  logitScale: 'number', lr: 'number', pairsPerSec: 'number', msPerStep: 'number',
};
const EVAL_FIELDS: Record<keyof EvalMetrics, FieldKind> = {
  step: 'number', epoch: 'number', valLoss: 'number', i2t: 'scores', t2i: 'scores',
  matchAcc: 'nullable', auc: 'nullable', match: 'match', images: 'number', captions: 'number',
};
const MATCH_FIELDS: Record<keyof MatchEvalMetrics, FieldKind> = {
  aucRandom: 'number', aucHard: 'number', cosineAuc: 'number', cosineAucRandom: 'number', cosineAucHard: 'number',
  ece: 'number', eceCalibrated: 'number', plattA: 'number', plattB: 'number',
  binCount: 'numberList', binConfidence: 'numberList', binAccuracy: 'numberList',
};
const SCORE_FIELDS: Record<keyof RetrievalScores, FieldKind> = { r1: 'number', r5: 'number', r10: 'number', medianRank: 'number' };

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
      if (!Array.isArray(value) || value.length > 1000 || !value.every((v) => v === null || typeof v === 'number' || NON_FINITE.has(v as string))) {
        fail(`metadata 'metrics': ${at}: expected a list of numbers, found ${show(value)}`);
      }
      out[key] = (value as unknown[]).map((v) => (typeof v === 'string' ? NON_FINITE.get(v) : v));
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
