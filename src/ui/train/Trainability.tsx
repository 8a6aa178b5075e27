// Can the chosen dataset train, and with which batch size? Asked of the stored dataset before a
// run is created (data/batches.ts trainability): a dataset that cannot train says why and no run
// is made; a batch size above the distinct training images is clamped, with the note shown.
import { useEffect, useState } from 'react';
import { trainability, type Trainability } from '../../data/batches';
import { SPLIT_CODE } from '../../data/types';
import { getDatasetIndex } from '../../storage/datasets';

/** trainability() of a stored dataset: split codes and one entry per caption, from its text index. */
export async function datasetTrainability(datasetId: string, batchSize: number): Promise<Trainability> {
  const index = await getDatasetIndex(datasetId);
  const imageSplit = Uint8Array.from(index.splits, (s) => SPLIT_CODE[s]);
  const captions = index.captions.flatMap((cs, image) => cs.map(() => ({ image })));
  return trainability(imageSplit, captions, batchSize);
}

/** The dataset's trainability for `batchSize`, kept up to date as either changes (null while unknown). */
export function useTrainability(datasetId: string | null, batchSize: number | null): Trainability | null {
  const [result, setResult] = useState<Trainability | null>(null);
  useEffect(() => {
    setResult(null);
    if (!datasetId || batchSize == null) return;
    let current = true;
    datasetTrainability(datasetId, batchSize).then(
      (t) => current && setResult(t),
      () => current && setResult(null),
    );
    return () => {
      current = false;
    };
  }, [datasetId, batchSize]);
  return result;
}

export function TrainabilityNote({ result }: { result: Trainability | null }) {
  if (!result) return null;
  if (!result.ok) {
    return (
      <div className="warning-banner" role="status" data-testid="train-blocked" data-code={result.code}>
        {result.message}
      </div>
    );
  }
  if (!result.notes.length) return null;
  return (
    <div className="note-banner" data-testid="train-note" data-batch={result.batch?.batchSize}>
      {result.notes.map((n) => (
        <div key={n}>{n}</div>
      ))}
    </div>
  );
}
