// "What the model learned": the live batch similarity matrix, the embedding map and the worst
// mistakes of the latest evaluation, and the comparison of this dataset's runs, in cards under
// the training curves. Each card fits a 390 px screen; wide content scrolls inside its card.
import { useMemo } from 'react';
import type { RunMeta } from '../../storage/runs';
import type { BatchSimilarity, EvalInsights } from '../../train/insights';
import { EmbeddingMap } from './EmbeddingMap';
import { RunComparison } from './RunComparison';
import { SimilarityHeatmap } from './SimilarityHeatmap';
import { useThumbnails } from './useThumbnails';
import { WorstMistakes } from './WorstMistakes';

export function Insights({
  datasetId,
  similarity,
  insights,
  runs,
  runsVersion,
}: {
  datasetId: string | null;
  similarity: BatchSimilarity | null;
  insights: EvalInsights | null;
  runs: RunMeta[];
  runsVersion: number;
}) {
  const wanted = useMemo(
    () => [
      ...(similarity?.images ?? []),
      ...(insights?.map.images.map((p) => p.image) ?? []),
      ...(insights?.mistakes.map((m) => m.image) ?? []),
    ],
    [similarity, insights],
  );
  const thumbnails = useThumbnails(datasetId, wanted);
  return (
    <section className="insights" aria-labelledby="insights-heading" data-testid="insights">
      <h3 id="insights-heading">What the model learned</h3>
      <div className="insights-grid">
        <div className="card insight-card">
          <h4>Batch similarity (live)</h4>
          <SimilarityHeatmap similarity={similarity} thumbnails={thumbnails} />
        </div>
        <div className="card insight-card">
          <h4>Embedding map (val, per epoch)</h4>
          <EmbeddingMap map={insights?.map ?? null} step={insights?.step ?? null} thumbnails={thumbnails} />
        </div>
        <div className="card insight-card">
          <h4>Worst mistakes (val, per epoch)</h4>
          <WorstMistakes mistakes={insights?.mistakes ?? null} step={insights?.step ?? null} thumbnails={thumbnails} />
        </div>
        <div className="card insight-card">
          <h4>Compare runs</h4>
          <RunComparison runs={runs} version={runsVersion} />
        </div>
      </div>
    </section>
  );
}
