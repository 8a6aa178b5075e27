import { describe, expect, it } from 'vitest';
import {
  BatchError,
  CaptionBatcher,
  clampBatchSize,
  evalSubset,
  planEpoch,
  splitCaptionIds,
  trainability,
} from '../../../src/data/batches';

/** 5 captions per image, caption id c belongs to image floor(c / 5). */
function dataset(images: number, perImage = 5) {
  const captionImage = Array.from({ length: images * perImage }, (_, c) => Math.floor(c / perImage));
  return { captionImage, ids: captionImage.map((_, c) => c) };
}

describe('planEpoch', () => {
  const { captionImage, ids } = dataset(20);

  it.each([[4], [8], [16], [20]])('batch %i: no batch holds two captions of one image', (B) => {
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const batch of planEpoch(captionImage, ids, B, 1, epoch)) {
        expect(batch).toHaveLength(B);
        expect(new Set(batch.map((c) => captionImage[c])).size).toBe(B);
      }
    }
  });

  it('uses every caption at most once and drops fewer than one batch of them', () => {
    const B = 8;
    const plan = planEpoch(captionImage, ids, B, 3, 0);
    const used = plan.flat();
    expect(new Set(used).size).toBe(used.length);
    expect(ids.length - used.length).toBeLessThan(B);
    expect(used.every((c) => ids.includes(c))).toBe(true);
  });

  it('with batch = number of images, each batch is one caption of every image', () => {
    const plan = planEpoch(captionImage, ids, 20, 5, 2);
    expect(plan).toHaveLength(5);
    expect(plan.flat().sort((a, b) => a - b)).toEqual(ids);
  });

  it('is deterministic in (seed, epoch) and differs across epochs and seeds', () => {
    const a = planEpoch(captionImage, ids, 8, 1, 0);
    expect(planEpoch(captionImage, ids, 8, 1, 0)).toEqual(a);
    expect(planEpoch(captionImage, ids, 8, 1, 1)).not.toEqual(a);
    expect(planEpoch(captionImage, ids, 8, 2, 0)).not.toEqual(a);
  });

  it('samples only the given caption ids', () => {
    const subset = ids.filter((c) => c % 2 === 0);
    expect(
      planEpoch(captionImage, subset, 4, 1, 0)
        .flat()
        .every((c) => c % 2 === 0),
    ).toBe(true);
  });
});

describe('CaptionBatcher', () => {
  const { captionImage, ids } = dataset(10);

  it('resumes exactly from a cursor', () => {
    const full = new CaptionBatcher(captionImage, ids, 4, 9);
    const order: number[][] = [];
    for (let epoch = 0; epoch < 3; epoch++) order.push(...full.plan(epoch));
    // A fresh batcher (as after a reload) continuing from epoch 1, batch 5.
    const resumed = new CaptionBatcher(captionImage, ids, 4, 9);
    const tail = [...resumed.plan(1).slice(5), ...resumed.plan(2)];
    const skipped = full.plan(0).length + 5;
    expect(tail).toEqual(order.slice(skipped));
  });

  it('counts nominal batches per epoch; a plan holds at most that many', () => {
    const b = new CaptionBatcher(captionImage, ids, 4, 9);
    expect(b.nominalBatchesPerEpoch).toBe(12);
    expect(b.plan(0).length).toBeLessThanOrEqual(12);
  });

  it.each([
    [11, 'too-few-images', /a batch of 11 needs 11 distinct images, found 10/],
    [0, 'bad-batch-size', /batchSize: expected an integer >= 1, found 0/],
  ])('batch %i: %s', (B, code, message) => {
    const make = () => new CaptionBatcher(captionImage, ids, B, 1);
    expect(make).toThrow(BatchError);
    expect(make).toThrow(message);
    try {
      make();
    } catch (e) {
      expect((e as BatchError).code).toBe(code);
    }
  });
});

