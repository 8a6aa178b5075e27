// Where a dataset comes in: drag a folder onto the page, or choose a folder or files. While it can
// take an import, the import's decode workers are started ahead, once the page is idle (they load
// and compile their JPEG decoder before a folder is chosen; the import takes them).
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { filesFromDrop, filesFromInput } from '../../ingest/collect';
import type { FolderFile } from '../../ingest/run';
import { warmDecodePool } from '../../workers/decodePool';

export interface ChosenFolder {
  files: FolderFile[];
  rootName: string;
}

export function ImportZone({
  disabled,
  onChosen,
  onSample,
}: {
  disabled: boolean;
  onChosen: (c: ChosenFolder) => void;
  onSample: () => void;
}) {
  const [over, setOver] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const filesInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (disabled) return;
    if (typeof requestIdleCallback !== 'function') {
      const timer = setTimeout(warmDecodePool, 500);
      return () => clearTimeout(timer);
    }
    const idle = requestIdleCallback(warmDecodePool, { timeout: 2000 });
    return () => cancelIdleCallback(idle);
  }, [disabled]);

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (disabled) return;
    onChosen(await filesFromDrop(e.dataTransfer.items));
  };

  return (
    <div
      className={`drop-zone${over ? ' over' : ''}`}
      data-testid="drop-zone"
      onDragEnter={() => warmDecodePool()}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>
        <strong>Drop a dataset folder here</strong> — images with a caption file (Flickr8k, Flickr30k, COCO captions, or a CSV/JSONL with
        image and caption columns). It is stored in this browser only.
      </p>
      <div className="row">
        <button type="button" disabled={disabled} onClick={() => folderInput.current?.click()}>
          Choose folder…
        </button>
        <button type="button" disabled={disabled} onClick={() => filesInput.current?.click()}>
          Choose files…
        </button>
        <button type="button" disabled={disabled} onClick={onSample} data-testid="load-sample">
          Use built-in sample (synthetic shapes)
        </button>
      </div>
      <input
        ref={folderInput}
        type="file"
        hidden
        data-testid="choose-folder-input"
        // @ts-expect-error: webkitdirectory is a non-standard attribute React passes through
        webkitdirectory=""
        multiple
        onChange={(e) => {
          if (e.target.files?.length) onChosen(filesFromInput(e.target.files));
          e.target.value = '';
        }}
      />
      <input
        ref={filesInput}
        type="file"
        hidden
        multiple
        data-testid="choose-files-input"
        onChange={(e) => {
          if (e.target.files?.length) onChosen(filesFromInput(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
