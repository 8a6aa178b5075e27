// How an import's images are cut into batches (each decoded by one worker, then stored as one atomic
// transaction). Small first batches, so the first store starts early and every worker decodes from
// the start; doubling up to the largest batch; and a balanced tail, so the workers run out of work
// together and the last stores are small. Pure: unit-tested in Node.

/** Largest batch: images per atomic write once the import is under way. */
export const MAX_BATCH = 48;
/** Size of each worker's first batch. */
export const FIRST_BATCH = 8;

/**
 * Batch sizes for `total` images over `workers` workers, in plan order: each size taken `workers`
 * times (one round), starting at `first` and doubling up to `max`; when a round begins with no more
 * images left than one batch per worker, they are split into `workers` near-equal batches (larger
 * first). Each round gives every worker the same number of images.
 */
export function batchSizes(total: number, workers: number, max = MAX_BATCH, first = FIRST_BATCH): number[] {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`batchSizes: expected a whole number of images ≥ 0, found ${total}`);
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`batchSizes: expected ≥ 1 worker, found ${workers}`);
  if (!(first >= 1 && max >= first)) throw new RangeError(`batchSizes: expected 1 ≤ first ≤ max, found first ${first}, max ${max}`);
  const sizes: number[] = [];
  let left = total;
  for (let k = 0; left > 0; k++) {
    const size = Math.min(max, first * 2 ** Math.floor(k / workers));
    if (k % workers === 0 && left <= workers * size) {
      const parts = Math.min(workers, left);
      for (let p = 0; p < parts; p++) sizes.push(Math.floor(left / parts) + (p < left % parts ? 1 : 0));
      break;
    }
    sizes.push(size);
    left -= size;
  }
  return sizes;
}

/** `items` cut by batchSizes, in order. */
export function cutBatches<T>(items: T[], workers: number, max = MAX_BATCH, first = FIRST_BATCH): T[][] {
  let at = 0;
  return batchSizes(items.length, workers, max, first).map((n) => items.slice(at, (at += n)));
}
