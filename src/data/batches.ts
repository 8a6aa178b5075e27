// Batch sampling for contrastive training: each epoch is a seeded shuffle of the training
// captions, grouped so that no batch holds two captions of one image (the other caption would be
// a false negative). Deterministic in (seed, epoch), so a cursor (epoch, batchIndex) resumes exactly.
// Also, before a run exists: can a dataset train at all, and the batch size clamped to its images.
import { LabError } from '../errors';
import { hashString, mulberry32, shuffleInPlace } from './random';
import { SPLIT_CODE, type Split } from './types';

export type BatchErrorCode = 'too-few-images' | 'bad-batch-size' | 'no-train-captions';

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
export function splitCaptionIds(imageSplit: Uint8Array, captions: readonly { image: number }[], split: Split): number[] {
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
      throw new BatchError(
        'too-few-images',
        `a batch of ${batchSize} needs ${batchSize} distinct images, found ${images} (${captionIds.length} captions)`,
      );
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

/** A contrastive batch needs at least two images: one caption's negatives are the others. */
export const MIN_TRAIN_IMAGES = 2;
/** Evaluation (R@K, calibration, best checkpoint) needs at least two val images. */
export const MIN_EVAL_IMAGES = 2;

export interface BatchSizeChoice {
  batchSize: number; // what the run uses
  requested: number;
  clamped: boolean;
  note: string | null; // shown beside the batch size when clamped
}

/**
 * The batch size a run can use: a batch holds one caption per image, so at most the number of
 * distinct training images. Throws BatchError('too-few-images') below MIN_TRAIN_IMAGES.
 */
export function clampBatchSize(requested: number, distinctTrainImages: number): BatchSizeChoice {
  if (!Number.isInteger(requested) || requested < 1) {
    throw new BatchError('bad-batch-size', `batchSize: expected an integer >= 1, found ${requested}`);
  }
  if (distinctTrainImages < MIN_TRAIN_IMAGES) {
    throw new BatchError(
      'too-few-images',
      `training needs at least ${MIN_TRAIN_IMAGES} distinct training images with captions, found ${distinctTrainImages}`,
    );
  }
  if (requested <= distinctTrainImages) return { batchSize: requested, requested, clamped: false, note: null };
  return {
    batchSize: distinctTrainImages,
    requested,
    clamped: true,
    note: `Batch size ${requested} → ${distinctTrainImages}: the training split has ${distinctTrainImages} distinct images, and a batch holds one caption per image.`,
  };
}

export interface Trainability {
  ok: boolean; // false: do not create the run
  code: 'ok' | Exclude<BatchErrorCode, 'bad-batch-size'>;
  message: string; // why not, or what to expect
  trainImages: number; // distinct images with captions per split
  valImages: number;
  trainCaptions: number;
  batch: BatchSizeChoice | null; // the batch size the run would use (null when it cannot train)
  notes: string[]; // what works but is limited: clamped batch, no evaluation
}

/**
 * Whether a dataset can train at all, asked before a run is created, with a message that says
 * why not: no training captions, or fewer than MIN_TRAIN_IMAGES training images. Too few val
 * images still trains, with a note that nothing will be evaluated.
 */
export function trainability(imageSplit: Uint8Array, captions: readonly { image: number }[], requestedBatchSize: number): Trainability {
  const imagesIn = (split: Split) => new Set(captions.filter((c) => imageSplit[c.image] === SPLIT_CODE[split]).map((c) => c.image)).size;
  const trainImages = imagesIn('train');
  const valImages = imagesIn('val');
  const trainCaptions = captions.filter((c) => imageSplit[c.image] === SPLIT_CODE.train).length;
  const base = { trainImages, valImages, trainCaptions };
  const total = new Set(captions.map((c) => c.image)).size;
  if (trainCaptions === 0) {
    return {
      ...base,
      ok: false,
      code: 'no-train-captions',
      batch: null,
      notes: [],
      message: `This dataset cannot train: expected captioned images in the train split, found none (${total} captioned images in all).`,
    };
  }
  if (trainImages < MIN_TRAIN_IMAGES) {
    return {
      ...base,
      ok: false,
      code: 'too-few-images',
      batch: null,
      notes: [],
      message:
        `This dataset cannot train: contrastive training needs at least ${MIN_TRAIN_IMAGES} training images with captions, ` +
        `found ${trainImages} (${total} captioned images in all). Add images or captions.`,
    };
  }
  const batch = clampBatchSize(requestedBatchSize, trainImages);
  const notes = batch.note ? [batch.note] : [];
  if (valImages < MIN_EVAL_IMAGES) {
    notes.push(
      `Only ${valImages} val image${valImages === 1 ? '' : 's'} with captions: no evaluation, calibration or best-checkpoint choice (needs ${MIN_EVAL_IMAGES}).`,
    );
  }
  return {
    ...base,
    ok: true,
    code: 'ok',
    batch,
    notes,
    message: `Trains on ${trainImages} images (${trainCaptions} captions) with batch size ${batch.batchSize}.`,
  };
}
