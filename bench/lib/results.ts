// Benchmark result files: one JSON per benchmark under bench/results/, overwritten by each run
// (git keeps the history), and read back by bench/report.ts to regenerate BENCHMARKS.md.

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MachineInfo } from './machine';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** Never changed in place: a new layout gets a new number. */
export const RESULTS_VERSION = 1;

export type BenchName = 'train' | 'search' | 'memory' | 'quality' | 'profile' | 'preprocess' | 'ratio' | 'ratio-pretrained';

export interface ResultFile<T> {
  version: typeof RESULTS_VERSION;
  benchmark: BenchName;
  startedAt: string; // ISO 8601
  seconds: number; // the whole benchmark's wall time
  machine: MachineInfo;
  rows: T[];
  notes: string[];
}

export function writeResult<T>(file: ResultFile<T>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${file.benchmark}.json`;
  writeFileSync(path, JSON.stringify(file, null, 1) + '\n');
  return path;
}

export function readResult<T>(name: BenchName): ResultFile<T> | null {
  const path = `${RESULTS_DIR}${name}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ResultFile<T>) : null;
}
