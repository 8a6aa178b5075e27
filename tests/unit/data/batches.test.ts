import { describe, expect, it } from 'vitest';
import { BatchError, CaptionBatcher, evalSubset, planEpoch, splitCaptionIds } from '../../../src/data/batches';

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
    expect(planEpoch(captionImage, subset, 4, 1, 0).flat().every((c) => c % 2 === 0)).toBe(true);
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
