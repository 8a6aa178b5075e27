// Batch sampling for contrastive training: each epoch is a seeded shuffle of the training
// captions, grouped so that no batch holds two captions of one image (the other caption would be
// a false negative). Deterministic in (seed, epoch), so a cursor (epoch, batchIndex) resumes exactly.
import { LabError } from '../errors';
import { hashString, mulberry32, shuffleInPlace } from './random';
import { SPLIT_CODE, type Split } from './types';

export type BatchErrorCode = 'too-few-images' | 'bad-batch-size';

export class BatchError extends LabError<BatchErrorCode> {
  override readonly name = 'BatchError';
}

/** The seed of one epoch's shuffle. */
export function epochSeed(seed: number, epoch: number): number {
  return hashString(`epoch:${seed}:${epoch}`);
}

/**
 * One epoch's batches of caption ids. Captions are taken in shuffled order; a caption whose
 * image is already in the batch being filled is deferred, and deferred captions go first into
 * the next batches. Only FULL batches are returned: the tail that cannot fill a batch (fewer than
 * batchSize captions, or leftovers that all share images) is dropped for this epoch — a fixed batch
 * shape keeps webgpu from compiling new shaders, and the shuffle drops different captions each epoch.
 */
export function planEpoch(
  captionImage: ArrayLike<number>, // image index of every caption id
  captionIds: readonly number[], // the captions to sample (e.g. the train split)
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  const order = shuffleInPlace([...captionIds], mulberry32(epochSeed(seed, epoch)));
  const batches: number[][] = [];
  let deferred: number[] = [];
  let next = 0;
  while (next < order.length || deferred.length > 0) {
    const batch: number[] = [];
    const images = new Set<number>();
    const take = (id: number): boolean => {
      if (batch.length >= batchSize || images.has(captionImage[id])) return false;
      batch.push(id);
      images.add(captionImage[id]);
      return true;
    };
    deferred = deferred.filter((id) => !take(id));
    while (batch.length < batchSize && next < order.length) {
      const id = order[next++];
      if (!take(id)) deferred.push(id);
    }
    if (batch.length < batchSize) break; // the dropped tail
    batches.push(batch);
  }
  return batches;
}

/** Caption ids whose image is in `split`, in caption order. */
export function splitCaptionIds(
  imageSplit: Uint8Array,
  captions: readonly { image: number }[],
  split: Split,
): number[] {
  const code = SPLIT_CODE[split];
  const ids: number[] = [];
  captions.forEach((c, id) => {
    if (imageSplit[c.image] === code) ids.push(id);
  });
  return ids;
}

/**
 * The evaluation sample: the first `maxImages` captioned images of `split` (by index, so every
 * evaluation of a run sees the same images) and all of their captions.
 */
export function evalSubset(
  imageSplit: Uint8Array,
  captions: readonly { image: number }[],
  split: Split,
  maxImages: number,
): { imageIds: number[]; captionIds: number[] } {
  const code = SPLIT_CODE[split];
  const captioned = new Set(captions.map((c) => c.image));
  const imageIds: number[] = [];
  for (let i = 0; i < imageSplit.length && imageIds.length < maxImages; i++) {
    if (imageSplit[i] === code && captioned.has(i)) imageIds.push(i);
  }
  const chosen = new Set(imageIds);
  const captionIds: number[] = [];
  captions.forEach((c, id) => {
    if (chosen.has(c.image)) captionIds.push(id);
  });
  return { imageIds, captionIds };
}

/** Epoch plans for one set of captions, with the latest plan kept so stepping through it is cheap. */
export class CaptionBatcher {
  private cached: { epoch: number; plan: number[][] } | null = null;

  constructor(
    private readonly captionImage: ArrayLike<number>,
    private readonly captionIds: readonly number[],
    readonly batchSize: number,
    private readonly seed: number,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new BatchError('bad-batch-size', `batchSize: expected an integer >= 1, found ${batchSize}`);
    }
    const images = new Set(captionIds.map((id) => captionImage[id])).size;
    if (images < batchSize) {
      throw new BatchError('too-few-images',
        `a batch of ${batchSize} needs ${batchSize} distinct images, found ${images} (${captionIds.length} captions)`);
    }
  }

  /** Nominal batches per epoch (the LR schedule's unit); a plan may hold a batch fewer. */
  get nominalBatchesPerEpoch(): number {
    return Math.floor(this.captionIds.length / this.batchSize);
  }

  plan(epoch: number): number[][] {
    if (this.cached?.epoch !== epoch) {
      this.cached = { epoch, plan: planEpoch(this.captionImage, this.captionIds, this.batchSize, this.seed, epoch) };
    }
    return this.cached.plan;
  }
}
