// Worst mistakes: the val images whose true caption the model ranks lowest, each with the wrong
// caption it prefers most, so a user sees what it confuses. Captions are rendered as text.
import type { Mistake } from '../../train/insights';
import { LongText } from '../common/LongText';

const CLAMP = 160; // characters of a caption shown before its "more"

export function WorstMistakes({
  mistakes,
  step,
  thumbnails,
}: {
  mistakes: Mistake[] | null;
  step: number | null;
  thumbnails: Map<number, string>;
}) {
  if (!mistakes)
    return (
      <p className="muted" data-testid="mistakes-empty">
        The worst mistakes appear after the first evaluation.
      </p>
    );
  if (!mistakes.length)
    return (
      <p className="muted" data-testid="mistakes-empty">
        No val image has both its own captions and others to compare.
      </p>
    );
  return (
    <div data-testid="mistakes" data-count={mistakes.length}>
      <p className="muted small">
        {step != null ? `Step ${step}: ` : ''}the val images whose own caption ranks lowest among all val captions (rank 1 is right), and
        the caption of another image the model prefers. Cosine similarity in brackets.
      </p>
      <ol className="mistakes">
        {mistakes.map((m, k) => (
          <li key={k} className="mistake" data-testid="mistake" data-rank={m.rank} data-image={m.image}>
            {thumbnails.get(m.image) ? (
              <img src={thumbnails.get(m.image)} alt="" width={72} height={72} />
            ) : (
              <div className="thumb-placeholder small-thumb" />
            )}
            <div className="small">
              <div>
                <strong>{m.rank === 1 ? 'right, narrowly' : `true caption ranked #${m.rank}`}</strong> ({m.trueSim.toFixed(3)}):{' '}
                <span className="caption-wrap" data-testid="mistake-true">
                  <LongText text={m.trueCaption} max={CLAMP} />
                </span>
              </div>
              <div>
                prefers ({m.preferredSim.toFixed(3)}):{' '}
                <span className="caption-wrap" data-testid="mistake-preferred">
                  <LongText text={m.preferredCaption} max={CLAMP} />
                </span>
              </div>
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
