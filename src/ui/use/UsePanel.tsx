// The Use panel: load a run's model or import a model file, export it as one file, and use it —
// match score, search both ways, zero-shot labels. Model work runs in the model worker.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DatasetMeta } from '../../storage/datasets';
import { listRuns, type CheckpointChoice, type RunMeta } from '../../storage/runs';
import { DEFAULT_MAX_MODEL_FILE_BYTES } from '../../io/limits';
import { ModelClient } from '../../workers/modelClient';
import type { ImageInput, LoadedModel } from '../../use/modelService';
import type { BackboneFile, LoadBackboneOptions } from '../../model/backbone';
import { BackboneDownload } from '../train/BackboneDownload';
import { BackboneFilesInput } from '../common/BackboneFilesInput';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { importProblem } from './importProblem';
import { ImagePicker } from './ImagePicker';
import { ModelChoice } from './ModelChoice';
import { ScoreCard } from './ScoreCard';
import { SearchCard } from './SearchCard';
import { ZeroShotCard } from './ZeroShotCard';
import { neededBackbone, type NeededBackbone } from './neededBackbone';

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

/** A dataset image sent to Use from the gallery; `nonce` tells two requests for the same image apart. */
export interface ImageToUse {
  datasetId: string;
  index: number;
  intent: 'score' | 'similar';
  nonce: number;
}

