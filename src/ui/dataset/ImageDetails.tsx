// One dataset image opened from the gallery: larger thumbnail, file name, split and every caption
// (long ones folded), with buttons that take it to Use: to score it, or to find similar images.
import { useEffect, useState } from 'react';
import { getImageRecords, type DatasetIndex } from '../../storage/datasets';
import { LongText } from '../common/LongText';

export function ImageDetails({
  datasetId,
  index,
  i,
  onClose,
  onScore,
  onSimilar,
}: {
  datasetId: string;
  index: DatasetIndex;
  i: number;
  onClose: () => void;
  onScore?: (i: number) => void;
  onSimilar?: (i: number) => void;
}) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live: string | null = null;
    void getImageRecords(datasetId, [i]).then(([r]) => {
      const blob = r?.original ?? r?.thumb;
      if (blob) setUrl((live = URL.createObjectURL(blob)));
    });
    return () => {
      if (live) URL.revokeObjectURL(live);
      setUrl(null);
    };
  }, [datasetId, i]);
  return (
    <section className="card image-details" data-testid="image-details" aria-label={`Image ${index.names[i]}`}>
      <div className="row">
        <h4 style={{ margin: 0, overflowWrap: 'anywhere' }} data-testid="image-details-name">
          {index.names[i]}
        </h4>
        <span className="split-tag">{index.splits[i]}</span>
        <button type="button" onClick={onClose} style={{ marginLeft: 'auto' }} data-testid="image-details-close">
          Close
        </button>
      </div>
      <div className="image-details-body">
        {url ? <img src={url} alt={index.names[i]} /> : <div className="thumb-placeholder big" />}
        <div>
          <ol className="small" data-testid="image-details-captions">
            {index.captions[i].map((c, k) => (
              <li key={k}>
                <LongText text={c} />
              </li>
            ))}
          </ol>
          {onScore && (
            <button type="button" className="primary" onClick={() => onScore(i)} data-testid="image-details-score">
              Score this image in Use
            </button>
          )}{' '}
          {onSimilar && (
            <button type="button" onClick={() => onSimilar(i)} data-testid="image-details-similar">
              Find similar images
            </button>
          )}
        </div>
      </div>
    </section>
  );
}
