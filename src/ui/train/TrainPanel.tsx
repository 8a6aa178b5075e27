// The Train panel: pick a dataset, preset, settings and backend; Start, Pause, Resume, Stop;
// progress with epoch, step, pairs/s and ETA; live curves; and the runs kept for the dataset.
// A finished run offers "Try it" in Use.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BackendName } from '../../config';
import type { DatasetMeta } from '../../storage/datasets';
import {
  attachRunToDataset,
  createRun,
  deleteRun,
  listRuns,
  loadCurves,
  loadInsights,
  loadSimilarity,
  type RunMeta,
} from '../../storage/runs';
import { ErrorBanner, toShownError, type ShownError } from '../common/ErrorBanner';
import { Insights } from '../insights/Insights';
import { CalibrationCard } from './CalibrationCard';
import { TrainingCharts } from './Charts';
import { ConfigForm, draftFromConfig, isHeadField } from './ConfigForm';
import { ImageTowerChoice } from './ImageTowerChoice';
import { OverfitWarning } from './OverfitWarning';
import { RunList, runFinished } from './RunList';
import { withSettings } from './shareSettings';
import { statusLine } from './statusLine';
import { TrainProgress } from './TrainProgress';
import { datasetTrainability, TrainabilityNote, useTrainability } from './Trainability';
import { useTrainDraft } from './useTrainDraft';
import { useTraining } from './useTraining';

