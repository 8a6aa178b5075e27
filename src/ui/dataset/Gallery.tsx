// A virtualised grid of thumbnails with their captions (as text), word search and a split
// filter; only the visible rows' thumbnails are read from storage.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { getImageRecords, type DatasetIndex } from '../../storage/datasets';
import type { Split } from '../../data/types';
import { plural } from '../train/ticks';
import { ImageDetails } from './ImageDetails';

const CELL = 180;

function useThumbnails(datasetId: string) {
  const [urls, setUrls] = useState<Map<number, string>>(new Map());
  const requested = useRef(new Set<number>());
  const live = useRef(new Map<number, string>());
  useEffect(() => {
    requested.current = new Set();
    const mine = live.current;
    return () => {
      mine.forEach((u) => URL.revokeObjectURL(u));
      mine.clear();
    };
  }, [datasetId]);
  const want = (indices: number[]) => {
    const missing = indices.filter((i) => !requested.current.has(i));
    if (!missing.length) return;
    missing.forEach((i) => requested.current.add(i));
    void getImageRecords(datasetId, missing, { originals: false }).then((recs) => {
      recs.forEach((r, k) => {
        if (r?.thumb) live.current.set(missing[k], URL.createObjectURL(r.thumb));
      });
      setUrls(new Map(live.current));
    });
  };
  return { urls, want };
}

/** The caption to show on a tile: the first one matching every search word, else the first. */
function shownCaption(captions: string[], words: string[]): string {
  return (words.length && captions.find((c) => words.every((w) => c.toLowerCase().includes(w)))) || captions[0];
}

export function Gallery({
  datasetId,
  index,
  onPick,
  onSimilar,
}: {
  datasetId: string;
  index: DatasetIndex;
  onPick?: (i: number) => void;
  onSimilar?: (i: number) => void;
}) {
  const [query, setQuery] = useState('');
  const [opened, setOpened] = useState<number | null>(null);
  const [split, setSplit] = useState<Split | 'all'>('all');
  const parentRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  const { urls, want } = useThumbnails(datasetId);

  useEffect(() => {
    const el = parentRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const words = useMemo(() => query.toLowerCase().split(/\s+/).filter(Boolean), [query]);
  const visible = useMemo(() => {
    const out: number[] = [];
    for (let i = 0; i < index.names.length; i++) {
      if (split !== 'all' && index.splits[i] !== split) continue;
      if (words.length) {
        const hay = (index.names[i] + ' ' + index.captions[i].join(' ')).toLowerCase();
        if (!words.every((w) => hay.includes(w))) continue;
      }
      out.push(i);
    }
    return out;
  }, [index, words, split]);

  const perRow = Math.max(1, Math.floor(width / CELL));
  const rows = Math.ceil(visible.length / perRow);
  const virtualizer = useVirtualizer({ count: rows, getScrollElement: () => parentRef.current, estimateSize: () => 172, overscan: 3 });
  const items = virtualizer.getVirtualItems();

  useEffect(() => {
    const idx: number[] = [];
    for (const r of items)
      for (let c = 0; c < perRow; c++) {
        const i = visible[r.index * perRow + c];
        if (i !== undefined) idx.push(i);
      }
    want(idx);
  });

  return (
    <section className="gallery" data-testid="gallery">
      <div className="row">
        <input
          type="search"
          placeholder="Search captions…"
          aria-label="Search captions"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="gallery-search"
        />
        <select aria-label="Split" value={split} onChange={(e) => setSplit(e.target.value as Split | 'all')} data-testid="gallery-split">
          <option value="all">All splits</option>
          <option value="train">train</option>
          <option value="val">val</option>
          <option value="test">test</option>
        </select>
        <span className="muted" data-testid="gallery-count">
          {plural(visible.length, 'image')}
        </span>
      </div>
      {opened !== null && (
        <ImageDetails
          datasetId={datasetId}
          index={index}
          i={opened}
          onClose={() => setOpened(null)}
          onScore={onPick}
          onSimilar={onSimilar}
        />
      )}
      <div ref={parentRef} className="gallery-scroll" tabIndex={0} role="region" aria-label="Dataset images">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((row) => (
            <div key={row.key} className="gallery-row" style={{ transform: `translateY(${row.start}px)` }}>
              {Array.from({ length: perRow }, (_, c) => {
                const i = visible[row.index * perRow + c];
                if (i === undefined) return null;
                return (
                  <figure
                    key={i}
                    className="gallery-item"
                    data-testid="gallery-item"
                    style={{ width: CELL - 10 }}
                    role="button"
                    tabIndex={0}
                    onClick={() => setOpened(i)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        setOpened(i);
                      }
                    }}
                  >
                    {urls.get(i) ? (
                      <img src={urls.get(i)} alt={index.names[i]} width={96} height={96} data-testid="gallery-thumb" />
                    ) : (
                      <div className="thumb-placeholder" />
                    )}
                    <figcaption>
                      <span className="split-tag">{index.splits[i]}</span>{' '}
                      <span data-testid="gallery-caption">{shownCaption(index.captions[i], words)}</span>
                    </figcaption>
                  </figure>
                );
              })}
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
