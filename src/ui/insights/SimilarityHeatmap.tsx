// The live similarity matrix: the current batch's image×caption cosines as a heatmap (rows are
// images, columns captions, the matching pairs on the diagonal, which lights up as training
// works). Hover or arrow keys pick a cell and show its thumbnail and caption (as text).
import { useEffect, useMemo, useRef, useState } from 'react';
import { heatmapStats, type BatchSimilarity } from '../../train/insights';
import { LongText } from '../common/LongText';

const SIDE = 320; // canvas pixels; CSS shrinks it to the box on a narrow screen

/** Cosine -1..1 to a blue (low) → white → red (high) colour. */
function colour(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const a = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
}

export function SimilarityHeatmap({ similarity, thumbnails }: { similarity: BatchSimilarity | null; thumbnails: Map<number, string> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const B = similarity?.size ?? 0;
  const stats = useMemo(() => (similarity && B >= 2 ? heatmapStats(similarity.sim, B) : null), [similarity, B]);

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx || !similarity) return;
    const c = SIDE / B;
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < B; j++) {
        ctx.fillStyle = colour(similarity.sim[i * B + j]);
        ctx.fillRect(j * c, i * c, Math.ceil(c), Math.ceil(c));
      }
    }
    if (cell) {
      ctx.strokeStyle = '#1d2433';
      ctx.lineWidth = 2;
      ctx.strokeRect(cell[1] * c + 1, cell[0] * c + 1, c - 2, c - 2);
    }
  }, [similarity, B, cell]);

  if (!similarity || !stats) {
    return (
      <p className="muted" data-testid="heatmap-empty">
        The batch similarity matrix appears after the first steps.
      </p>
    );
  }
  const pick = (ev: React.MouseEvent<HTMLCanvasElement>) => {
    const box = ev.currentTarget.getBoundingClientRect();
    const j = Math.floor(((ev.clientX - box.left) / box.width) * B);
    const i = Math.floor(((ev.clientY - box.top) / box.height) * B);
    if (i >= 0 && i < B && j >= 0 && j < B) setCell([i, j]);
  };
  const onKey = (ev: React.KeyboardEvent) => {
    const move: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const d = move[ev.key];
    if (!d) return;
    ev.preventDefault();
    const [i, j] = cell ?? [0, 0];
    setCell(cell ? [Math.min(B - 1, Math.max(0, i + d[0])), Math.min(B - 1, Math.max(0, j + d[1]))] : [0, 0]);
  };
  const [ci, cj] = cell ?? [null, null];
  return (
    <div
      className="heatmap"
      data-testid="heatmap"
      data-size={B}
      data-step={similarity.step}
      data-diagonal-mean={stats.diagonalMean}
      data-off-diagonal-mean={stats.offDiagonalMean}
    >
      <p className="muted small">
        Step {similarity.step}: cosine of each image (row) with each caption (column) in the batch. The matching pairs sit on the diagonal;
        a model that learns makes it red against a pale background. Diagonal mean {stats.diagonalMean.toFixed(3)}, elsewhere{' '}
        {stats.offDiagonalMean.toFixed(3)}.
      </p>
      <div className="heatmap-body">
        <canvas
          ref={canvas}
          width={SIDE}
          height={SIDE}
          tabIndex={0}
          role="img"
          data-testid="heatmap-canvas"
          aria-label={`Similarity matrix of ${B} images and captions; arrow keys move between cells`}
          onMouseMove={pick}
          onKeyDown={onKey}
        />
        <div className="heatmap-detail" data-testid="heatmap-detail" aria-live="polite">
          {ci === null || cj === null ? (
            <p className="muted small">Hover a cell (or focus the matrix and use the arrow keys) to see its image and caption.</p>
          ) : (
            <>
              {thumbnails.get(similarity.images[ci]) ? (
                <img src={thumbnails.get(similarity.images[ci])} alt="" width={72} height={72} />
              ) : (
                <div className="thumb-placeholder small-thumb" />
              )}
              <p className="small">
                image {ci + 1} × caption {cj + 1}
                {ci === cj ? ' (its own)' : ''}: cosine{' '}
                <strong data-testid="heatmap-cell-value">{similarity.sim[ci * B + cj].toFixed(3)}</strong>
              </p>
              <p className="small caption-wrap" data-testid="heatmap-caption">
                <LongText text={similarity.captions[cj]} max={160} />
              </p>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
