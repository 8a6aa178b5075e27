// Retrieval over a stored dataset: text → top-k images (thumbnails with scores), the chosen
// image → top-k captions, and the chosen image → the most similar images ("Find similar", also
// asked for from the gallery). The embedding index is built in the worker with a progress bar, kept in
// its memory and cached in storage per (model checkpoint, dataset, split).
import { useEffect, useRef, useState } from 'react';
import type { Split } from '../../data/types';
import { getDatasetIndex, getImageRecords, type DatasetMeta } from '../../storage/datasets';
import type { CaptionHit, ImageHit } from '../../use/modelService';
import { LongText } from '../common/LongText';
import { ProgressBar } from '../common/ProgressBar';
import { plural } from '../train/ticks';

interface Shown extends ImageHit {
  url: string | null;
}

export interface SearchCardProps {
  datasets: DatasetMeta[];
  disabled: boolean;
  hasImage: boolean;
  buildIndex: (
    datasetId: string,
    split: Split | 'all',
    progress: (d: number, t: number) => void,
  ) => Promise<{ images: number; captions: number; cached: boolean; seconds: number }>;
  searchText: (datasetId: string, split: Split | 'all', query: string, k: number) => Promise<ImageHit[]>;
  searchImage: (datasetId: string, split: Split | 'all', k: number) => Promise<CaptionHit[]>;
  /** Images like the chosen image, or like dataset image `index` when given (a gallery request). */
  similarImages: (datasetId: string, split: Split | 'all', k: number, index?: number) => Promise<ImageHit[]>;
  onPick: (datasetId: string, index: number) => void;
  /** A "Find similar" request from the gallery: runs once per nonce, as soon as a model is loaded. */
  similarRequest?: { datasetId: string; index: number; nonce: number } | null;
}