const BACKENDS: (BackendName | 'auto')[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export function TrainPanel({
  datasets,
  datasetId,
  onDatasetChange,
  runsVersion,
  onRunsChanged,
  resumeRequest,
  onResumeHandled,
  onTrained,
  onTryIt,
}: {
  datasets: DatasetMeta[];
  datasetId: string | null;
  onDatasetChange: (id: string) => void;
  runsVersion: number; // bumped whenever any panel changes the stored runs
  onRunsChanged: () => void;
  resumeRequest?: RunMeta | null; // a run to resume as soon as its dataset is open here
  onResumeHandled?: () => void;
  onTrained?: (runId: string) => void; // a run finished or stopped with a checkpoint
  onTryIt?: (runId: string) => void;
}) {
  const complete = datasets.filter((d) => d.status === 'complete');
  const dataset = complete.find((d) => d.id === datasetId) ?? null;
  const [backend, setBackend] = useState<BackendName | 'auto'>('auto');
  const { draft, setDraft, config, error: configError, errorField, note, shareError } = useTrainDraft(dataset, backend);
  const [runs, setRuns] = useState<RunMeta[]>([]);
  const [featuresReady, setFeaturesReady] = useState(false);
  // A pretrained tower's own problems show in the tower's section: a head field's error beside the
  // head, and no backbone yet as the Train button's reason rather than as an error.
  const pretrained = draft.imageTower === 'backbone';
  const headError = pretrained && errorField && isHeadField(errorField) ? configError : null;
  const formError = headError || (pretrained && errorField === 'backbone') ? null : configError;
  const towerWaits = !pretrained
    ? null
    : !draft.backbone
      ? 'Choose a pretrained model under Image tower first.'
      : !featuresReady
        ? 'Compute the features under Image tower first.'
        : null;
  const [error, setError] = useState<ShownError | null>(() =>
    shareError ? { title: "The link's training settings were not used", message: shareError } : null,
  );

  const refreshRuns = useCallback(async () => {
    // This dataset's runs, and imported models, which can continue training on any dataset.
    setRuns(dataset ? (await listRuns()).filter((r) => r.datasetId === dataset.id || r.datasetId === null) : []);
  }, [dataset]);
  const training = useTraining(onRunsChanged);
  const { state } = training;
  const trainable = useTrainability(dataset?.id ?? null, config?.batchSize ?? null);

  useEffect(() => {
    void refreshRuns();
  }, [refreshRuns, runsVersion]);

  useEffect(() => {
    if (state.error) setError(toShownError('Training stopped with an error', state.error));
  }, [state.error]);

  // Tell the app when a run ends with a checkpoint, so Use can load it.
  const reported = useRef<string | null>(null);
  const ended = (state.status === 'done' || state.status === 'stopped') && state.runId && state.steps.length > 0;
  useEffect(() => {
    if (ended && reported.current !== state.runId) {
      reported.current = state.runId;
      onTrained?.(state.runId!);
    }
  }, [ended, state.runId, onTrained]);

  const startNew = async () => {
    if (!dataset || !config) return;
    setError(null);
    let meta: RunMeta;
    let runConfig = config;
    try {
      // Before any run exists: a dataset that cannot train says why (no failed run is left), and
      // the batch size is clamped to the distinct training images (the note stays visible).
      const t = await datasetTrainability(dataset.id, config.batchSize);
      if (!t.ok) {
        setError({ title: 'This dataset cannot train', message: t.message });
        return;
      }
      if (t.batch?.clamped) runConfig = { ...config, batchSize: t.batch.batchSize };
      meta = await createRun({ dataset, config: runConfig, backend });
    } catch (err) {
      setError(toShownError('Could not create the run', err));
      return;
    }
    training.start({ runId: meta.id, datasetId: dataset.id, config: runConfig, backend, resume: false });
    onRunsChanged();
  };

  const resumeRun = async (r: RunMeta) => {
    if (!dataset) return;
    setError(null);
    if (!r.datasetId) {
      // An imported model continues on the dataset chosen here; the run is then that dataset's.
      try {
        r = await attachRunToDataset(r.id, dataset);
      } catch (err) {
        setError(toShownError('Could not continue the imported model', err));
        return;
      }
      onRunsChanged();
    }
    // A run that has trained all its epochs (an imported final model, say) continues for one more.
    const config = runFinished(r) ? { ...r.config, epochs: r.epoch + 1 } : r.config;
    setDraft(draftFromConfig(config));
    training.start({ runId: r.id, datasetId: r.datasetId!, config, backend, resume: true });
  };

  const viewRun = async (r: RunMeta) => {
    try {
      const curves = await loadCurves(r.id); // the metrics only: viewing a run reads no weights
      const [insights, similarity] = await Promise.all([loadInsights(r.id), loadSimilarity(r.id)]);
      training.show(r.id, { steps: curves.steps, evals: curves.evals, totalSteps: r.totalSteps, insights, similarity });
    } catch (err) {
      setError(toShownError('Could not open the run', err));
    }
  };

  // The interrupted-run banner's Resume: run it once this run's dataset is open here.
  useEffect(() => {
    const r = resumeRequest && runs.find((x) => x.id === resumeRequest.id);
    if (!r || training.live || dataset?.id !== r.datasetId) return;
    onResumeHandled?.();
    void resumeRun(r);
  });

  const last = state.steps[state.steps.length - 1];

  return (
    <div className="panel train-panel">
      <ErrorBanner error={error} onDismiss={() => setError(null)} />
      <div className="card">
        <div className="row">
          <label>
            Dataset{' '}
            <select
              data-testid="train-dataset"
              value={dataset?.id ?? ''}
              onChange={(e) => onDatasetChange(e.target.value)}
              disabled={training.live}
            >
              <option value="" disabled>
                {complete.length ? 'Choose a dataset' : 'No dataset stored: import one in Data'}
              </option>
              {complete.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Backend{' '}
            <select
              data-testid="train-backend"
              value={backend}
              onChange={(e) => setBackend(e.target.value as BackendName | 'auto')}
              disabled={training.live}
            >
              {BACKENDS.map((b) => (
                <option key={b} value={b}>
                  {b === 'auto' ? 'auto (fastest available)' : b}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ConfigForm draft={draft} onChange={setDraft} disabled={training.live} error={formError} note={note} />
        <ImageTowerChoice
          draft={draft}
          onChange={setDraft}
          dataset={dataset}
          backend={backend}
          disabled={training.live}
          onFeaturesReady={setFeaturesReady}
          headError={headError}
        />
        <TrainabilityNote result={trainable} />
        <div className="row">
          <button
            type="button"
            className="primary"
            data-testid="train-start"
            disabled={
              !dataset || !config || training.live || trainable?.ok === false || (config.imageTower === 'backbone' && !featuresReady)
            }
            aria-describedby={towerWaits && dataset ? 'train-waits' : undefined}
            onClick={() => void startNew()}
          >
            Train
          </button>
          {towerWaits && dataset && !training.live && (
            <span className="muted small" id="train-waits" data-testid="train-waits">
              {towerWaits}
            </span>
          )}
          {state.status === 'paused' ? (
            <button type="button" data-testid="train-resume" onClick={training.resume}>
              Resume
            </button>
          ) : (
            <button type="button" data-testid="train-pause" disabled={state.status !== 'running'} onClick={training.pause}>
              Pause
            </button>
          )}
          <button type="button" data-testid="train-stop" disabled={!training.live || state.status === 'stopping'} onClick={training.stop}>
            Stop
          </button>
          <span data-testid="train-status" data-status={state.status}>
            {statusLine({
              status: state.status,
              phase: state.phase,
              phaseDetail: state.phaseDetail,
              step: last?.step ?? null,
              totalSteps: state.totalSteps,
            })}
          </span>
          {ended && onTryIt && (
            <button type="button" data-testid="train-try-it" onClick={() => onTryIt(state.runId!)}>
              Try it in Use →
            </button>
          )}
          {config && (
            <a
              className="small"
              href={withSettings('', config)}
              data-testid="settings-link"
              title="A link that opens this page with these training settings"
            >
              Link to these settings
            </a>
          )}
        </div>
        <TrainProgress state={state} live={training.live} />
      </div>
      <OverfitWarning steps={state.steps} evals={state.evals} />
      <TrainingCharts steps={state.steps} evals={state.evals} />
      <CalibrationCard evals={state.evals} />
      <Insights
        datasetId={dataset?.id ?? null}
        similarity={state.similarity}
        insights={state.insights}
        runs={runs}
        runsVersion={runsVersion}
      />
      <div className="card">
        <h3>Runs{dataset ? ` on ${dataset.name}` : ''}</h3>
        <RunList
          runs={runs}
          liveRunId={training.live ? state.runId : null}
          busy={training.live}
          selectedId={state.runId}
          onView={(r) => void viewRun(r)}
          onResume={(r) => void resumeRun(r)}
          onDelete={async (r) => {
            try {
              await deleteRun(r.id);
            } catch (err) {
              setError(toShownError('Could not delete the run', err));
            }
            onRunsChanged();
          }}
        />
      </div>
    </div>
  );
}
