// The versioned message protocols between the page and its workers: discriminated unions,
// errors serialised as {name, message, code} and rethrown where they are awaited.

import type { BackendName, TrainConfig } from '../config';
import type { EvalMetrics, StepMetrics, TrainPhase } from '../train/types';
import type { BackendChoice, BackendInfo } from '../workers/backend';
import type { ScoreRow, ZeroShotRow } from '../use/modelSession';
import type { Split } from '../data/types';

export const PROTOCOL_VERSION = 1;

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : undefined };
  }
  return { name: 'Error', message: String(err) };
}

/** An Error rebuilt on the receiving side, keeping the sender's name and code. */
export class RemoteError extends Error {
  readonly code?: string;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
  }
}

// ---- decode worker ----
export type DecodeRequest = {
  v: typeof PROTOCOL_VERSION;
  type: 'decode';
  id: number;
  file: Blob;
  name: string;
  size: number;
  thumbSize: number;
};

export type DecodeResponse =
  | { v: typeof PROTOCOL_VERSION; type: 'decoded'; id: number; pixels: Uint8Array; thumb?: Blob; width: number; height: number }
  | { v: typeof PROTOCOL_VERSION; type: 'error'; id: number; error: SerializedError };

// ---- train worker ----

export type TrainRequest =
  | { v: typeof PROTOCOL_VERSION; type: 'start'; runId: string; datasetId: string; config: TrainConfig; backend: BackendName | 'auto'; resume: boolean }
  | { v: typeof PROTOCOL_VERSION; type: 'pause' }
  | { v: typeof PROTOCOL_VERSION; type: 'resume' }
  | { v: typeof PROTOCOL_VERSION; type: 'stop' };

export type TrainResponse =
  | { v: typeof PROTOCOL_VERSION; type: 'backend'; info: BackendInfo }
  | { v: typeof PROTOCOL_VERSION; type: 'phase'; phase: TrainPhase | 'loading'; detail?: string }
  | { v: typeof PROTOCOL_VERSION; type: 'history'; steps: StepMetrics[]; evals: EvalMetrics[]; totalSteps: number }
  | { v: typeof PROTOCOL_VERSION; type: 'step'; metrics: StepMetrics }
  | { v: typeof PROTOCOL_VERSION; type: 'eval'; metrics: EvalMetrics }
  | { v: typeof PROTOCOL_VERSION; type: 'checkpoint'; step: number }
  | { v: typeof PROTOCOL_VERSION; type: 'paused' | 'resumed' }
  | { v: typeof PROTOCOL_VERSION; type: 'done'; step: number; stopped: boolean }
  | { v: typeof PROTOCOL_VERSION; type: 'error'; error: SerializedError };

// ---- model worker (use a trained model): request/response RPC with progress ----

/** An image to score: a file the user gave, or an image of a stored dataset. */
export type ImageInput = { kind: 'file'; file: Blob; name: string } | { kind: 'dataset'; datasetId: string; index: number };

export interface LoadedModel {
  runId: string;
  step: number;
  summary: string;
  backend: string;
  hasClassifier: boolean;
}

export interface ImageHit {
  index: number; // dataset image index
  score: number; // cosine
}

export interface CaptionHit {
  image: number;
  caption: string;
  score: number;
}

export interface ModelMethods {
  load(a: { runId: string; backend: BackendChoice }): LoadedModel;
  importFile(a: { bytes: ArrayBuffer; fileName: string; backend: BackendChoice }): LoadedModel;
  score(a: { image: ImageInput; captions: string[] }): ScoreRow[];
  buildIndex(a: { datasetId: string; split: Split | 'all' }): { images: number; captions: number; cached: boolean; seconds: number };
  searchText(a: { datasetId: string; split: Split | 'all'; query: string; k: number }): ImageHit[];
  searchImage(a: { datasetId: string; split: Split | 'all'; image: ImageInput; k: number }): CaptionHit[];
  zeroShot(a: { image: ImageInput; labels: string[]; template: string }): ZeroShotRow[];
  exportFile(a: { runId: string }): { bytes: Uint8Array; fileName: string };
}

export type ModelMethod = keyof ModelMethods;

export type ModelRequest = {
  [M in ModelMethod]: { v: typeof PROTOCOL_VERSION; id: number; method: M; args: Parameters<ModelMethods[M]>[0] };
}[ModelMethod];

export type ModelResponse =
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'result'; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'progress'; done: number; total: number; label: string }
  | { v: typeof PROTOCOL_VERSION; id: number; type: 'error'; error: SerializedError };