export function UsePanel({
  datasets,
  runsVersion,
  onRunsChanged,
  runToLoad,
  imageToUse,
}: {
  datasets: DatasetMeta[];
  runsVersion: number;
  onRunsChanged: () => void;
  runToLoad?: string | null; // a run to load when the panel opens (the one just trained)
  imageToUse?: ImageToUse | null; // a dataset image sent here from the gallery (to score, or to find similar images)
}) {
  const client = useRef<ModelClient | null>(null);
  const importInput = useRef<HTMLInputElement>(null);
  const [justTrained, setJustTrained] = useState(false);
  const [runs, setRuns] = useState<RunMeta[]>([]);
  const [runId, setRunId] = useState('');
  const [loaded, setLoaded] = useState<LoadedModel | null>(null);
  const [image, setImage] = useState<ImageInput | null>(
    imageToUse ? { kind: 'dataset', datasetId: imageToUse.datasetId, index: imageToUse.index } : null,
  );
  useEffect(() => {
    if (imageToUse) setImage({ kind: 'dataset', datasetId: imageToUse.datasetId, index: imageToUse.index });
  }, [imageToUse]);
  const [error, setError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState('');
  // A model (file or run) that needs a backbone not stored here: its hash, and how to try again.
  const [needBackbone, setNeedBackbone] = useState<(NeededBackbone & { retry: () => Promise<unknown> }) | null>(null);
  const backboneInput = useRef<HTMLInputElement>(null);
  const noteMissingBackbone = (err: unknown, retry: () => Promise<unknown>) => {
    const needed = neededBackbone(err);
    setNeedBackbone(needed && { ...needed, retry });
  };
  /** Stores the backbone (refused unless its hash is the one needed), then loads the model again. */
  const storeNeededBackbone = async (files: BackboneFile[], options?: LoadBackboneOptions) => {
    await worker().storeBackbone({ files, options, expectedSha256: needBackbone!.sha256, backend: 'auto' });
    const retry = needBackbone!.retry;
    setNeedBackbone(null);
    await retry();
  };
  const provideBackbone = (list: FileList) =>
    guarded('Checking the backbone files…', 'Could not use these backbone files', async () => {
      const files = await Promise.all([...list].map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      await storeNeededBackbone(files);
    });

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
      try {
        setLoaded(await worker().load({ runId: id, backend: 'auto', which })); // the run's best checkpoint unless `which` says last
      } catch (err) {
        noteMissingBackbone(err, () => load(id, which));
        throw err;
      }
    });

  const importFile = (file: File) =>
    guarded('Checking the model file…', `Could not import ${file.name}`, async () => {
      try {
        return await importChecked(file);
      } catch (err) {
        noteMissingBackbone(err, () => importFile(file));
        throw new Error(importProblem((err as { code?: string }).code, err instanceof Error ? err.message : String(err)));
      }
    });

  const importChecked = async (file: File) => {
    if (file.size > DEFAULT_MAX_MODEL_FILE_BYTES)
      throw new Error(
        `${file.name} is ${(file.size / 2 ** 20).toFixed(0)} MiB: larger than the ${DEFAULT_MAX_MODEL_FILE_BYTES / 2 ** 20} MiB a CLIP Lab model file may be.`,
      );
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

  // The run just trained (or the one "Try it" named) is loaded when the panel opens.
  const autoLoaded = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per run to load; load() is a fresh closure each render
  useEffect(() => {
    if (!runToLoad || autoLoaded.current === runToLoad) return;
    autoLoaded.current = runToLoad;
    void load(runToLoad).then(() => setJustTrained(true));
  }, [runToLoad]); // once per run to load: load() is a fresh closure each render

  const ready = !!loaded && !busy;
  return (
    <div className="panel use-panel">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="card">
        <h3>Model</h3>
        <div className="row">
          <select
            aria-label="Trained run"
            data-testid="use-run"
            value={runId}
            onChange={(e) => e.target.value && void load(e.target.value)}
          >
            <option value="">{runs.length ? 'Choose a trained run…' : 'No trained runs yet'}</option>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} — {r.datasetName}, step {r.step}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => importInput.current?.click()} data-testid="import-weights">
            Import weights…
          </button>
          <input
            ref={importInput}
            type="file"
            accept=".safetensors,application/octet-stream"
            hidden
            data-testid="import-input"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f);
              e.target.value = '';
            }}
          />
          <button type="button" disabled={!ready} onClick={() => void exportFile()} data-testid="export-weights">
            Export weights
          </button>
          {busy && (
            <span className="muted" data-testid="use-busy">
              {busy}
            </span>
          )}
        </div>
        {needBackbone && (
          <div className="row" data-testid="need-backbone">
            <span>This model needs its backbone (SHA-256 {needBackbone.sha256.slice(0, 12)}…):</span>
            <button type="button" data-testid="provide-backbone" onClick={() => backboneInput.current?.click()}>
              Choose the backbone's model.json and weight files…
            </button>
            <BackboneFilesInput ref={backboneInput} testId="provide-backbone-input" onFiles={(files) => void provideBackbone(files)} />
            {needBackbone.source && (
              <BackboneDownload
                source={needBackbone.source}
                disabled={!!busy}
                onFiles={(files, options) =>
                  guarded('Checking the backbone…', 'Could not use this backbone', () => storeNeededBackbone(files, options))
                }
              />
            )}
          </div>
        )}
        <p data-testid="model-summary" className={loaded ? '' : 'muted'}>
          {loaded
            ? `Loaded: ${loaded.summary} · backend ${loaded.backend}${loaded.hasClassifier ? '' : ' · no match classifier (cosine only)'}`
            : runs.length
              ? 'No model loaded: choose a trained run or import a model file.'
              : 'No model loaded: train one in Train, or import a model file.'}
        </p>
        <ModelChoice loaded={loaded} disabled={!!busy} onPick={(which) => loaded && void load(loaded.runId, which)} />
        {justTrained && loaded?.runId === runToLoad && (
          <p className="small" data-testid="use-just-trained">
            The run you just trained is loaded (which checkpoint: above). Choose an image below to score it.
          </p>
        )}
      </div>
      <div className="use-grid">
        <div className="card">
          <h3>Image</h3>
          <ImagePicker image={image} onImage={setImage} />
        </div>
        <ScoreCard
          disabled={!ready || !image}
          onScore={async (captions) =>
            (await guarded('Scoring…', 'Scoring failed', () => worker().score({ image: image!, captions }))) ?? []
          }
        />
      </div>
      <ZeroShotCard
        disabled={!ready || !image}
        onRun={async (labels, template) =>
          (await guarded('Classifying…', 'Zero-shot failed', () => worker().zeroShot({ image: image!, labels, template }))) ?? []
        }
      />
      <SearchCard
        datasets={datasets}
        disabled={!ready}
        hasImage={!!image}
        buildIndex={(datasetId, split, progress) => worker().buildIndex({ datasetId, split }, progress)}
        searchText={async (datasetId, split, query, k) =>
          (await guarded('Searching…', 'Search failed', () => worker().searchText({ datasetId, split, query, k }))) ?? []
        }
        searchImage={async (datasetId, split, k) =>
          (await guarded('Searching…', 'Search failed', () => worker().searchImage({ datasetId, split, image: image!, k }))) ?? []
        }
        similarImages={async (datasetId, split, k, index) => {
          const query: ImageInput = index === undefined ? image! : { kind: 'dataset', datasetId, index };
          return (await guarded('Searching…', 'Search failed', () => worker().similarImages({ datasetId, split, image: query, k }))) ?? [];
        }}
        onPick={(datasetId, index) => setImage({ kind: 'dataset', datasetId, index })}
        similarRequest={imageToUse?.intent === 'similar' ? imageToUse : null}
      />
    </div>
  );
}
