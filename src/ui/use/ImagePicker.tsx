// Choose the image to score: drop or choose a file, or use an image picked from the dataset.
// Shows a preview (EXIF-upright, as the browser draws it) and the file's name.
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { ImageInput } from '../../use/modelService';
import { getImageRecords } from '../../storage/datasets';

export function ImagePicker({ image, onImage }: { image: ImageInput | null; onImage: (i: ImageInput) => void }) {
  const [url, setUrl] = useState<string | null>(null);
  const [datasetName, setDatasetName] = useState<string | null>(null); // a dataset image's file name
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    let live: string | null = null;
    let cancelled = false;
    const show = (blob: Blob | undefined) => {
      if (cancelled || !blob) return;
      live = URL.createObjectURL(blob);
      setUrl(live);
    };
    setUrl(null);
    setDatasetName(null);
    if (image?.kind === 'file') show(image.file);
    else if (image?.kind === 'dataset')
      void getImageRecords(image.datasetId, [image.index]).then(([r]) => {
        if (!cancelled && r) setDatasetName(r.name);
        show(r?.original ?? r?.thumb);
      });
    return () => {
      cancelled = true;
      if (live) URL.revokeObjectURL(live);
    };
  }, [image]);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const f = e.dataTransfer.files[0];
    if (f) onImage({ kind: 'file', file: f, name: f.name });
  };

  return (
    <div className="image-picker" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="image-picker">
      {url ? (
        <img src={url} alt="Chosen for scoring" data-testid="score-image-preview" />
      ) : (
        <div className="thumb-placeholder big">Drop an image here</div>
      )}
      <button type="button" onClick={() => input.current?.click()} data-testid="choose-image">
        Choose image…
      </button>
      <input
        ref={input}
        type="file"
        accept="image/jpeg,image/png,image/webp,image/gif,image/bmp"
        data-testid="score-image-input"
        hidden
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) onImage({ kind: 'file', file: f, name: f.name });
          e.target.value = '';
        }}
      />
      <div className="muted small" data-testid="score-image-label">
        {image?.kind === 'file'
          ? image.name
          : image?.kind === 'dataset'
            ? `${datasetName ? `${datasetName} · ` : ''}dataset image #${image.index}`
            : 'or click a search result below'}
      </div>
    </div>
  );
}
