// Vitest global setup: one visible line when ../shared/datasets is absent (its tests skip), or
// a failure before any test runs when CLIP_LAB_REQUIRE_DATASETS=1 demands it.
import { existsSync } from 'node:fs';
import { REQUIRE_DATASETS, SHARED_DATASETS } from './datasets';

export default function setup(): void {
  if (existsSync(SHARED_DATASETS)) return;
  if (REQUIRE_DATASETS) {
    throw new Error(`CLIP_LAB_REQUIRE_DATASETS=1: expected the real datasets at ${SHARED_DATASETS}, found nothing`);
  }
  console.log(`SKIPPING real-data tests: ${SHARED_DATASETS} not found (clone beside a shared/ folder to run them)`);
}