describe('split helpers', () => {
  // images 0..5: splits train, val, train, val, test, val; image 5 has no captions
  const imageSplit = Uint8Array.from([0, 1, 0, 1, 2, 1]);
  const captions = [0, 1, 1, 2, 3, 3, 4].map((image) => ({ image }));

  it('splitCaptionIds picks the captions of one split', () => {
    expect(splitCaptionIds(imageSplit, captions, 'train')).toEqual([0, 3]);
    expect(splitCaptionIds(imageSplit, captions, 'val')).toEqual([1, 2, 4, 5]);
  });

  it.each([
    [1, [1], [1, 2]],
    [2, [1, 3], [1, 2, 4, 5]],
    [9, [1, 3], [1, 2, 4, 5]], // image 5 has no captions: never chosen
  ])('evalSubset(max %i)', (max, imageIds, captionIds) => {
    expect(evalSubset(imageSplit, captions, 'val', max)).toEqual({ imageIds, captionIds });
  });
});

describe('small datasets (issue 9)', () => {
  it.each([
    [16, 100, 16, false],
    [16, 12, 12, true],
    [64, 2, 2, true],
    [8, 8, 8, false],
  ])('clampBatchSize(%i, %i images) -> %i (clamped %s)', (requested, images, expected, clamped) => {
    const c = clampBatchSize(requested, images);
    expect(c.batchSize).toBe(expected);
    expect(c.clamped).toBe(clamped);
    expect(c.note === null).toBe(!clamped);
    if (clamped)
      expect(c.note).toBe(
        `Batch size ${requested} → ${images}: the training split has ${images} distinct images, and a batch holds one caption per image.`,
      );
  });

  it('clampBatchSize refuses fewer than 2 images and a bad batch size', () => {
    expect(() => clampBatchSize(16, 1)).toThrow(BatchError);
    expect(() => clampBatchSize(16, 1)).toThrow(/at least 2 distinct training images with captions, found 1/);
    expect(() => clampBatchSize(0, 10)).toThrow(/expected an integer >= 1, found 0/);
  });

  // splits: 0 train, 1 val, 2 test; captions point at images.
  const captionsOf = (perImage: number[]) => perImage.flatMap((n, image) => Array.from({ length: n }, () => ({ image })));
  it.each([
    [
      '12 images, 10 train / 1 val / 1 test: trains, batch clamped, no evaluation',
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
      5,
      true,
      'ok',
      10,
      2,
    ],
    ['30 images, 24 / 3 / 3: trains as asked', [...Array(24).fill(0), 1, 1, 1, 2, 2, 2], 5, true, 'ok', 16, 0],
    ['one training image', [0, 1, 1, 2], 5, false, 'too-few-images', null, 0],
    ['no training captions', [1, 1, 2], 5, false, 'no-train-captions', null, 0],
  ])('%s', (_name, splits, perImage, ok, code, batchSize, notes) => {
    const t = trainability(Uint8Array.from(splits), captionsOf(splits.map(() => perImage)), 16);
    expect([t.ok, t.code]).toEqual([ok, code]);
    expect(t.batch?.batchSize ?? null).toBe(batchSize);
    expect(t.notes.length).toBe(notes);
    if (!ok)
      expect(t.message).toMatch(
        /^This dataset cannot train: expected|^This dataset cannot train: contrastive training needs at least 2 training images with captions, found 1/,
      );
  });

  it('a clamped batch size plans full epochs on 12 images', () => {
    const captionImage = Array.from({ length: 60 }, (_, id) => id % 12);
    const { batchSize } = clampBatchSize(16, 12);
    const plan = planEpoch(
      captionImage,
      captionImage.map((_, id) => id),
      batchSize,
      1,
      0,
    );
    expect(plan.length).toBeGreaterThanOrEqual(4);
    for (const batch of plan) expect(new Set(batch.map((id) => captionImage[id])).size).toBe(12);
  });
});
