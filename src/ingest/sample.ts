// Stores the built-in synthetic sample dataset (coloured shapes with compositional captions),
// generated in the browser from a fixed seed, through the same storage path as a real import.
import { rgbToBlob } from '../data/decode';
import { renderSampleImage, sampleImageCount, SAMPLE_DATASET_NAME } from '../data/sample';
import { assignSplits } from '../data/splits';
import { appendImages, completeDataset, createDataset, type DatasetMeta, type NewImage } from '../storage/datasets';
import { ingestReport, type IngestPlan } from './plan';
import type { IngestProgress } from './run';

export const SAMPLE_IMAGE_SIZE = 64;
const BATCH = 100;

export async function createSampleDataset(opts: { count?: number; onProgress?: (p: IngestProgress) => void } = {}): Promise<DatasetMeta> {
  const t0 = performance.now();
  const count = opts.count ?? sampleImageCount();
  const images = Array.from({ length: count }, (_, i) => renderSampleImage(i, SAMPLE_IMAGE_SIZE));
  const splits = assignSplits(
    images.map((i) => i.name),
    { seed: 42 },
  );
  let meta = await createDataset({ name: SAMPLE_DATASET_NAME, source: 'sample', imageSize: SAMPLE_IMAGE_SIZE, expectedImages: count });
  for (let s = 0; s < count; s += BATCH) {
    const batch: NewImage[] = await Promise.all(
      images.slice(s, s + BATCH).map(async (img) => ({
        name: img.name,
        split: splits.split.get(img.name)!,
        captions: img.captions,
        width: SAMPLE_IMAGE_SIZE,
        height: SAMPLE_IMAGE_SIZE,
        thumb: await rgbToBlob(img.pixels, SAMPLE_IMAGE_SIZE, SAMPLE_IMAGE_SIZE, 'image/png'),
        pixels: img.pixels,
      })),
    );
    meta = await appendImages(meta, batch);
    const secs = (performance.now() - t0) / 1000;
    opts.onProgress?.({
      phase: 'decoding',
      done: meta.storedImages,
      total: count,
      stored: meta.storedImages,
      skipped: 0,
      imagesPerSecond: meta.storedImages / secs,
      etaSeconds: null,
    });
  }
  const plan: IngestPlan = {
    images: images.map((img) => ({ path: img.name, name: img.name, captions: img.captions, split: splits.split.get(img.name)! })),
    format: 'Synthetic (generated in the browser)',
    captionFile: '(generated)',
    captionFileReason: 'built-in sample: scenes of coloured shapes with captions generated from the same scene description',
    otherCaptionFiles: [],
    imagesWithoutCaptions: [],
    missingImages: [],
    missingImageCaptions: 0,
    missingImageNames: 0,
    ignored: [],
    duplicates: [],
    parseIssues: [],
    parseIssueCount: 0,
    splitSource: splits.source,
    splitCounts: splits.counts,
    splitNotInLists: 0,
    splitListAbsent: 0,
  };
  return completeDataset(
    meta,
    ingestReport(plan, { stored: count, corrupt: [], processed: count, seconds: (performance.now() - t0) / 1000 }),
  );
}
