// The Data panel: import (folder, files or built-in sample) with progress and Cancel, the list of
// stored datasets, the open dataset's report and gallery, and the storage gauge.
import { useCallback, useEffect, useRef, useState } from 'react';
import { filesFromInput } from '../../ingest/collect';
import { createSampleDataset } from '../../ingest/sample';
import { ingestFolder, type IngestProgress } from '../../ingest/run';
import { deleteDataset, getDatasetIndex, listDatasets, renameDataset, type DatasetIndex, type DatasetMeta } from '../../storage/datasets';
import { requestPersistence, storageEstimate, type StorageEstimateInfo } from '../../storage/estimate';
import { backboneBytes } from '../../storage/backbones';
import { featureBytes } from '../../storage/features';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { formatBytes, formatCount, formatDuration } from '../common/format';
import { ProgressBar } from '../common/ProgressBar';
import { Gallery } from './Gallery';
import { DatasetList } from './DatasetList';
import { ImportZone, type ChosenFolder } from './ImportZone';
import { IncompleteImportBanner } from './IncompleteImportBanner';
import { ReportView } from './ReportView';

export interface DatasetPanelProps {
  openId: string | null;
  onOpen: (id: string | null) => void;
  onDatasetsChanged?: (d: DatasetMeta[]) => void;
  onScoreImage?: (datasetId: string, index: number, intent: 'score' | 'similar') => void; // "Score this image" / "Find similar images" in Use
}

export function DatasetPanel({ openId, onOpen, onDatasetsChanged, onScoreImage }: DatasetPanelProps) {
  const [datasets, setDatasets] = useState<DatasetMeta[]>([]);
  const [progress, setProgress] = useState<IngestProgress | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [estimate, setEstimate] = useState<StorageEstimateInfo | null>(null);
  const [backboneStored, setBackboneStored] = useState(0); // backbone files + their cached features
  // What the lab itself stores (its own byte counts): right at once after a delete or Discard, unlike
  // navigator.storage.estimate(), which Chromium lowers only after compacting IndexedDB's files.
  const datasetBytes = datasets.reduce((sum, d) => sum + d.bytes, 0);
  const [index, setIndex] = useState<DatasetIndex | null>(null);
  const abort = useRef<AbortController | null>(null);
  const resumeTarget = useRef<DatasetMeta | null>(null);
  const resumeInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(async () => {
    const list = await listDatasets();
    setDatasets(list);
    onDatasetsChanged?.(list);
    setEstimate(await storageEstimate());
    setBackboneStored((await backboneBytes()) + (await featureBytes()));
    return list;
  }, [onDatasetsChanged]);

  useEffect(() => {
    void refresh();
    void requestPersistence();
  }, [refresh]);

  useEffect(() => {
    setIndex(null);
    if (!openId) return;
    getDatasetIndex(openId).then(setIndex, (e) => setError(toShownError('Could not open the dataset', e)));
  }, [openId]);

  const open = datasets.find((d) => d.id === openId && d.status === 'complete');

  const runImport = async (chosen: ChosenFolder, resume?: DatasetMeta) => {
    setError(null);
    const ctrl = new AbortController();
    abort.current = ctrl;
    let imported: DatasetMeta | null = null;
    try {
      imported = (
        await ingestFolder(chosen.files, { name: resume?.name ?? chosen.rootName, signal: ctrl.signal, onProgress: setProgress, resume })
      ).meta;
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(toShownError(resume ? 'Resuming the import stopped' : 'The import stopped', err));
    } finally {
      abort.current = null;
      setProgress(null);
      await refresh();
    }
    // Open it only once the list shows it complete: a parent may close an open id it lists as incomplete.
    if (imported) onOpen(imported.id);
  };

  const runSample = async () => {
    setError(null);
    let created: DatasetMeta | null = null;
    try {
      created = await createSampleDataset({ onProgress: setProgress });
    } catch (err) {
      setError(toShownError('Could not create the sample dataset', err));
    } finally {
      setProgress(null);
      await refresh();
    }
    if (created) onOpen(created.id);
  };

  const busy = progress !== null;
  const resumeImport = (meta: DatasetMeta) => {
    resumeTarget.current = meta;
    resumeInput.current?.click();
  };
  const removeDataset = async (id: string) => {
    try {
      await deleteDataset(id);
      if (id === openId) onOpen(null);
    } catch (err) {
      setError(toShownError('Delete failed', err));
    }
    await refresh();
  };
  return (
    <div className="panel dataset-panel">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <IncompleteImportBanner
        datasets={datasets}
        busy={busy}
        onResume={resumeImport}
        onDiscard={(d) => {
          if (confirm(`Discard "${d.name}" and everything stored for it?`)) void removeDataset(d.id);
        }}
      />
      <ImportZone disabled={busy} onChosen={(c) => void runImport(c)} onSample={() => void runSample()} />
      <input
        ref={resumeInput}
        type="file"
        hidden
        data-testid="resume-folder-input"
        // @ts-expect-error: non-standard attribute
        webkitdirectory=""
        multiple
        onChange={(e) => {
          const target = resumeTarget.current;
          if (e.target.files?.length && target) {
            void runImport(filesFromInput(e.target.files), target);
          }
          e.target.value = '';
        }}
      />
      {progress && (
        <div className="ingest-progress" data-testid="ingest-progress">
          <ProgressBar
            value={progress.done}
            max={progress.total}
            label={
              progress.phase === 'reading'
                ? 'Reading caption files…'
                : `${formatCount(progress.done)} / ${formatCount(progress.total)} images · ${progress.imagesPerSecond.toFixed(1)} images/s · ETA ${formatDuration(progress.etaSeconds)}${progress.skipped ? ` · ${progress.skipped} skipped` : ''}`
            }
          />
          {abort.current && (
            <button type="button" onClick={() => abort.current?.abort()} data-testid="ingest-cancel">
              Cancel
            </button>
          )}
        </div>
      )}
      <div className="columns">
        <aside>
          <h3>Datasets</h3>
          <DatasetList
            datasets={datasets}
            openId={openId}
            busy={busy}
            onOpen={onOpen}
            onRename={async (id, name) => {
              try {
                await renameDataset(id, name);
              } catch (err) {
                setError(toShownError('Rename failed', err));
              }
              await refresh();
            }}
            onDelete={(id) => void removeDataset(id)}
            onResume={resumeImport}
          />
          <p className="muted" data-testid="storage-usage">
            Datasets:{' '}
            <span data-testid="storage-datasets" data-bytes={datasetBytes}>
              {formatBytes(datasetBytes)}
            </span>{' '}
            stored
            {backboneStored > 0 && (
              <span data-testid="storage-backbones" data-bytes={backboneStored}>
                {' '}
                · backbones and their features: {formatBytes(backboneStored)}
              </span>
            )}{' '}
            · the browser reports {formatBytes(estimate?.usage)} used of {formatBytes(estimate?.quota)} available
            {estimate?.persisted ? ' · persistent' : ''}
            <span className="field-help"> (space freed by a deletion shows in the browser's figure only once it compacts its files)</span>
          </p>
        </aside>
        <main>
          {open?.report && <ReportView report={open.report} />}
          {open && index && (
            <Gallery
              datasetId={open.id}
              index={index}
              onPick={onScoreImage && ((i) => onScoreImage(open.id, i, 'score'))}
              onSimilar={onScoreImage && ((i) => onScoreImage(open.id, i, 'similar'))}
            />
          )}
        </main>
      </div>
    </div>
  );
}
