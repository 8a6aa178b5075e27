// Stores a synthetic training set (tests/unit/train/fixtures) as a complete dataset in (fake)
// IndexedDB, the way an import would, for the worker modules' tests.
import type { Split } from '../../../src/data/types';
import { appendImages, completeDataset, createDataset, type DatasetMeta, type IngestReport } from '../../../src/storage/datasets';
import { syntheticSet, type SyntheticOptions } from '../train/fixtures';

const SPLITS: Split[] = ['train', 'val', 'test'];

/** `original(i)`: image i's stored original file (none when absent or undefined, like the built-in sample). */
export async function storeSyntheticSet(opts: SyntheticOptions, original?: (i: number) => Blob | undefined): Promise<DatasetMeta> {
  const set = syntheticSet(opts);
  const n = set.imageNames.length;
  const per = set.imageSize * set.imageSize * 3;
  let meta = await createDataset({ name: set.name, source: 'sample', imageSize: set.imageSize, expectedImages: n });
  meta = await appendImages(
    meta,
    set.imageNames.map((name, i) => ({
      name,
      split: SPLITS[set.imageSplit[i]],
      width: set.imageSize,
      height: set.imageSize,
      captions: set.captions.filter((c) => c.image === i).map((c) => c.text),
      thumb: new Blob([Uint8Array.of(0xff, 0xd8, i)], { type: 'image/jpeg' }),
      original: original?.(i),
      pixels: set.pixels.slice(i * per, (i + 1) * per),
    })),
  );
  return completeDataset(meta, { images: n } as IngestReport);
}
