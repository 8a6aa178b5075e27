// The embedding map: val images (dots) and their captions (squares) on the top two principal
// axes of the eval pass's embeddings, a line from each image to each of its captions. Short lines
// mean an image sits near its own captions. Hover, or the arrow keys, pick an image.
import { useMemo, useState } from 'react';
import type { EmbeddingMap as Map2D } from '../../train/insights';
import { LongText } from '../common/LongText';
import { plural } from '../train/ticks';

const W = 360;
const H = 300;
const PAD = 10;

export function EmbeddingMap({ map, step, thumbnails }: { map: Map2D | null; step: number | null; thumbnails: Map<number, string> }) {
  const [picked, setPicked] = useState<number | null>(null);
  const scale = useMemo(() => {
    if (!map) return null;
    const xs = [...map.images.map((p) => p.x), ...map.captions.map((p) => p.x)];
    const ys = [...map.images.map((p) => p.y), ...map.captions.map((p) => p.y)];
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    return {
      x: (v: number) => PAD + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * PAD),
      y: (v: number) => H - PAD - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * PAD),
    };
  }, [map]);
  if (!map || !scale || !map.images.length) {
    return (
      <p className="muted" data-testid="embedding-map-empty">
        The embedding map appears after the first evaluation (at the end of an epoch).
      </p>
    );
  }
  const onKey = (ev: React.KeyboardEvent) => {
    const d = ev.key === 'ArrowRight' || ev.key === 'ArrowDown' ? 1 : ev.key === 'ArrowLeft' || ev.key === 'ArrowUp' ? -1 : 0;
    if (!d) return;
    ev.preventDefault();
    const n = map.images.length;
    setPicked(picked === null ? 0 : (picked + d + n) % n);
  };
  const pickedImage = picked === null ? null : map.images[picked];
  const pickedCaptions = picked === null ? [] : map.captions.filter((c) => c.imageRow === picked);
  return (
    <div
      className="embedding-map"
      data-testid="embedding-map"
      data-images={map.images.length}
      data-captions={map.captions.length}
      data-explained={map.explained.map((e) => e.toFixed(3)).join(',')}
    >
      <p className="muted small">
        {step != null ? `Step ${step}: ` : ''}
        {plural(map.images.length, 'val image')} (blue dots) and their {plural(map.captions.length, 'caption')} (orange squares) on the two
        directions where the embeddings vary most ({(100 * map.explained[0]).toFixed(0)}% and {(100 * map.explained[1]).toFixed(0)}% of the
        variance). Each line joins an image to one of its captions: the shorter, the better the model pairs them.
      </p>
      <div className="insight-body">
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="embedding-svg"
          tabIndex={0}
          role="img"
          data-testid="embedding-svg"
          aria-label="Embedding map; arrow keys step through the images"
          onKeyDown={onKey}
        >
          <rect x={0} y={0} width={W} height={H} fill="#fbfcfe" />
          {map.captions.map((c, k) => {
            const im = map.images[c.imageRow];
            return (
              <line
                key={`l${k}`}
                x1={scale.x(im.x)}
                y1={scale.y(im.y)}
                x2={scale.x(c.x)}
                y2={scale.y(c.y)}
                stroke={c.imageRow === picked ? '#1d2433' : '#c9cfdd'}
                strokeWidth={c.imageRow === picked ? 1.5 : 0.6}
                data-testid="map-line"
              />
            );
          })}
          {map.captions.map((c, k) => (
            <rect
              key={`c${k}`}
              x={scale.x(c.x) - 2.5}
              y={scale.y(c.y) - 2.5}
              width={5}
              height={5}
              fill="#e0803a"
              opacity={0.8}
              data-testid="map-caption"
              onMouseEnter={() => setPicked(c.imageRow)}
            />
          ))}
          {map.images.map((p, i) => (
            <circle
              key={`i${i}`}
              cx={scale.x(p.x)}
              cy={scale.y(p.y)}
              r={i === picked ? 5 : 3.5}
              fill="#2f5bd3"
              stroke={i === picked ? '#1d2433' : 'none'}
              data-testid="map-image"
              onMouseEnter={() => setPicked(i)}
            />
          ))}
        </svg>
        <div className="insight-detail" data-testid="embedding-detail" aria-live="polite">
          {pickedImage ? (
            <>
              {thumbnails.get(pickedImage.image) ? (
                <img src={thumbnails.get(pickedImage.image)} alt="" width={72} height={72} />
              ) : (
                <div className="thumb-placeholder small-thumb" />
              )}
              <ul className="small caption-list">
                {pickedCaptions.map((c, k) => (
                  <li key={k} className="caption-wrap">
                    <LongText text={c.text} max={160} />
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="muted small">Hover a dot (or focus the map and use the arrow keys) to see the image and its captions.</p>
          )}
        </div>
      </div>
    </div>
  );
}
