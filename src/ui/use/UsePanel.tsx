// The Use panel: load a run's model or import a model file, export it as one file, and use it —
// match score, search both ways, zero-shot labels. Model work runs in the model worker.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DatasetMeta } from '../../storage/datasets';
import { listRuns, type CheckpointChoice, type RunMeta } from '../../storage/runs';
import { DEFAULT_MAX_MODEL_FILE_BYTES } from '../../io/limits';
import { ModelClient } from '../../workers/modelClient';
import type { ImageInput, LoadedModel } from '../../use/modelService';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { ImagePicker } from './ImagePicker';
import { ModelChoice } from './ModelChoice';
import { ScoreCard } from './ScoreCard';
import { SearchCard } from './SearchCard';
import { ZeroShotCard } from './ZeroShotCard';

/** What each model-file error code means, in words, before the reader's detailed message. */
const IMPORT_PROBLEM: Record<string, string> = {
  empty: 'The file is empty (0 bytes)',
  truncated: 'The file is truncated',
  'header-too-large': 'The file header is corrupt or not a safetensors file',
  'bad-header': 'The file header is not valid safetensors JSON',
  'bad-offsets': 'The file is corrupt (tensor data does not line up)',
  'unsupported-dtype': 'The file holds a tensor type this lab cannot use',
  'too-large': 'The file is too large',
  'not-clip-lab': 'This is not a CLIP Lab model file',
  'version-too-new': 'The file was made by a newer CLIP Lab',
  'bad-config': 'The file declares an invalid model config',
  'missing-tensor': 'The file lacks a weight the model needs',
  'unexpected-tensor': 'The file holds weights of another model',
  'shape-mismatch': 'A weight in the file has the wrong shape',
  'bad-tensor': 'A weight in the file is invalid',
};

function download(bytes: Uint8Array, fileName: string) {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function UsePanel({ datasets, runsVersion, onRunsChanged }: { datasets: DatasetMeta[]; runsVersion: number; onRunsChanged: () => void }) {
  const client = useRef<ModelClient | null>(null);
  const [runs, setRuns] = useState<RunMeta[]>([]);
  const [runId, setRunId] = useState('');
  const [loaded, setLoaded] = useState<LoadedModel | null>(null);
  const [image, setImage] = useState<ImageInput | null>(null);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState('');

  const worker = () => (client.current ??= new ModelClient());
  useEffect(() => () => client.current?.dispose(), []);

  const refresh = useCallback(async () => {
    const all = (await listRuns()).filter((r) => r.step > 0);
    setRuns(all);
    return all;
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh, runsVersion]);

  const guarded = async <T,>(label: string, what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(label);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(toShownError(what, err));
      return undefined;
    } finally {
      setBusy('');
    }
  };

  const load = (id: string, which?: CheckpointChoice) =>
    guarded('Loading the model…', 'Could not load the model', async () => {
      setRunId(id);
      setLoaded(await worker().load({ runId: id, backend: 'auto', which })); // the run's best checkpoint unless `which` says last
    });

  const importFile = (file: File) =>
    guarded('Checking the model file…', `Could not import ${file.name}`, async () => {
      try {
        return await importChecked(file);
      } catch (err) {
        const code = (err as { code?: string }).code;
        const what = code ? IMPORT_PROBLEM[code] : undefined;
        throw what ? new Error(`${what}: ${(err as Error).message}`) : err;
      }
    });

  const importChecked = async (file: File) => {
    if (file.size > DEFAULT_MAX_MODEL_FILE_BYTES) throw new Error(`${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MiB: larger than the ${DEFAULT_MAX_MODEL_FILE_BYTES / 2 ** 20} MiB a CLIP Lab model file may be.`);
    const info = await worker().importFile({ bytes: await file.arrayBuffer(), fileName: file.name, backend: 'auto' });
    setLoaded(info);
    setRunId(info.runId);
    onRunsChanged();
  };

  const exportFile = () =>
    guarded('Writing the model file…', 'Could not export the model', async () => {
      const { bytes, fileName } = await worker().exportFile({ runId: loaded!.runId, which: loaded!.which });
      download(bytes, fileName);
    });

  const ready = !!loaded && !busy;
  return (
    <div className="panel use-panel">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="card">
        <h3>Model</h3>
        <div className="row">
          <select aria-label="Trained run" data-testid="use-run" value={runId} onChange={(e) => e.target.value && void load(e.target.value)}>
            <option value="">{runs.length ? 'Choose a trained run…' : 'No trained runs yet'}</option>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} — {r.datasetName}, step {r.step}
              </option>
            ))}
          </select>
          <label className="file-button">
            Import weights…
            <input type="file" accept=".safetensors,application/octet-stream" hidden data-testid="import-input" onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f);
              e.target.value = '';
            }} />
          </label>
          <button type="button" disabled={!ready} onClick={() => void exportFile()} data-testid="export-weights">
            Export weights
          </button>
          {busy && <span className="muted" data-testid="use-busy">{busy}</span>}
        </div>
        <p data-testid="model-summary" className={loaded ? '' : 'muted'}>
          {loaded ? `Loaded: ${loaded.summary} · backend ${loaded.backend}${loaded.hasClassifier ? '' : ' · no match classifier (cosine only)'}` : 'No model loaded.'}
        </p>
        <ModelChoice loaded={loaded} disabled={!!busy} onPick={(which) => loaded && void load(loaded.runId, which)} />
      </div>
      <div className="use-grid">
        <div className="card">
          <h3>Image</h3>
          <ImagePicker image={image} onImage={setImage} />
        </div>
        <ScoreCard disabled={!ready || !image} onScore={async (captions) => (await guarded('Scoring…', 'Scoring failed', () => worker().score({ image: image!, captions }))) ?? []} />
      </div>
      <ZeroShotCard disabled={!ready || !image} onRun={async (labels, template) => (await guarded('Classifying…', 'Zero-shot failed', () => worker().zeroShot({ image: image!, labels, template }))) ?? []} />
      <SearchCard
        datasets={datasets}
        disabled={!ready}
        hasImage={!!image}
        buildIndex={(datasetId, split, progress) => worker().buildIndex({ datasetId, split }, progress)}
        searchText={async (datasetId, split, query, k) => (await guarded('Searching…', 'Search failed', () => worker().searchText({ datasetId, split, query, k }))) ?? []}
        searchImage={async (datasetId, split, k) => (await guarded('Searching…', 'Search failed', () => worker().searchImage({ datasetId, split, image: image!, k }))) ?? []}
        onPick={(datasetId, index) => setImage({ kind: 'dataset', datasetId, index })}
      />
    </div>
  );
}
