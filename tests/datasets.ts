// Where the real-data tests find ../shared/datasets, and what they do without it: on a plain
// clone they skip (the global setup prints one line naming the missing folder); with
// CLIP_LAB_REQUIRE_DATASETS=1 (set by .ci/run: CI always has the datasets) absence is a failure.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

export const SHARED_DATASETS = resolve(fileURLToPath(new URL('../../shared/datasets', import.meta.url)));

export const REQUIRE_DATASETS = process.env.CLIP_LAB_REQUIRE_DATASETS === '1';

/** Absolute path of a folder or file under ../shared/datasets. */
export function datasetPath(sub: string): string {
  return join(SHARED_DATASETS, sub);
}

/** Whether `sub` exists under ../shared/datasets; throws when it is required and missing. */
export function hasDataset(sub: string): boolean {
  const path = datasetPath(sub);
  if (existsSync(path)) return true;
  if (REQUIRE_DATASETS) throw new Error(`CLIP_LAB_REQUIRE_DATASETS=1: expected ${path}, found nothing`);
  return false;
}

/** `describe` / `it` that run only when every `sub` exists (skipped, not failed, on a plain clone). */
export const describeWithData = (...subs: string[]) => (subs.every(hasDataset) ? describe : describe.skip);
export const itWithData = (...subs: string[]) => (subs.every(hasDataset) ? it : it.skip);