export function SearchCard({
  datasets,
  disabled,
  hasImage,
  buildIndex,
  searchText,
  searchImage,
  similarImages,
  onPick,
  similarRequest,
}: SearchCardProps) {
  const complete = datasets.filter((d) => d.status === 'complete');
  const [datasetId, setDatasetId] = useState<string>('');
  const [split, setSplit] = useState<Split | 'all'>('all');
  const [query, setQuery] = useState('');
  const [k, setK] = useState(12);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [status, setStatus] = useState('');
  const [hits, setHits] = useState<Shown[]>([]);
  const [captionHits, setCaptionHits] = useState<CaptionHit[]>([]);
  const [names, setNames] = useState<string[]>([]); // image file names, for the caption results
  const ds = complete.find((d) => d.id === datasetId) ?? complete[0];

  useEffect(() => () => hits.forEach((h) => h.url && URL.revokeObjectURL(h.url)), [hits]);

  const [hitsHeading, setHitsHeading] = useState('');

  const withIndex = async <T,>(run: () => Promise<T>, datasetId = ds.id): Promise<T> => {
    setProgress({ done: 0, total: 1 });
    try {
      const info = await buildIndex(datasetId, split, (done, total) => setProgress({ done, total }));
      setStatus(
        info.cached
          ? `index: ${plural(info.images, 'image')}, ${plural(info.captions, 'caption')} (cached)`
          : `index built: ${plural(info.images, 'image')}, ${plural(info.captions, 'caption')} in ${info.seconds.toFixed(1)} s`,
      );
      return await run();
    } finally {
      setProgress(null);
    }
  };

  /** Shows image hits with their thumbnails (the one storage read per search). */
  const showImageHits = async (datasetId: string, found: ImageHit[], heading: string) => {
    const recs = await getImageRecords(
      datasetId,
      found.map((f) => f.index),
      { originals: false },
    );
    setHits(found.map((f, i) => ({ ...f, url: recs[i]?.thumb ? URL.createObjectURL(recs[i]!.thumb) : null })));
    setHitsHeading(heading);
  };

  const runText = () => withIndex(async () => showImageHits(ds.id, await searchText(ds.id, split, query, k), `Images for “${query}”`));

  const runSimilar = (datasetId: string, index?: number) =>
    withIndex(
      async () => showImageHits(datasetId, await similarImages(datasetId, split, k, index), 'Images most like the chosen image'),
      datasetId,
    );

  const handled = useRef<number | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: one run per request nonce, once a model is loaded; runSimilar is a fresh closure each render
  useEffect(() => {
    if (!similarRequest || disabled || handled.current === similarRequest.nonce) return;
    if (!complete.some((d) => d.id === similarRequest.datasetId)) return;
    handled.current = similarRequest.nonce;
    setDatasetId(similarRequest.datasetId);
    void runSimilar(similarRequest.datasetId, similarRequest.index);
  }, [similarRequest?.nonce, disabled]);

  const runImage = () =>
    withIndex(async () => {
      setCaptionHits(await searchImage(ds.id, split, k));
      setNames((await getDatasetIndex(ds.id)).names);
    });

  return (
    <div className="card search-card">
      <h3>Search the dataset</h3>
      {!ds ? (
        <p className="muted">Import a dataset first.</p>
      ) : (
        <>
          <div className="row">
            <select
              aria-label="Dataset to search"
              data-testid="search-dataset"
              value={ds.id}
              onChange={(e) => setDatasetId(e.target.value)}
            >
              {complete.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
            <select
              aria-label="Split to search"
              data-testid="search-split"
              value={split}
              onChange={(e) => setSplit(e.target.value as Split | 'all')}
            >
              <option value="all">all splits</option>
              <option value="train">train</option>
              <option value="val">val</option>
              <option value="test">test</option>
            </select>
            <label>
              top{' '}
              <input
                type="number"
                min={1}
                max={100}
                value={k}
                onChange={(e) => setK(Math.max(1, Math.min(100, Number(e.target.value) || 1)))}
                style={{ width: 60 }}
              />
            </label>
          </div>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (query.trim()) void runText();
            }}
          >
            <input
              type="search"
              placeholder="Describe what to find…"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              data-testid="search-query"
              aria-label="Text query"
            />
            <button type="submit" disabled={disabled || !query.trim() || !!progress} data-testid="search-text-button">
              Find images
            </button>
            <button
              type="button"
              disabled={disabled || !hasImage || !!progress}
              data-testid="search-image-button"
              onClick={() => void runImage()}
            >
              Find captions for the chosen image
            </button>
            <button
              type="button"
              disabled={disabled || !hasImage || !!progress}
              data-testid="search-similar-button"
              onClick={() => void runSimilar(ds.id)}
            >
              Find similar images
            </button>
          </form>
          {progress && (
            <ProgressBar
              testId="index-progress"
              value={progress.done}
              max={progress.total}
              label={`building the search index: ${progress.done} / ${progress.total} images`}
            />
          )}
          {status && (
            <p className="muted small" data-testid="index-status">
              {status}
            </p>
          )}
          {hits.length > 0 && <h4 data-testid="search-results-heading">{hitsHeading}</h4>}
          {hits.length > 0 && (
            <div className="search-results" data-testid="search-results">
              {hits.map((h) => (
                <figure
                  key={h.index}
                  className="gallery-item"
                  data-testid="search-result"
                  data-index={h.index}
                  role="button"
                  tabIndex={0}
                  onClick={() => onPick(ds.id, h.index)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' || e.key === ' ') {
                      e.preventDefault();
                      onPick(ds.id, h.index);
                    }
                  }}
                  title="Use this image in Score"
                >
                  {h.url ? <img src={h.url} alt="" width={96} height={96} /> : <div className="thumb-placeholder" />}
                  <figcaption>
                    <strong>{h.score.toFixed(3)}</strong> <span data-testid="search-result-caption">{h.caption}</span>
                  </figcaption>
                </figure>
              ))}
            </div>
          )}
          {captionHits.length > 0 && (
            <section>
              <h4>Captions closest to the chosen image</h4>
              <ol className="caption-hits" data-testid="caption-results">
                {captionHits.map((c, i) => (
                  <li key={i} data-testid="caption-result">
                    <strong>{c.score.toFixed(3)}</strong> <LongText text={c.caption} />{' '}
                    <span className="muted">({names[c.image] ?? `image #${c.image}`})</span>
                  </li>
                ))}
              </ol>
            </section>
          )}
        </>
      )}
    </div>
  );
}
